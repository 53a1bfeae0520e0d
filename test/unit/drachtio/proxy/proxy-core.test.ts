// The stateful proxy over real loopback UDP: a SipEngine with ProxyCore, a raw-socket caller upstream,
// SIPp UASes as targets, and a recording app connection for the `continue` / `done` / NOK frames (spec 9).
import t, { type Test } from 'tap';
import { createSocket, type Socket } from 'node:dgram';
import { SipEngine } from '../../../../lib/engine/core/sip-engine.js';
import { parseMessage } from '../../../../lib/engine/messages/parser.js';
import type { SipResponse } from '../../../../lib/engine/messages/message.js';
import { createResponse } from '../../../../lib/engine/messages/response-factory.js';
import type { ServerTransaction } from '../../../../lib/engine/transactions/index.js';
import { withTransportDefaults } from '../../../../lib/engine/transport/transport-config.js';
import type { AppCommand, AppConnection, PendingRequests } from '../../../../lib/engine/drachtio/contracts.js';
import { EngineLocalAddresses } from '../../../../lib/engine/drachtio/local-addresses.js';
import { ProxyCore } from '../../../../lib/engine/drachtio/proxy/proxy-core.js';
import { startSippUas, type SippUas } from '../../../helpers/sipp.js';
import { freePort } from '../../../helpers/ports.js';

interface Harness {
  engine: SipEngine;
  proxy: ProxyCore;
  port: number;
  /** Server transactions of new requests, by Call-ID (the "pending" requests an app could proxy). */
  pending: Map<string, ServerTransaction>;
  conn: AppConnection & { frames: string[] };
}

async function startHarness(t: Test, timers?: { t1: number }): Promise<Harness> {
  const engine = new SipEngine({
    transport: withTransportDefaults({
      udp: { enabled: true, address: '127.0.0.1', port: 0 },
      tcp: { enabled: false },
      tls: { enabled: false },
    }),
    timers,
    overload: { maxPendingRequests: 1000, maxEventLoopLagMs: 10_000, retryAfterS: 5 },
  });
  const local = new EngineLocalAddresses(() => engine.transport.listening);
  const pending = new Map<string, ServerTransaction>();
  const table: PendingRequests = {
    takeForProxy(id) {
      const txn = pending.get(id);
      pending.delete(id);
      return txn;
    },
  };
  const proxy = new ProxyCore({ engine, pending: table, local });
  engine.setUser({
    onRequest(txn) {
      const req = txn.request;
      // A statelessly forwarded request keeps no server transaction (RFC 3261 16.11): its retransmissions are forwarded again.
      if (proxy.tryStatelessForward(req, txn.flow)) {
        txn.dispose();
        return;
      }
      if (req.method === 'CANCEL') {
        if (!proxy.handleCancel(txn)) txn.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist'));
        return;
      }
      pending.set(req.callId, txn);
    },
    onAck(ack, flow) {
      proxy.tryStatelessForward(ack, flow);
    },
    onStrayResponse(res, flow) {
      proxy.tryForwardStrayResponse(res, flow);
    },
  });
  await engine.start();
  t.teardown(() => engine.stop());
  const frames: string[] = [];
  const conn = { id: 'a1', tags: [], closed: false, frames, sendFrame: (p: string) => void frames.push(p) };
  return { engine, proxy, port: engine.transport.listening.find((l) => l.transport === 'udp')!.port, pending, conn };
}

interface Caller {
  sock: Socket;
  port: number;
  responses: SipResponse[];
}

async function caller(t: Test): Promise<Caller> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => sock.close());
  const responses: SipResponse[] = [];
  sock.on('message', (m) => {
    const p = parseMessage(m);
    if (p.ok && p.message.kind === 'response') responses.push(p.message);
  });
  return { sock, port: sock.address().port, responses };
}

let seq = 0;
interface Call {
  callId: string;
  fromTag: string;
  branch: string;
}

function sendRaw(c: Caller, port: number, lines: string[]): void {
  c.sock.send([...lines, '', ''].join('\r\n'), port, '127.0.0.1');
}

function sendInvite(c: Caller, h: Harness, opts: { maxForwards?: number; extra?: string[] } = {}): Call {
  seq++;
  const call = { callId: `px-${seq}-${process.pid}`, fromTag: `up${seq}`, branch: `z9hG4bKup${seq}` };
  sendRaw(c, h.port, [
    `INVITE sip:callee@127.0.0.1:${h.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${c.port};branch=${call.branch};rport`,
    `Max-Forwards: ${opts.maxForwards ?? 70}`,
    `From: <sip:caller@127.0.0.1>;tag=${call.fromTag}`,
    'To: <sip:callee@127.0.0.1>',
    `Call-ID: ${call.callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:caller@127.0.0.1:${c.port}>`,
    ...(opts.extra ?? []),
    'Content-Length: 0',
  ]);
  return call;
}

function sendCancel(c: Caller, h: Harness, call: Call): void {
  sendRaw(c, h.port, [
    `CANCEL sip:callee@127.0.0.1:${h.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${c.port};branch=${call.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:caller@127.0.0.1>;tag=${call.fromTag}`,
    'To: <sip:callee@127.0.0.1>',
    `Call-ID: ${call.callId}`,
    'CSeq: 1 CANCEL',
    'Content-Length: 0',
  ]);
}

/** ACK or BYE inside the dialog the 200 created, routed by its Record-Route (RFC 3261 12.2.1.1). */
function sendInDialog(c: Caller, call: Call, ok: SipResponse, method: 'ACK' | 'BYE', cseq: number, target: number): void {
  const contact = ok.get('contact')!.replace(/^.*<|>.*$/g, '');
  const routes = ok.getList('record-route').reverse();
  sendRaw(c, target, [
    `${method} ${contact} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${c.port};branch=z9hG4bK${method.toLowerCase()}${seq}-${cseq};rport`,
    ...routes.map((r) => `Route: ${r}`),
    'Max-Forwards: 70',
    `From: <sip:caller@127.0.0.1>;tag=${call.fromTag}`,
    `To: ${ok.get('to')!}`,
    `Call-ID: ${call.callId}`,
    `CSeq: ${cseq} ${method}`,
    'Content-Length: 0',
  ]);
}

async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

let cmdSeq = 0;
function proxyCommand(
  txnId: string,
  mode: 'serial' | 'simultaneous',
  dests: string[],
  remainInDialog = false,
  more: { followRedirects?: boolean; provisionalTimeout?: string; finalTimeout?: string } = {},
): AppCommand {
  const msgId = `m${++cmdSeq}`;
  const redirects = more.followRedirects ? 'followRedirects' : '';
  return {
    msgId,
    type: 'proxy',
    fields: [msgId, 'proxy', txnId, remainInDialog ? 'remainInDialog' : '', 'fullResponse', redirects, mode, more.provisionalTimeout ?? '', more.finalTimeout ?? '', ...dests],
    sipText: `INVITE ${dests[0] ?? 'sip:x'} SIP/2.0\r\nX-Proxied: 1\r\nContent-Length: 0\r\n\r\n`,
  };
}

const finals = (c: Caller, call: Call) => c.responses.filter((r) => r.callId === call.callId && r.status >= 200 && r.cseq.method === 'INVITE');
const leader = (frame: string) => frame.split('\r\n')[0]!.split('|');
const uasDest = (u: SippUas) => `sip:callee@127.0.0.1:${u.port}`;

async function waitPending(t: Test, h: Harness, call: Call): Promise<void> {
  t.ok(await until(() => h.pending.has(call.callId)), 'the INVITE reached the TU');
}

t.test('serial: 503 from the first target, the second answers; continue frames then done', async (t) => {
  const h = await startHarness(t);
  const c = await caller(t);
  const first = await startSippUas(t, 'proxy-uas-unavailable.xml', 0, 'u1', { calls: 1 });
  const second = await startSippUas(t, 'proxy-uas-answer.xml', 0, 'u1', { calls: 1 });
  const call = sendInvite(c, h);
  await waitPending(t, h, call);
  const cmd = proxyCommand(call.callId, 'serial', [uasDest(first), uasDest(second)], true);
  h.proxy.handleProxyCommand(h.conn, cmd);

  t.ok(await until(() => finals(c, call).length > 0), 'the caller got a final response');
  const ok = finals(c, call)[0]!;
  t.equal(ok.status, 200, 'the 200 went upstream');
  t.equal(ok.vias().length, 1, 'our Via was removed');
  t.match(ok.get('record-route') ?? '', /^<sip:127\.0\.0\.1:\d+;transport=udp;lr>$/, 'remainInDialog added our Record-Route');
  t.ok(c.responses.some((r) => r.status === 180), '180 relayed upstream');
  t.notOk(c.responses.some((r) => r.status === 503), '503 not relayed');

  t.ok(await until(() => h.conn.frames.length >= 3));
  const [f1, f2, f3] = h.conn.frames.map(leader);
  t.same(f1!.slice(2, 5), [cmd.msgId, 'OK', 'network']);
  t.equal(f1![8], String(first.port), 'first continue names the first target');
  t.equal(f1![12], 'continue', 'continue is field 12');
  t.match(h.conn.frames[0]!, /\r\nSIP\/2\.0 503 /);
  t.equal(f2![8], String(second.port));
  t.match(h.conn.frames[1]!, /\r\nSIP\/2\.0 200 /);
  t.same(f3!.slice(2), [cmd.msgId, 'OK', 'done']);

  // The dialog goes through our Record-Route: ACK and BYE are forwarded statelessly, the BYE's 200 comes back.
  sendInDialog(c, call, ok, 'ACK', 1, h.port);
  sendInDialog(c, call, ok, 'BYE', 2, h.port);
  t.ok(await until(() => c.responses.some((r) => r.cseq.method === 'BYE' && r.status === 200)), '200 to BYE came back through us');
  t.equal((await first.finish(5000)).successful, 1, 'first target saw its ACK');
  t.equal((await second.finish(5000)).successful, 1, 'second target completed the call (X-Proxied and Max-Forwards checked)');
  await new Promise((r) => setTimeout(r, 100));
  t.equal(h.conn.frames.length, 3, 'done was sent exactly once, last');
});

t.test('parallel: the first 200 wins and the ringing loser is cancelled', async (t) => {
  const h = await startHarness(t);
  const c = await caller(t);
  const winner = await startSippUas(t, 'proxy-uas-answer.xml', 0, 'u1', { calls: 1 });
  const loser = await startSippUas(t, 'proxy-uas-ring-cancel.xml', 0, 'u1', { calls: 1 });
  const call = sendInvite(c, h);
  await waitPending(t, h, call);
  const cmd = proxyCommand(call.callId, 'simultaneous', [uasDest(loser), uasDest(winner)]);
  h.proxy.handleProxyCommand(h.conn, cmd);

  t.ok(await until(() => finals(c, call).length > 0));
  const ok = finals(c, call)[0]!;
  t.equal(ok.status, 200);
  t.notOk(ok.has('record-route'), 'no Record-Route without remainInDialog');
  t.equal((await loser.finish(5000)).successful, 1, 'the loser got CANCEL, answered 487 and got its ACK');
  t.ok(await until(() => h.conn.frames.some((f) => leader(f)[4] === 'done')));
  const dones = h.conn.frames.filter((f) => leader(f)[4] === 'done');
  t.equal(dones.length, 1);
  t.match(h.conn.frames[0]!, /\r\nSIP\/2\.0 200 /, 'the 200 was reported before done');
  // Without Record-Route the caller talks to the callee directly.
  const callee = Number(ok.get('contact')!.match(/:(\d+);/)![1]);
  sendInDialog(c, call, ok, 'ACK', 1, callee);
  sendInDialog(c, call, ok, 'BYE', 2, callee);
  t.equal((await winner.finish(5000)).successful, 1);
  t.equal(finals(c, call).filter((r) => r.status !== 200).length, 0, 'the 487 never went upstream');
});

t.test('all branches fail: the best response (486 over 503) goes upstream', async (t) => {
  const h = await startHarness(t);
  const c = await caller(t);
  const busy = await startSippUas(t, 'proxy-uas-busy.xml', 0, 'u1', { calls: 1 });
  const down = await startSippUas(t, 'proxy-uas-unavailable.xml', 0, 'u1', { calls: 1 });
  const call = sendInvite(c, h);
  await waitPending(t, h, call);
  const cmd = proxyCommand(call.callId, 'simultaneous', [uasDest(down), uasDest(busy)]);
  h.proxy.handleProxyCommand(h.conn, cmd);
  t.ok(await until(() => h.conn.frames.some((f) => leader(f)[4] === 'done')));
  t.ok(await until(() => finals(c, call).length > 0));
  t.same(finals(c, call).map((r) => r.status), [486]);
  t.equal(h.conn.frames.length, 3, 'two continue frames and done');
  t.equal(h.conn.frames.filter((f) => leader(f)[12] === 'continue').length, 2);
  t.equal((await busy.finish(5000)).successful, 1);
  t.equal((await down.finish(5000)).successful, 1);
});

t.test('nothing answers: 408 upstream and done without continue', async (t) => {
  const h = await startHarness(t, { t1: 10 });
  const c = await caller(t);
  const silent = await freePort('udp');
  const call = sendInvite(c, h);
  await waitPending(t, h, call);
  const cmd = proxyCommand(call.callId, 'serial', [`sip:nobody@127.0.0.1:${silent}`]);
  h.proxy.handleProxyCommand(h.conn, cmd);
  t.ok(await until(() => h.conn.frames.length > 0, 5000));
  t.same(h.conn.frames.map((f) => leader(f).slice(2)), [[cmd.msgId, 'OK', 'done']]);
  t.ok(await until(() => finals(c, call).length > 0));
  t.equal(finals(c, call)[0]!.status, 408);
});

t.test('upstream CANCEL: 200 to the CANCEL, 487 upstream, CANCEL downstream, then done', async (t) => {
  const h = await startHarness(t);
  const c = await caller(t);
  const ringing = await startSippUas(t, 'proxy-uas-ring-cancel.xml', 0, 'u1', { calls: 1 });
  const call = sendInvite(c, h);
  await waitPending(t, h, call);
  const cmd = proxyCommand(call.callId, 'serial', [uasDest(ringing)]);
  h.proxy.handleProxyCommand(h.conn, cmd);
  t.ok(await until(() => c.responses.some((r) => r.status === 180)), 'ringing relayed');
  sendCancel(c, h, call);
  t.ok(await until(() => c.responses.some((r) => r.cseq.method === 'CANCEL' && r.status === 200)), '200 to the CANCEL');
  t.ok(await until(() => finals(c, call).length > 0));
  t.equal(finals(c, call)[0]!.status, 487);
  t.equal((await ringing.finish(5000)).successful, 1, 'the target was cancelled');
  t.ok(await until(() => h.conn.frames.some((f) => leader(f)[4] === 'done')));
  t.equal(h.conn.frames.filter((f) => leader(f)[4] === 'done').length, 1);
});

t.test('Max-Forwards 0: 483 upstream and NOK; unknown transaction: NOK', async (t) => {
  const h = await startHarness(t);
  const c = await caller(t);
  const call = sendInvite(c, h, { maxForwards: 0 });
  await waitPending(t, h, call);
  const cmd = proxyCommand(call.callId, 'serial', ['sip:x@127.0.0.1:9']);
  h.proxy.handleProxyCommand(h.conn, cmd);
  t.same(leader(h.conn.frames[0]!).slice(2), [cmd.msgId, 'NOK', 'Rejected with 483 Too Many Hops due to Max-Forwards value of 0']);
  t.ok(await until(() => finals(c, call).length > 0));
  t.equal(finals(c, call)[0]!.status, 483);

  const again = proxyCommand(call.callId, 'serial', ['sip:x@127.0.0.1:9']);
  h.proxy.handleProxyCommand(h.conn, again);
  t.same(leader(h.conn.frames[1]!).slice(2), [again.msgId, 'NOK', `Unknown transaction id: ${call.callId}`]);
});


t.test('provisionalTimeout: a silent target is skipped, the next one answers', async (t) => {
  const h = await startHarness(t);
  const c = await caller(t);
  const silent = await freePort('udp');
  const answer = await startSippUas(t, 'proxy-uas-answer.xml', 0, 'u1', { calls: 1 });
  const call = sendInvite(c, h);
  await waitPending(t, h, call);
  const started = Date.now();
  const cmd = proxyCommand(call.callId, 'serial', [`sip:nobody@127.0.0.1:${silent}`, uasDest(answer)], false, { provisionalTimeout: '300ms' });
  h.proxy.handleProxyCommand(h.conn, cmd);
  t.ok(await until(() => finals(c, call).length > 0));
  t.equal(finals(c, call)[0]!.status, 200);
  t.ok(Date.now() - started >= 290, 'the second target was tried after the provisional timeout');
  t.ok(await until(() => h.conn.frames.length >= 2));
  t.equal(leader(h.conn.frames[0]!)[8], String(answer.port));
  t.same(leader(h.conn.frames[1]!).slice(2), [cmd.msgId, 'OK', 'done']);
  const ok = finals(c, call)[0]!;
  const callee = Number(ok.get('contact')!.match(/:(\d+);/)![1]);
  sendInDialog(c, call, ok, 'ACK', 1, callee);
  sendInDialog(c, call, ok, 'BYE', 2, callee);
  t.equal((await answer.finish(5000)).successful, 1);
});

t.test('401 is relayed at once and ends the search; the other branch is cancelled', async (t) => {
  const h = await startHarness(t);
  const c = await caller(t);
  const ringing = await startSippUas(t, 'proxy-uas-ring-cancel.xml', 0, 'u1', { calls: 1 });
  const challenger = await startSippUas(t, 'proxy-uas-challenge.xml', 0, 'u1', { calls: 2 });
  const call = sendInvite(c, h);
  await waitPending(t, h, call);
  const cmd = proxyCommand(call.callId, 'simultaneous', [uasDest(ringing), uasDest(challenger)]);
  h.proxy.handleProxyCommand(h.conn, cmd);
  t.ok(await until(() => finals(c, call).length > 0));
  const res = finals(c, call)[0]!;
  t.equal(res.status, 401);
  t.match(res.get('www-authenticate') ?? '', /nonce="n0nce/);
  t.equal((await ringing.finish(5000)).successful, 1, 'the ringing branch was cancelled');
  await new Promise((r) => setTimeout(r, 100));
  t.same(h.conn.frames.map((f) => leader(f)[4] === 'done' ? 'done' : leader(f)[12]), ['continue', 'done'], "the 487 after done is not reported");
  t.equal(finals(c, call).length, 1, 'only the 401 went upstream');

  // spec 9.3: the credentialled retry, proxied again by the app, goes to the challenger whatever the app names.
  const retry = sendInvite(c, h, { extra: ['Authorization: Digest username="u", realm="sipedge.test", nonce="n0nce1", uri="sip:callee@x", response="00"'] });
  await waitPending(t, h, retry);
  const again = proxyCommand(retry.callId, 'serial', [`sip:elsewhere@127.0.0.1:${await freePort('udp')}`]);
  h.proxy.handleProxyCommand(h.conn, again);
  t.ok(await until(() => finals(c, retry).length > 0));
  t.equal(finals(c, retry)[0]!.status, 401);
  t.equal(leader(h.conn.frames[2]!)[8], String(challenger.port), 'the retry went to the challenging target');
  t.equal((await challenger.finish(5000)).successful, 2);
});

t.test('followRedirects: the 3xx Contact is tried', async (t) => {
  const h = await startHarness(t);
  const c = await caller(t);
  const answer = await startSippUas(t, 'proxy-uas-answer.xml', 0, 'u1', { calls: 1 });
  const redirect = await startSippUas(t, 'proxy-uas-redirect.xml', 0, 'u1', { calls: 1, injection: [[String(answer.port)]] });
  const call = sendInvite(c, h);
  await waitPending(t, h, call);
  const cmd = proxyCommand(call.callId, 'serial', [uasDest(redirect)], false, { followRedirects: true });
  h.proxy.handleProxyCommand(h.conn, cmd);
  t.ok(await until(() => finals(c, call).length > 0));
  t.equal(finals(c, call)[0]!.status, 200, 'the redirect target answered');
  t.ok(await until(() => h.conn.frames.length >= 3));
  t.match(h.conn.frames[0]!, /\r\nSIP\/2\.0 302 /);
  t.match(h.conn.frames[1]!, /\r\nSIP\/2\.0 200 /);
  t.equal(leader(h.conn.frames[2]!)[4], 'done');
  const ok = finals(c, call)[0]!;
  const callee = Number(ok.get('contact')!.match(/:(\d+);/)![1]);
  sendInDialog(c, call, ok, 'ACK', 1, callee);
  sendInDialog(c, call, ok, 'BYE', 2, callee);
  t.equal((await redirect.finish(5000)).successful, 1);
  t.equal((await answer.finish(5000)).successful, 1);
});

t.test('REGISTER with remainInDialog: Path + Require: path, foreign Request-URI kept', async (t) => {
  const h = await startHarness(t);
  const c = await caller(t);
  const registrar = await startSippUas(t, 'proxy-uas-register.xml', 0, 'u1', { calls: 1 });
  const callId = `reg-${process.pid}`;
  sendRaw(c, h.port, [
    'REGISTER sip:example.com SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${c.port};branch=z9hG4bKreg1;rport`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=r1',
    'To: <sip:alice@example.com>',
    `Call-ID: ${callId}`,
    'CSeq: 1 REGISTER',
    `Contact: <sip:alice@127.0.0.1:${c.port}>`,
    'Expires: 60',
    'Content-Length: 0',
  ]);
  t.ok(await until(() => h.pending.has(callId)));
  const cmd = proxyCommand(callId, 'serial', [uasDest(registrar)], true);
  h.proxy.handleProxyCommand(h.conn, cmd);
  t.ok(await until(() => c.responses.some((r) => r.callId === callId && r.status >= 200)));
  t.equal(c.responses.find((r) => r.callId === callId)!.status, 200);
  t.equal((await registrar.finish(5000)).successful, 1, 'the registrar saw Path, Require and the original Request-URI');
  t.ok(await until(() => h.conn.frames.length >= 2));
  t.equal(leader(h.conn.frames[1]!)[4], 'done');
});

t.test('finalTimeout: a target that only rings is cancelled and the next one tried', async (t) => {
  const h = await startHarness(t);
  const c = await caller(t);
  const ringing = await startSippUas(t, 'proxy-uas-ring-cancel.xml', 0, 'u1', { calls: 1 });
  const answer = await startSippUas(t, 'proxy-uas-answer.xml', 0, 'u1', { calls: 1 });
  const call = sendInvite(c, h);
  await waitPending(t, h, call);
  const cmd = proxyCommand(call.callId, 'serial', [uasDest(ringing), uasDest(answer)], false, { finalTimeout: '400ms' });
  h.proxy.handleProxyCommand(h.conn, cmd);
  t.ok(await until(() => finals(c, call).length > 0));
  t.equal(finals(c, call)[0]!.status, 200);
  t.equal((await ringing.finish(5000)).successful, 1, 'the ringing target was cancelled');
  t.ok(await until(() => h.conn.frames.some((f) => leader(f)[4] === 'done')));
  await new Promise((r) => setTimeout(r, 100));
  t.same(h.conn.frames.map((f) => (leader(f)[4] === 'done' ? 'done' : leader(f)[8])), [String(answer.port), 'done'],
    'only the answer is reported: the abandoned branch\'s 487 is not');
  const ok = finals(c, call)[0]!;
  const callee = Number(ok.get('contact')!.match(/:(\d+);/)![1]);
  sendInDialog(c, call, ok, 'ACK', 1, callee);
  sendInDialog(c, call, ok, 'BYE', 2, callee);
  t.equal((await answer.finish(5000)).successful, 1);
});

t.test('no usable destination: 500 upstream and NOK', async (t) => {
  const h = await startHarness(t);
  const c = await caller(t);
  const call = sendInvite(c, h);
  await waitPending(t, h, call);
  const cmd = proxyCommand(call.callId, 'serial', ['tel:+15550100', 'sip:sips:x@127.0.0.1']);
  h.proxy.handleProxyCommand(h.conn, cmd);
  t.ok(await until(() => h.conn.frames.length > 0));
  t.same(leader(h.conn.frames[0]!).slice(2), [cmd.msgId, 'NOK', 'error proxying request to ']);
  t.ok(await until(() => finals(c, call).length > 0));
  t.equal(finals(c, call)[0]!.status, 500);
  t.equal(h.conn.frames.length, 1, 'no done after the NOK');
});
