import t from 'tap';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { TransportLayer } from '../../../lib/engine/transport/transport-layer.js';
import type { TransportConfigInput } from '../../../lib/engine/transport/transport-config.js';
import { FakeClock } from '../../../lib/engine/timers/fake-clock.js';
import type { SipRequest } from '../../../lib/engine/messages/message.js';
import type { TeardownHost } from '../../helpers/processes.js';
import { LayerEvents, PeerReader, RecordingMetrics, requestText, responseTo, until } from './support.js';

interface Setup {
  layer: TransportLayer;
  events: LayerEvents;
  metrics: RecordingMetrics;
  clock: FakeClock | undefined;
  port: number;
}

async function setup(t: TeardownHost, config: TransportConfigInput = {}, fake = false): Promise<Setup> {
  const metrics = new RecordingMetrics();
  const clock = fake ? new FakeClock() : undefined;
  const layer = new TransportLayer(
    {
      udp: { enabled: false },
      tcp: { address: '127.0.0.1', port: 0, ...config.tcp },
      limits: config.limits,
    },
    { metrics, clock },
  );
  await layer.start();
  t.teardown(() => layer.stop());
  const events = new LayerEvents(layer);
  return { layer, events, metrics, clock, port: layer.portOf('tcp') as number };
}

function peer(t: TeardownHost, port: number): Promise<PeerReader> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    t.teardown(() => {
      s.destroy();
    });
    const reader = new PeerReader(s);
    s.once('connect', () => resolve(reader));
    s.once('error', reject);
  });
}

t.test('receives a request and answers over the same connection', async (t) => {
  const { layer, events, metrics, port } = await setup(t);
  layer.on('message', (msg, flow) => {
    if (msg.kind === 'request') layer.sendNow(responseTo(msg), flow);
  });
  const p = await peer(t, port);
  p.socket.write(requestText('OPTIONS', { viaHost: '127.0.0.1:5999' }));
  await p.waitForText('SIP/2.0 200 OK\r\n');
  t.equal(events.requests().length, 1);
  const { msg, flow } = events.messages[0];
  t.equal(flow.transport, 'tcp');
  t.equal(flow.remoteAddress, '127.0.0.1');
  t.equal(flow.localPort, port);
  t.match(flow.connectionId, /^c[0-9a-z]+$/);
  t.equal(msg.via.received, undefined, 'Via sent-by matches the source: left alone');
  t.equal(events.opened.length, 1);
  t.equal(events.opened[0].inbound, true);
  t.equal(layer.connectionCount, 1);
  t.equal(metrics.count('connectionOpened', 'tcp'), 1);
  t.equal(metrics.count('messageIn', 'tcp', 'request', 'OPTIONS'), 1);
  t.equal(metrics.count('messageOut', 'tcp', 'response', 'OPTIONS'), 1);
  p.socket.end();
  await until(() => events.closed.length === 1, 5000, 'close event');
  t.equal(events.closed[0].reason, 'remote-closed');
  t.equal(layer.connectionCount, 0);
  t.equal(metrics.count('connectionClosed', 'tcp', 'remote-closed'), 1);
});

t.test('stamps received and rport on the top Via (RFC 3261 18.2.1, RFC 3581)', async (t) => {
  const { events, port } = await setup(t);
  const p = await peer(t, port);
  p.socket.write(requestText('OPTIONS', { viaHost: '10.9.9.9:5060', rport: true }));
  p.socket.write(requestText('OPTIONS', { viaHost: 'client.invalid' }));
  await until(() => events.messages.length === 2);
  const [a, b] = events.requests();
  t.equal(a.via.received, '127.0.0.1');
  t.equal(a.via.rport, p.socket.localPort);
  t.equal(a.via.branch?.startsWith('z9hG4bK-t'), true, 'other params kept');
  t.equal(b.via.received, '127.0.0.1');
  t.equal(b.via.rport, undefined);
});

t.test('several messages in one write, and one message in many writes', async (t) => {
  const { events, port } = await setup(t);
  const p = await peer(t, port);
  p.socket.write(requestText() + requestText('INFO', { body: 'abc' }) + requestText());
  await until(() => events.messages.length === 3);
  const text = requestText('MESSAGE', { body: 'hello world' });
  for (let i = 0; i < text.length; i += 17) {
    p.socket.write(text.slice(i, i + 17));
    await new Promise((r) => setImmediate(r));
  }
  await until(() => events.messages.length === 4);
  t.equal(events.requests()[3].body.toString(), 'hello world');
});

t.test('CRLF keep-alive gets a pong', async (t) => {
  const { events, port } = await setup(t);
  const p = await peer(t, port);
  p.socket.write('\r\n\r\n');
  await p.waitForText('\r\n');
  t.equal(p.data, '\r\n');
  t.equal(events.messages.length, 0);
  t.equal(events.invalid.length, 0);
});

t.test('outbound connect, reuse, and reuse of an inbound connection', async (t) => {
  const { layer, events, metrics, port } = await setup(t);
  // A plain TCP peer that we connect to.
  const accepted: PeerReader[] = [];
  const server: Server = createServer((s: Socket) => accepted.push(new PeerReader(s)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const a of accepted) a.socket.destroy();
    server.close();
  });
  const peerPort = (server.address() as { port: number }).port;
  const target = { transport: 'tcp' as const, host: '127.0.0.1', port: peerPort };

  const first = layer.send(Buffer.from(requestText('OPTIONS')), target);
  // A second send while connecting shares the connection.
  const second = layer.send(Buffer.from(requestText('INFO')), target);
  const [f1, f2] = await Promise.all([first, second]);
  t.equal(f1.connectionId, f2.connectionId);
  t.equal(f1.remotePort, peerPort);
  t.equal(layer.connectionCount, 1);
  t.equal(events.opened.length, 1);
  t.equal(events.opened[0].inbound, false);
  const f3 = layer.sendNow(Buffer.from(requestText('NOTIFY')), target);
  t.equal(f3?.connectionId, f1.connectionId, 'open connection: synchronous send');
  await until(() => accepted.length === 1 && (accepted[0].data.match(/ SIP\/2\.0\r\n/g) ?? []).length === 3);
  t.match(accepted[0].data, /^OPTIONS .*INFO .*NOTIFY /s, 'in order on one socket');

  // The peer sends back over the same socket: it arrives on the same flow.
  accepted[0].socket.write('SIP/2.0 200 OK\r\n' + requestText('OPTIONS').split('\r\n').slice(1).join('\r\n'));
  await until(() => events.messages.length === 1);
  t.equal(events.messages[0].flow.connectionId, f1.connectionId);

  // Inbound connection from a client; a request toward that client's address reuses it.
  const client = await peer(t, port);
  client.socket.write(requestText('REGISTER'));
  await until(() => events.messages.length === 2);
  const inboundFlow = events.messages[1].flow;
  const back = await layer.send(Buffer.from(requestText('OPTIONS')), {
    transport: 'tcp',
    host: '127.0.0.1',
    port: client.socket.localPort as number,
  });
  t.equal(back.connectionId, inboundFlow.connectionId, 'reused by remote address');
  await client.waitForText('OPTIONS sip:');
  const byId = layer.sendNow(Buffer.from(requestText('INFO')), {
    transport: 'tcp',
    host: '192.0.2.99',
    port: 1,
    connectionId: inboundFlow.connectionId,
  });
  t.equal(byId?.connectionId, inboundFlow.connectionId, 'reused by connection id');
  await client.waitForText('INFO sip:');
  t.equal(layer.connectionCount, 2);
  t.equal(metrics.count('connectionOpened', 'tcp'), 2);

  // Addresses are also reachable by an alias (RFC 5923 hook).
  t.ok(layer.addAlias(inboundFlow.connectionId as string, '198.51.100.7', 5060));
  const viaAlias = layer.sendNow(Buffer.from(requestText('MESSAGE')), { transport: 'tcp', host: '198.51.100.7', port: 5060 });
  t.equal(viaAlias?.connectionId, inboundFlow.connectionId);
});

t.test('send failures reject', async (t) => {
  const { layer } = await setup(t);
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadPort = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));
  await t.rejects(layer.send(Buffer.from(requestText()), { transport: 'tcp', host: '127.0.0.1', port: deadPort }), /ECONNREFUSED/);
  t.equal(layer.connectionCount, 0);
  let err: Error | undefined;
  t.equal(layer.sendNow(Buffer.from('x'), { transport: 'tcp', host: '127.0.0.1', port: deadPort }, (e) => (err = e)), undefined);
  await until(() => err !== undefined);
  t.match(err?.message, /ECONNREFUSED/);
  await t.rejects(layer.send(Buffer.from('x'), { transport: 'udp', host: '127.0.0.1', port: 9 }), /udp transport is not running/);
  await t.rejects(layer.send(Buffer.from('x'), { transport: 'tls', host: '127.0.0.1', port: 9 }), /tls transport is not running/);
});

t.test('framed garbage is counted as invalid and the connection keeps working', async (t) => {
  const { layer, events, metrics, port } = await setup(t);
  const p = await peer(t, port);
  p.socket.write('HELLO WORLD\r\nthis is not sip\r\n\r\n');
  await until(() => events.invalid.length === 1);
  t.equal(metrics.count('parseError', 'tcp'), 1);
  t.equal(layer.connectionCount, 1, 'framing is intact: stays open');
  // A request missing Call-ID is answerable.
  p.socket.write(requestText().replace(/Call-ID: [^\r]*\r\n/, ''));
  await until(() => events.invalid.length === 2);
  t.equal(events.invalid[1].failure.status, 400);
  t.ok(events.invalid[1].failure.answerable, 'answerable request given');
  p.socket.write(requestText());
  await until(() => events.messages.length === 1);
  t.equal(events.closed.length, 0);
});

t.test('framing errors: answer, close, count; the transport still serves others', async (t) => {
  const { layer, events, metrics, port } = await setup(t);
  layer.on('invalid', (failure, flow) => {
    if (failure.answerable) layer.sendNow(responseTo(failure.answerable, failure.status, failure.reason), flow);
  });
  const bad = await peer(t, port);
  bad.socket.write(requestText('INVITE').replace('Content-Length: 0', 'Content-Length: -999'));
  await bad.waitForText('SIP/2.0 400 ');
  await bad.waitClosed();
  t.equal(events.closed[0]?.reason, 'framing-error');
  t.equal(metrics.count('connectionClosed', 'tcp', 'framing-error'), 1);
  t.ok(metrics.count('parseError', 'tcp') >= 1);

  const conflicting = await peer(t, port);
  conflicting.socket.write(requestText('MESSAGE', { body: 'abc' }).replace('Content-Length: 3\r\n', 'Content-Length: 3\r\nl: 5\r\n'));
  await conflicting.waitForText('SIP/2.0 400 Conflicting Content-Length');
  await conflicting.waitClosed();

  const good = await peer(t, port);
  good.socket.write(requestText());
  await until(() => events.messages.length === 1);
  t.equal(layer.connectionCount, 1);
});

t.test('oversize, too many headers, binary junk, truncated input', async (t) => {
  const { layer, events, metrics, port } = await setup(t, { limits: { maxMessageBytes: 2000, maxHeaders: 20 } });
  layer.on('invalid', (failure, flow) => {
    if (failure.answerable) layer.sendNow(responseTo(failure.answerable, failure.status, failure.reason), flow);
  });
  const big = await peer(t, port);
  big.socket.write(requestText('MESSAGE', { body: 'x'.repeat(3000) }));
  await big.waitForText('SIP/2.0 513 Message Too Large');
  await big.waitClosed();
  t.equal(metrics.count('limitHit', 'max-message-bytes', 'tcp'), 1);

  const many = await peer(t, port);
  many.socket.write(requestText().replace('Max-Forwards: 70\r\n', 'X-H: 1\r\n'.repeat(30)));
  await many.waitClosed();
  t.equal(metrics.count('limitHit', 'max-headers', 'tcp'), 1);

  const junk = await peer(t, port);
  const bytes = Buffer.alloc(5000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = 0x80 + (i % 100);
  junk.socket.write(bytes);
  await junk.waitClosed();
  t.equal(metrics.count('limitHit', 'max-message-bytes', 'tcp'), 2);

  const truncated = await peer(t, port);
  truncated.socket.end(requestText('MESSAGE', { body: 'hello' }).slice(0, -2));
  await until(() => metrics.count('parseError', 'tcp', 'Truncated message') === 1, 5000, 'truncated count');

  const reasons = events.closed.map((c) => c.reason).sort();
  t.same(reasons, ['message-too-large', 'message-too-large', 'remote-closed', 'too-many-headers']);
  const good = await peer(t, port);
  good.socket.write(requestText());
  await until(() => events.messages.length === 1);
});

t.test('idle timeout closes silent connections; CRLF keep-alives keep one open', async (t) => {
  const { layer, events, metrics, clock, port } = await setup(t, { tcp: { idleTimeoutMs: 1000 } }, true);
  const fake = clock as FakeClock;
  const silent = await peer(t, port);
  const chatty = await peer(t, port);
  await until(() => events.opened.length === 2);
  const silentId = events.opened.find((o) => o.remotePort === silent.socket.localPort)?.id as string;
  const chattyId = events.opened.find((o) => o.remotePort === chatty.socket.localPort)?.id as string;
  fake.advance(600);
  chatty.socket.write('\r\n\r\n');
  await chatty.waitForText('\r\n');
  fake.advance(600); // t=1200: silent is idle since 0, chatty since 600
  await silent.waitClosed();
  t.equal(events.closedReason(silentId), 'idle-timeout');
  t.equal(events.closedReason(chattyId), undefined);
  t.equal(metrics.count('connectionClosed', 'tcp', 'idle-timeout'), 1);
  chatty.socket.write('\r\n\r\n');
  await chatty.until(() => chatty.data === '\r\n\r\n');
  fake.advance(900); // t=2100: chatty active at 1200
  await new Promise((r) => setTimeout(r, 20));
  t.equal(chatty.closed, false);
  t.equal(layer.connectionCount, 1);
  fake.advance(1000);
  await chatty.waitClosed();
  t.equal(events.closedReason(chattyId), 'idle-timeout');
});

t.test('a slow sender is cut off (messageReceiveTimeoutMs)', async (t) => {
  const { events, metrics, clock, port } = await setup(t, { limits: { messageReceiveTimeoutMs: 500 } }, true);
  const fake = clock as FakeClock;
  const slow = await peer(t, port);
  const text = requestText();
  slow.socket.write(text.slice(0, 30));
  await new Promise((r) => setTimeout(r, 30));
  fake.advance(400);
  slow.socket.write(text.slice(30, 60)); // more bytes do not reset the message clock
  await new Promise((r) => setTimeout(r, 30));
  t.equal(slow.closed, false);
  fake.advance(1000);
  await slow.waitClosed();
  t.equal(events.closed[0]?.reason, 'slow-message');
  t.equal(metrics.count('limitHit', 'message-receive-timeout', 'tcp'), 1);
  t.equal(metrics.count('connectionClosed', 'tcp', 'slow-message'), 1);
});

t.test('per-IP and total connection limits', async (t) => {
  const { layer, metrics, port } = await setup(t, { limits: { maxConnectionsPerIp: 2 } });
  const a = await peer(t, port);
  await peer(t, port);
  const c = await peer(t, port);
  await c.waitClosed();
  t.equal(metrics.count('limitHit', 'max-connections-per-ip', 'tcp'), 1);
  t.equal(layer.connectionCount, 2);
  a.socket.destroy();
  await until(() => layer.connectionCount === 1);
  const d = await peer(t, port);
  d.socket.write(requestText());
  await new Promise((r) => setTimeout(r, 50));
  t.equal(d.closed, false, 'a slot freed up');

  const total = await setup(t, { limits: { maxConnections: 1 } });
  await peer(t, total.port);
  const over = await peer(t, total.port);
  await over.waitClosed();
  t.equal(total.metrics.count('limitHit', 'max-connections', 'tcp'), 1);
  t.equal(total.layer.connectionCount, 1);
});

t.test('a peer that does not read is cut off (write backlog)', async (t) => {
  const { layer, events, metrics, port } = await setup(t, { limits: { maxWriteBacklogBytes: 256 * 1024 } });
  const p = await peer(t, port);
  p.socket.pause();
  p.socket.write(requestText());
  await until(() => events.messages.length === 1);
  const flow = events.messages[0].flow;
  const chunk = Buffer.alloc(256 * 1024, 0x41);
  let sent = 0;
  let failures = 0;
  while (layer.connectionCount > 0 && sent < 400) {
    if (layer.sendNow(chunk, flow, () => failures++) === undefined) break;
    sent++;
  }
  await until(() => events.closed.length === 1);
  t.equal(events.closed[0].reason, 'write-backlog');
  t.equal(metrics.count('limitHit', 'write-backlog', 'tcp'), 1);
  t.ok(sent < 400, `closed after ${sent} writes`);
  await t.rejects(layer.send(chunk, { ...flow, remotePort: 1 } as never), /ECONNREFUSED|closed/);
});

t.test('stop() closes listeners and connections with reason shutdown', async (t) => {
  const metrics = new RecordingMetrics();
  const layer = new TransportLayer({ udp: { enabled: false }, tcp: { port: 0 } }, { metrics });
  await layer.start();
  const events = new LayerEvents(layer);
  const port = layer.portOf('tcp') as number;
  const p = await peer(t, port);
  const half = await peer(t, port);
  half.socket.write('OPTIONS sip:x SIP/2.0\r\n');
  await until(() => layer.connectionCount === 2);
  await layer.stop();
  await p.waitClosed();
  t.same(events.closed.map((c) => c.reason), ['shutdown', 'shutdown']);
  t.equal(metrics.count('connectionClosed', 'tcp', 'shutdown'), 2);
  t.equal(layer.listening.length, 0);
  await t.rejects(
    new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port });
      s.on('connect', () => {
        s.destroy();
        resolve(undefined);
      });
      s.on('error', reject);
    }),
    /ECONNREFUSED/,
  );
});

t.test('a request handler may read the message body and headers (sanity)', async (t) => {
  const { events, port } = await setup(t);
  const p = await peer(t, port);
  p.socket.write(requestText('MESSAGE', { body: 'héllo' }));
  await until(() => events.messages.length === 1);
  const req = events.messages[0].msg as SipRequest;
  t.equal(req.body.toString('utf8'), 'héllo');
  t.equal(req.method, 'MESSAGE');
});
