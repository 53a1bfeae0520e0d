// The engine core in-process over real loopback UDP: load shedding with 503 + Retry-After, a user that throws,
// no user attached, and recovery once the user catches up.
import t, { type Test } from 'tap';
import { createSocket, type Socket } from 'node:dgram';
import { SipEngine, type EngineUser } from '../../../lib/engine/core/sip-engine.js';
import { createResponse } from '../../../lib/engine/messages/response-factory.js';
import type { ServerTransaction } from '../../../lib/engine/transactions/index.js';
import { withTransportDefaults } from '../../../lib/engine/transport/transport-config.js';

async function startEngine(t: Test, maxPendingRequests: number): Promise<{ engine: SipEngine; port: number }> {
  const engine = new SipEngine({
    transport: withTransportDefaults({
      udp: { enabled: true, address: '127.0.0.1', port: 0 },
      tcp: { enabled: false },
      tls: { enabled: false },
    }),
    overload: { maxPendingRequests, maxEventLoopLagMs: 10_000, retryAfterS: 7 },
  });
  await engine.start();
  t.teardown(() => engine.stop());
  return { engine, port: engine.transport.listening.find((l) => l.transport === 'udp')!.port };
}

async function client(t: Test): Promise<{ sock: Socket; replies: string[]; sentBy: string }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => sock.close());
  const replies: string[] = [];
  sock.on('message', (m) => replies.push(m.toString()));
  return { sock, replies, sentBy: `127.0.0.1:${sock.address().port}` };
}

let n = 0;
function options(sentBy: string): string {
  n++;
  return [
    'OPTIONS sip:localhost SIP/2.0',
    `Via: SIP/2.0/UDP ${sentBy};branch=z9hG4bKeng${n}`,
    'Max-Forwards: 70',
    `From: <sip:a@localhost>;tag=f${n}`,
    'To: <sip:localhost>',
    `Call-ID: eng-${n}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

const statusOf = (reply: string) => Number(reply.split(' ')[1]);

t.test('requests beyond what the user keeps up with get 503 + Retry-After, and service resumes', async (t) => {
  const { engine, port } = await startEngine(t, 3);
  const held: ServerTransaction[] = [];
  const user: EngineUser = { onRequest: (txn) => void held.push(txn), onAck() {}, onStrayResponse() {} };
  engine.setUser(user);
  const { sock, replies, sentBy } = await client(t);
  for (let i = 0; i < 5; i++) sock.send(options(sentBy), port, '127.0.0.1');
  await until(() => replies.length >= 2);
  t.equal(held.length, 3, 'the user got as many requests as it may hold');
  t.equal(replies.length, 2, 'the other two were answered at once');
  for (const r of replies) {
    t.equal(statusOf(r), 503);
    t.match(r, /\r\nRetry-After: 7\r\n/);
  }
  // The user catches up: pending drops, new requests reach it again.
  for (const txn of held.splice(0)) txn.respond(createResponse(txn.request, 200, 'OK'));
  await until(() => replies.length >= 5);
  t.equal(replies.slice(2).filter((r) => statusOf(r) === 200).length, 3);
  engine.setUser({ onRequest: (txn) => txn.respond(createResponse(txn.request, 200, 'OK')), onAck() {}, onStrayResponse() {} });
  sock.send(options(sentBy), port, '127.0.0.1');
  await until(() => replies.length >= 6);
  t.equal(statusOf(replies[5]!), 200, 'answered normally after the load went away');
  t.equal(engine.transactions.pendingServerTransactions, 0);
});

t.test('a user that throws gets its request answered 500; no user means 503', async (t) => {
  const { engine, port } = await startEngine(t, 100);
  const { sock, replies, sentBy } = await client(t);
  sock.send(options(sentBy), port, '127.0.0.1');
  await until(() => replies.length >= 1);
  t.match(replies[0], /^SIP\/2\.0 503 No Application Available/, 'no user attached yet');
  engine.setUser({
    onRequest() {
      throw new Error('bug in the user');
    },
    onAck() {},
    onStrayResponse() {},
  });
  sock.send(options(sentBy), port, '127.0.0.1');
  await until(() => replies.length >= 2);
  t.match(replies[1], /^SIP\/2\.0 500 /, 'the bug costs one 500, not a hung transaction');
});

t.test('a retransmission of a request being served is absorbed, not shed', async (t) => {
  const { engine, port } = await startEngine(t, 1);
  const held: ServerTransaction[] = [];
  engine.setUser({ onRequest: (txn) => void held.push(txn), onAck() {}, onStrayResponse() {} });
  const { sock, replies, sentBy } = await client(t);
  const msg = options(sentBy);
  sock.send(msg, port, '127.0.0.1');
  await until(() => held.length === 1);
  sock.send(msg, port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(replies.length, 0, 'no 503 for the retransmission');
  held[0]!.respond(createResponse(held[0]!.request, 200, 'OK'));
  await until(() => replies.length >= 1);
  t.equal(statusOf(replies[0]!), 200);
});

t.test('over TCP a refused request costs no transaction (stateless 503)', async (t) => {
  const engine = new SipEngine({
    transport: withTransportDefaults({
      udp: { enabled: false },
      tcp: { enabled: true, address: '127.0.0.1', port: 0 },
      tls: { enabled: false },
    }),
    overload: { maxPendingRequests: 2, maxEventLoopLagMs: 10_000, retryAfterS: 4 },
  });
  await engine.start();
  t.teardown(() => engine.stop());
  const held: ServerTransaction[] = [];
  engine.setUser({ onRequest: (txn) => void held.push(txn), onAck() {}, onStrayResponse() {} });
  const port = engine.transport.listening.find((l) => l.transport === 'tcp')!.port;
  const { connect } = await import('node:net');
  const sock = connect({ host: '127.0.0.1', port });
  t.teardown(() => sock.destroy());
  await new Promise<void>((r) => sock.once('connect', () => r()));
  let received = '';
  sock.on('data', (d) => (received += d.toString()));
  const sentBy = `127.0.0.1:${sock.localPort}`;
  for (let i = 0; i < 3; i++) sock.write(options(sentBy).replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
  await until(() => /Retry-After/.test(received));
  t.equal(held.length, 2, 'two requests admitted');
  t.equal(engine.transactions.serverTransactionCount, 2, 'the refused one never became a transaction');
  t.match(received, /^SIP\/2\.0 503 Service Unavailable\r\n/);
  t.match(received, /\r\nRetry-After: 4\r\n/);

  // Still over the cap: an in-dialog BYE ends admitted work and is never shed (RFC 6357 5).
  const bye = options(sentBy)
    .replace('SIP/2.0/UDP', 'SIP/2.0/TCP')
    .replace('OPTIONS sip:localhost', 'BYE sip:localhost')
    .replace('CSeq: 1 OPTIONS', 'CSeq: 2 BYE')
    .replace('To: <sip:localhost>', 'To: <sip:localhost>;tag=callee1');
  sock.write(bye);
  await until(() => held.length === 3);
  t.equal(held[2]!.request.method, 'BYE', 'the in-dialog BYE was admitted');
  t.equal(received.match(/ 503 /g)?.length, 1, 'only the new OPTIONS was refused');
});
