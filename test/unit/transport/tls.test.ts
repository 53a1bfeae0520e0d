import t from 'tap';
import { connect as netConnect, createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { TransportLayer } from '../../../lib/engine/transport/transport-layer.js';
import type { TransportConfigInput } from '../../../lib/engine/transport/transport-config.js';
import { FakeClock } from '../../../lib/engine/timers/fake-clock.js';
import { makeTestPki } from '../../helpers/certs.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import type { TeardownHost } from '../../helpers/processes.js';
import { LayerEvents, PeerReader, RecordingMetrics, requestText, responseTo, until } from './support.js';

const pki = await makeTestPki(makeTempDir(t, 'sipedge-tls-'));

async function setup(t: TeardownHost, config: TransportConfigInput = {}, clock?: FakeClock) {
  const metrics = new RecordingMetrics();
  const layer = new TransportLayer(
    {
      udp: { enabled: false },
      tcp: { enabled: false },
      tls: { enabled: true, port: 0, key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.ca.certPem, ...config.tls },
      limits: config.limits,
    },
    { metrics, clock },
  );
  await layer.start();
  t.teardown(() => layer.stop());
  const events = new LayerEvents(layer);
  return { layer, events, metrics, port: layer.portOf('tls') as number };
}

function tlsPeer(t: TeardownHost, port: number): Promise<PeerReader> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca: pki.ca.certPem });
    t.teardown(() => {
      s.destroy();
    });
    const reader = new PeerReader(s);
    s.once('secureConnect', () => resolve(reader));
    s.once('error', reject);
  });
}

t.test('receives a request over TLS and answers on the same connection', async (t) => {
  const { layer, events, metrics, port } = await setup(t);
  layer.on('message', (msg, flow) => {
    if (msg.kind === 'request') layer.sendNow(responseTo(msg), flow);
  });
  const p = await tlsPeer(t, port);
  p.socket.write(requestText('OPTIONS', { transport: 'TLS', viaHost: 'client.invalid' }));
  await p.waitForText('SIP/2.0 200 OK\r\n');
  const { msg, flow } = events.messages[0];
  t.equal(flow.transport, 'tls');
  t.ok(flow.connectionId);
  t.equal(msg.via.received, '127.0.0.1');
  t.equal(metrics.count('connectionOpened', 'tls'), 1);
  t.equal(metrics.count('messageIn', 'tls', 'request', 'OPTIONS'), 1);
  p.socket.write('\r\n\r\n');
  await p.until(() => p.data.endsWith('\r\n\r\n\r\n'), 5000, 'pong');
});

t.test('outbound TLS verifies the server, and the connection is reused both ways', async (t) => {
  const a = await setup(t);
  const b = await setup(t);
  a.layer.on('message', (msg, flow) => {
    if (msg.kind === 'request') a.layer.sendNow(responseTo(msg), flow);
  });
  const target = { transport: 'tls' as const, host: '127.0.0.1', port: a.port };
  const flow = await b.layer.send(Buffer.from(requestText('OPTIONS', { transport: 'TLS' })), target);
  t.equal(flow.transport, 'tls');
  t.equal(b.events.opened[0]?.inbound, false);
  await until(() => b.events.messages.length === 1);
  t.equal(b.events.messages[0].msg.kind, 'response');
  t.equal(b.events.messages[0].flow.connectionId, flow.connectionId, 'response came back on our connection');
  // A's request toward B's connection address reuses the inbound connection.
  const inbound = a.events.messages[0].flow;
  const back = await a.layer.send(Buffer.from(requestText('INFO', { transport: 'TLS' })), {
    transport: 'tls',
    host: inbound.remoteAddress,
    port: inbound.remotePort,
  });
  t.equal(back.connectionId, inbound.connectionId);
  await until(() => b.events.messages.length === 2);
  t.equal(b.events.messages[1].flow.connectionId, flow.connectionId);
  t.equal(a.layer.connectionCount, 1);
  t.equal(b.layer.connectionCount, 1);

  // Without the CA the server certificate does not verify: the send fails.
  const strict = await setup(t, { tls: { ca: undefined } });
  await t.rejects(strict.layer.send(Buffer.from(requestText()), target), /certificate/i);
  t.equal(strict.layer.connectionCount, 0);
  t.equal(strict.events.opened.length, 0);
  // ... unless verification is turned off.
  const lax = await setup(t, { tls: { ca: undefined, rejectUnauthorized: false } });
  const laxFlow = await lax.layer.send(Buffer.from(requestText()), target);
  t.equal(laxFlow.transport, 'tls');
});

t.test('idle TLS connections are closed; keep-alives keep one open', async (t) => {
  const clock = new FakeClock();
  const { events, metrics, port } = await setup(t, { tls: { idleTimeoutMs: 2000 } }, clock);
  const silent = await tlsPeer(t, port);
  const chatty = await tlsPeer(t, port);
  await until(() => events.opened.length === 2);
  clock.advance(1500);
  chatty.socket.write('\r\n\r\n');
  await chatty.waitForText('\r\n');
  clock.advance(1000);
  await silent.waitClosed();
  t.equal(events.closed.length, 1);
  t.equal(events.closed[0].reason, 'idle-timeout');
  t.equal(metrics.count('connectionClosed', 'tls', 'idle-timeout'), 1);
  t.equal(chatty.closed, false);
});

t.test('TLS garbage: handshake junk, framing errors, truncation; still serving', async (t) => {
  const { layer, events, metrics, port } = await setup(t, { limits: { maxMessageBytes: 3000 } });
  layer.on('invalid', (failure, flow) => {
    if (failure.answerable) layer.sendNow(responseTo(failure.answerable, failure.status, failure.reason), flow);
  });
  // Plain text to a TLS port: the handshake fails and is counted.
  const plain = new PeerReader(netConnect({ host: '127.0.0.1', port }));
  t.teardown(() => plain.socket.destroy());
  plain.socket.write(requestText());
  await plain.waitClosed();
  await until(() => metrics.count('parseError', 'tls', 'tls-handshake') === 1);
  t.equal(events.opened.length, 0);

  const oversize = await tlsPeer(t, port);
  oversize.socket.write(requestText('MESSAGE', { transport: 'TLS', body: 'y'.repeat(5000) }));
  await oversize.waitForText('SIP/2.0 513 ');
  await oversize.waitClosed();

  const negative = await tlsPeer(t, port);
  negative.socket.write(requestText('INVITE', { transport: 'TLS' }).replace('Content-Length: 0', 'Content-Length: -1'));
  await negative.waitForText('SIP/2.0 400 ');
  await negative.waitClosed();

  const framedJunk = await tlsPeer(t, port);
  framedJunk.socket.write('\x01\x02 junk\r\n\r\n');
  await until(() => events.invalid.length === 3);
  t.equal(framedJunk.closed, false, 'framing intact: stays open');

  const truncated = await tlsPeer(t, port);
  truncated.socket.end(requestText('MESSAGE', { body: 'abcdef' }).slice(0, -4));
  await until(() => metrics.count('parseError', 'tls', 'Truncated message') === 1);

  t.same(
    events.closed.map((c) => c.reason).sort(),
    ['framing-error', 'message-too-large', 'remote-closed'],
  );
  framedJunk.socket.write(requestText('OPTIONS', { transport: 'TLS' }));
  await until(() => events.messages.length === 1);
});

t.test('TLS limits apply before the handshake', async (t) => {
  const { layer, metrics, port } = await setup(t, { limits: { maxConnectionsPerIp: 1 } });
  await tlsPeer(t, port);
  const refused = new PeerReader(netConnect({ host: '127.0.0.1', port }));
  t.teardown(() => refused.socket.destroy());
  await refused.waitClosed();
  t.equal(metrics.count('limitHit', 'max-connections-per-ip', 'tls'), 1);
  t.equal(metrics.count('parseError', 'tls'), 0, 'a refused socket is not a handshake error');
  t.equal(layer.connectionCount, 1);
});

t.test('an outbound connect that never completes times out', async (t) => {
  const clock = new FakeClock();
  const { layer, events } = await setup(t, { limits: { connectTimeoutMs: 3000 } }, clock);
  // Accepts TCP but never answers the TLS handshake.
  const mute = createServer(() => {});
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    mute.close();
  });
  const port = (mute.address() as { port: number }).port;
  const pending = layer.send(Buffer.from(requestText()), { transport: 'tls', host: '127.0.0.1', port });
  await until(() => layer.connectionCount === 1);
  clock.advance(2000);
  t.equal(layer.connectionCount, 1, 'still connecting');
  clock.advance(1500);
  await t.rejects(pending, /connect timeout/);
  t.equal(layer.connectionCount, 0);
  t.equal(events.opened.length, 0);
  t.equal(events.closed.length, 0, 'never opened, so no close event');
});

t.test('start() fails without key and cert', async (t) => {
  const layer = new TransportLayer({ udp: { enabled: false }, tcp: { enabled: false }, tls: { enabled: true, port: 0 } });
  await t.rejects(layer.start(), /key and cert/);
});
