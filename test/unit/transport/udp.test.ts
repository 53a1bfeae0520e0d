import t from 'tap';
import { createSocket, type Socket } from 'node:dgram';
import { TransportLayer } from '../../../lib/engine/transport/transport-layer.js';
import type { TransportConfigInput } from '../../../lib/engine/transport/transport-config.js';
import type { TeardownHost } from '../../helpers/processes.js';
import { LayerEvents, RecordingMetrics, requestText, responseTo, until } from './support.js';

async function setup(t: TeardownHost, config: TransportConfigInput = {}) {
  const metrics = new RecordingMetrics();
  const layer = new TransportLayer(
    { udp: { address: '127.0.0.1', port: 0 }, tcp: { enabled: false }, limits: config.limits },
    { metrics },
  );
  await layer.start();
  t.teardown(() => layer.stop());
  const events = new LayerEvents(layer);
  return { layer, events, metrics, port: layer.portOf('udp') as number };
}

/** A UDP peer that records datagrams. */
async function udpPeer(t: TeardownHost): Promise<{ socket: Socket; port: number; received: string[] }> {
  const socket = createSocket('udp4');
  const received: string[] = [];
  socket.on('message', (m) => received.push(m.toString('latin1')));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => socket.close(() => r())));
  return { socket, port: socket.address().port, received };
}

t.test('receives a request and answers from the listening socket', async (t) => {
  const { layer, events, metrics, port } = await setup(t);
  layer.on('message', (msg, flow) => {
    if (msg.kind === 'request') t.ok(layer.sendNow(responseTo(msg), flow));
  });
  const peer = await udpPeer(t);
  peer.socket.send(requestText('OPTIONS', { transport: 'UDP', viaHost: '10.0.0.1:5060', rport: true }), port, '127.0.0.1');
  await until(() => peer.received.length === 1);
  t.match(peer.received[0], /^SIP\/2\.0 200 OK\r\n/);
  // The response carries the stamped Via (received + rport).
  t.match(peer.received[0], new RegExp(`Via: SIP/2\\.0/UDP 10\\.0\\.0\\.1:5060;branch=[^;]+;rport=${peer.port};received=127\\.0\\.0\\.1`));
  const { msg, flow } = events.messages[0];
  t.equal(flow.transport, 'udp');
  t.equal(flow.remotePort, peer.port);
  t.equal(flow.localPort, port);
  t.equal(flow.connectionId, undefined);
  t.equal(msg.via.received, '127.0.0.1');
  t.equal(msg.via.rport, peer.port);
  t.equal(metrics.count('messageIn', 'udp', 'request', 'OPTIONS'), 1);
  t.equal(metrics.count('messageOut', 'udp', 'response', 'OPTIONS'), 1);
});

t.test('sends requests to a target; an unchanged message is sent as received', async (t) => {
  const { layer, events, port } = await setup(t);
  const peer = await udpPeer(t);
  const text = requestText('MESSAGE', { transport: 'UDP', viaHost: '127.0.0.1:5070', body: 'hi' });
  peer.socket.send(text, port, '127.0.0.1');
  await until(() => events.messages.length === 1);
  const flow = await layer.send(events.messages[0].msg, { transport: 'udp', host: '127.0.0.1', port: peer.port });
  t.equal(flow.remotePort, peer.port);
  t.equal(flow.localPort, port, 'sent from the listening port');
  await until(() => peer.received.length === 1);
  t.equal(peer.received[0], text);
});

t.test('garbage, truncated and oversize datagrams are counted; good ones still pass', async (t) => {
  const { layer, events, metrics, port } = await setup(t, { limits: { maxMessageBytes: 1500 } });
  layer.on('invalid', (failure, flow) => {
    if (failure.answerable) layer.sendNow(responseTo(failure.answerable, failure.status, failure.reason), flow);
  });
  const peer = await udpPeer(t);
  const send = (data: string | Buffer): void => peer.socket.send(data, port, '127.0.0.1');
  send(Buffer.from([0xff, 0x00, 0x13, 0x37, 0x0a]));
  send('NOT SIP AT ALL\r\n\r\n');
  // Truncated: Content-Length says more than arrived (RFC 3261 18.3) - answerable with 400.
  send(requestText('MESSAGE', { transport: 'UDP', viaHost: '127.0.0.1:5070', body: 'hello' }).slice(0, -3));
  send(requestText('MESSAGE', { transport: 'UDP', viaHost: '127.0.0.1:5070', body: 'x'.repeat(2000) }));
  // Keep-alives are neither messages nor errors.
  send('\r\n\r\n');
  const stun = Buffer.alloc(20);
  stun.writeUInt16BE(0x0001, 0);
  stun.writeUInt32BE(0x2112a442, 4);
  send(stun);
  send(requestText('OPTIONS', { transport: 'UDP', viaHost: '127.0.0.1:5070' }));
  await until(() => events.messages.length === 1 && events.invalid.length === 4);
  t.equal(metrics.count('parseError', 'udp'), 4);
  t.equal(metrics.count('limitHit', 'max-message-bytes', 'udp'), 1);
  await until(() => peer.received.length === 2);
  t.ok(peer.received.some((r) => r.startsWith('SIP/2.0 400 ')), '400 for the truncated request');
  t.ok(peer.received.some((r) => r.startsWith('SIP/2.0 513 Message Too Large')), '513 for the oversize one');
});

t.test('udp send errors reach onError; send() resolves with the flow', async (t) => {
  const { layer } = await setup(t);
  let err: Error | undefined;
  const flow = layer.sendNow(Buffer.from('x'), { transport: 'udp', host: 'no-such-host.invalid', port: 5060 }, (e) => (err = e));
  t.ok(flow, 'queued');
  await until(() => err !== undefined);
  t.match(err?.message, /ENOTFOUND|EAI_AGAIN|getaddrinfo/);
});
