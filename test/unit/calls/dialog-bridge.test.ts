import t from 'tap';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type Srf from 'drachtio-srf';
import { DialogBridge, sessionExpiresOf, statusOf, type BridgeDialog, type BridgeHooks } from '../../../lib/calls/dialog-bridge.js';
import type { CallMedia } from '../../../lib/media/media-contract.js';

const log = pino({ level: 'silent' });

function getter(headers: Record<string, string>): (name: string) => string | undefined {
  return (name) => {
    const k = Object.keys(headers).find((h) => h.toLowerCase() === name.toLowerCase());
    return k === undefined ? undefined : headers[k];
  };
}

interface FakeResponse {
  status: number;
  reason: string;
  headers: Record<string, string>;
  body?: string;
  get(name: string): string | undefined;
}
function response(status: number, reason: string, headers: Record<string, string> = {}, body?: string): FakeResponse {
  return { status, reason, headers, ...(body === undefined ? {} : { body }), get: getter(headers) };
}

class FakeDialog extends EventEmitter implements BridgeDialog {
  connected = true;
  readonly local: { sdp: string };
  readonly destroyCalls: unknown[] = [];
  readonly modifyCalls: Array<[string, { headers?: Record<string, string> } | undefined]> = [];
  readonly requestCalls: Array<{ method: string; headers?: Record<string, string>; body?: string }> = [];
  modifyImpl: (sdp: string) => Promise<string> = async (sdp) => `answer-to:${sdp}`;
  requestImpl: (opts: { method: string }) => Promise<FakeResponse> = async () => response(200, 'OK');
  destroyImpl: () => Promise<unknown> | void = async () => undefined;

  constructor(
    readonly id: string,
    readonly sip: { callId: string; localTag: string; remoteTag: string },
  ) {
    super();
    this.local = { sdp: `local-sdp-of-${id}` };
  }

  modify(sdp: string, opts?: { headers?: Record<string, string> }): Promise<string> {
    this.modifyCalls.push([sdp, opts]);
    return this.modifyImpl(sdp);
  }

  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<Srf.SrfResponse> {
    this.requestCalls.push(opts);
    return this.requestImpl(opts) as unknown as Promise<Srf.SrfResponse>;
  }

  destroy(opts?: { headers?: Record<string, string> }): Promise<unknown> | void {
    this.destroyCalls.push(opts);
    this.connected = false;
    return this.destroyImpl();
  }

  /** The far end sent BYE: srf marks the dialog gone and emits 'destroy'. */
  byeFromFarEnd(): void {
    this.connected = false;
    this.emit('destroy', {}, {});
  }
}

class FakeMedia implements CallMedia {
  readonly mode = 'anchor' as const;
  readonly calls: unknown[][] = [];
  async offer(sdp: string): Promise<string> {
    this.calls.push(['offer', sdp]);
    return `relayed:${sdp}`;
  }
  async answer(sdp: string, branch?: string): Promise<string> {
    this.calls.push(['answer', sdp, branch]);
    return `relayed:${sdp}`;
  }
  async reoffer(from: 'a' | 'b', sdp: string): Promise<string> {
    this.calls.push(['reoffer', from, sdp]);
    return `reoffer-${from}:${sdp}`;
  }
  async reanswer(from: 'a' | 'b', sdp: string): Promise<string> {
    this.calls.push(['reanswer', from, sdp]);
    return `reanswer-${from}:${sdp}`;
  }
  async delete(): Promise<void> {
    this.calls.push(['delete']);
  }
  count(name: string): number {
    return this.calls.filter((c) => c[0] === name).length;
  }
}

class FakeRes {
  readonly sent: unknown[][] = [];
  finalResponseSent = false;
  send(...args: unknown[]): void {
    this.sent.push(args);
    if (typeof args[0] === 'number' && args[0] >= 200) this.finalResponseSent = true;
  }
}

function fakeReq(headers: Record<string, string>, body?: string): { headers: Record<string, string>; body: string | undefined; get(name: string): string | undefined } {
  return { headers, body, get: getter(headers) };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setImmediate(r));
}

function setup(hooks: Partial<BridgeHooks> = {}) {
  const a = new FakeDialog('a', { callId: 'call-a', localTag: 'la', remoteTag: 'ra' });
  const b = new FakeDialog('b', { callId: 'call-b', localTag: 'lb', remoteTag: 'rb' });
  const media = new FakeMedia();
  const ends: Array<[DialogBridge, string]> = [];
  const bridge = new DialogBridge(a, b, media, { log, onEnd: (br, why) => ends.push([br, why]), ...hooks });
  return { a, b, media, ends, bridge };
}

t.test('sessionExpiresOf', async (t) => {
  const m = (v: string | undefined) => ({ get: (n: string) => (n === 'Session-Expires' ? v : undefined) });
  t.equal(sessionExpiresOf(m('1800;refresher=uac')), 1832, 'the margin is capped at 32 s');
  t.equal(sessionExpiresOf(m('90')), 120, 'a third of the interval below the cap');
  t.equal(sessionExpiresOf(m(' 300 ')), 332);
  t.equal(sessionExpiresOf(undefined, m('90')), 120, 'an absent message is skipped');
  t.equal(sessionExpiresOf(m('abc'), m('90')), 120, 'an unparsable value is skipped');
  t.equal(sessionExpiresOf(m('0')), undefined, 'zero is no timer');
  t.equal(sessionExpiresOf(m(undefined)), undefined);
  t.equal(sessionExpiresOf(), undefined);
  t.equal(sessionExpiresOf(m('90'), m('1800')), 120, 'the first message with a value wins');
});

t.test('statusOf', async (t) => {
  t.equal(statusOf({ status: 488 }), 488);
  t.equal(statusOf({ status: 603 }), 603);
  t.equal(statusOf({ status: 200 }), undefined);
  t.equal(statusOf({ status: 700 }), undefined);
  t.equal(statusOf({ status: '488' }), undefined);
  t.equal(statusOf(null), undefined);
  t.equal(statusOf(new Error('x')), undefined);
});

t.test('a BYE on leg a ends leg b once and deletes the media once', async (t) => {
  const { a, b, media, ends, bridge } = setup();
  t.equal(bridge.isEnded, false);
  t.equal(media.count('delete'), 0);
  a.byeFromFarEnd();
  t.equal(b.destroyCalls.length, 1, 'BYE to b');
  t.equal(a.destroyCalls.length, 0, 'no BYE back to a');
  t.equal(media.count('delete'), 1);
  t.equal(ends.length, 1);
  t.equal(ends[0]?.[0], bridge);
  t.equal(ends[0]?.[1], 'bye-from-a');
  t.equal(bridge.isEnded, true);
  // The BYE the bridge sent makes srf emit 'destroy' on b too; a repeat on a changes nothing either.
  b.emit('destroy', {}, {});
  a.emit('destroy', {}, {});
  bridge.hangUp('later');
  t.equal(b.destroyCalls.length, 1);
  t.equal(a.destroyCalls.length, 0);
  t.equal(media.count('delete'), 1);
  t.equal(ends.length, 1);
});

t.test('a BYE on leg b ends leg a', async (t) => {
  const { a, b, media, ends, bridge } = setup();
  b.byeFromFarEnd();
  t.equal(a.destroyCalls.length, 1);
  t.equal(b.destroyCalls.length, 0);
  t.equal(media.count('delete'), 1);
  t.same(ends.map((e) => e[1]), ['bye-from-b']);
  t.equal(bridge.isEnded, true);
});

t.test('a failing BYE to the other leg still ends the call', async (t) => {
  const { a, b, media, ends } = setup();
  b.destroyImpl = () => {
    throw new Error('sync failure');
  };
  a.byeFromFarEnd();
  t.equal(b.destroyCalls.length, 1);
  t.equal(media.count('delete'), 1);
  t.equal(ends.length, 1);
  const s2 = setup();
  s2.a.destroyImpl = () => Promise.reject(new Error('async failure'));
  s2.b.byeFromFarEnd();
  await sleep(5);
  t.equal(s2.a.destroyCalls.length, 1);
  t.equal(s2.ends.length, 1, 'a rejected BYE is absorbed');
});

t.test('hangUp destroys both legs once', async (t) => {
  const { a, b, media, ends, bridge } = setup();
  bridge.hangUp('shutdown');
  t.equal(a.destroyCalls.length, 1);
  t.equal(b.destroyCalls.length, 1);
  t.equal(media.count('delete'), 1);
  t.same(ends.map((e) => e[1]), ['shutdown']);
  t.equal(ends[0]?.[0], bridge);
  bridge.hangUp('again');
  a.emit('destroy', {}, {});
  t.equal(a.destroyCalls.length, 1);
  t.equal(b.destroyCalls.length, 1);
  t.equal(media.count('delete'), 1);
  t.equal(ends.length, 1);
});

t.test('a leg already gone at construction ends the bridge at once', async (t) => {
  const a = new FakeDialog('a', { callId: 'ca', localTag: 'x', remoteTag: 'y' });
  const b = new FakeDialog('b', { callId: 'cb', localTag: 'x', remoteTag: 'y' });
  a.connected = false;
  const media = new FakeMedia();
  const ends: string[] = [];
  const bridge = new DialogBridge(a, b, media, { log, onEnd: (_br, why) => ends.push(why) });
  t.equal(bridge.isEnded, true);
  t.equal(b.destroyCalls.length, 1, 'BYE to b');
  t.equal(a.destroyCalls.length, 0, 'nothing to a, it is gone');
  t.equal(media.count('delete'), 1);
  t.same(ends, ['a-gone-before-bridge']);

  const a2 = new FakeDialog('a', { callId: 'ca2', localTag: 'x', remoteTag: 'y' });
  const b2 = new FakeDialog('b', { callId: 'cb2', localTag: 'x', remoteTag: 'y' });
  b2.connected = false;
  const media2 = new FakeMedia();
  const ends2: string[] = [];
  const bridge2 = new DialogBridge(a2, b2, media2, { log, onEnd: (_br, why) => ends2.push(why) });
  t.equal(bridge2.isEnded, true);
  t.equal(a2.destroyCalls.length, 1);
  t.equal(b2.destroyCalls.length, 0);
  t.equal(media2.count('delete'), 1);
  t.same(ends2, ['b-gone-before-bridge']);
});

t.test('a re-INVITE from a goes through media to b and back', async (t) => {
  const { a, b, media, bridge } = setup();
  b.modifyImpl = async () => 'v=0 answer-from-b';
  const res = new FakeRes();
  a.emit('modify', fakeReq({ Via: 'SIP/2.0/UDP x', CSeq: '2 INVITE', 'Content-Type': 'application/sdp', 'X-Trace': 't1', 'Session-Expires': '1800' }, 'v=0 offer-from-a'), res);
  await until(() => res.sent.length > 0);
  t.same(media.calls, [
    ['reoffer', 'a', 'v=0 offer-from-a'],
    ['reanswer', 'a', 'v=0 answer-from-b'],
  ]);
  t.same(b.modifyCalls, [['reoffer-a:v=0 offer-from-a', { headers: { 'X-Trace': 't1', 'Session-Expires': '1800' } }]]);
  t.equal(a.modifyCalls.length, 0);
  t.same(res.sent, [[200, { body: 'reanswer-a:v=0 answer-from-b', headers: { 'Content-Type': 'application/sdp' } }]]);
  t.equal(bridge.isEnded, false);
});

t.test('a re-INVITE from b uses leg b', async (t) => {
  const { a, b, media } = setup();
  a.modifyImpl = async () => 'v=0 answer-from-a';
  const res = new FakeRes();
  b.emit('modify', fakeReq({ 'Content-Type': 'application/sdp' }, 'v=0 offer-from-b'), res);
  await until(() => res.sent.length > 0);
  t.same(media.calls, [
    ['reoffer', 'b', 'v=0 offer-from-b'],
    ['reanswer', 'b', 'v=0 answer-from-a'],
  ]);
  t.same(a.modifyCalls, [['reoffer-b:v=0 offer-from-b', { headers: {} }]]);
  t.equal(b.modifyCalls.length, 0);
  t.same(res.sent, [[200, { body: 'reanswer-b:v=0 answer-from-a', headers: { 'Content-Type': 'application/sdp' } }]]);
});

t.test('a refused re-INVITE relays the status', async (t) => {
  const { a, b, media, bridge } = setup();
  b.modifyImpl = () => Promise.reject(Object.assign(new Error('refused'), { status: 488 }));
  const res = new FakeRes();
  a.emit('modify', fakeReq({}, 'v=0 offer'), res);
  await until(() => res.sent.length > 0);
  t.same(res.sent, [[488, {}]]);
  t.equal(media.count('reanswer'), 0);
  t.equal(bridge.isEnded, false, 'the call goes on');

  b.modifyImpl = () => Promise.reject(new Error('no status'));
  const res2 = new FakeRes();
  a.emit('modify', fakeReq({}, 'v=0 offer'), res2);
  await until(() => res2.sent.length > 0);
  t.same(res2.sent, [[500, {}]], 'an error without a SIP status is a 500');
});

t.test('a re-INVITE without SDP is answered with the leg\'s current SDP', async (t) => {
  const { a, b, media } = setup();
  const res = new FakeRes();
  a.emit('modify', fakeReq({}, ''), res);
  await until(() => res.sent.length > 0);
  t.same(res.sent, [[200, { body: 'local-sdp-of-a', headers: { 'Content-Type': 'application/sdp' } }]]);
  t.equal(b.modifyCalls.length, 0);
  t.equal(media.calls.length, 0);
});

t.test('an UPDATE with SDP is relayed as an UPDATE', async (t) => {
  const { a, b, media } = setup();
  b.requestImpl = async () => response(200, 'OK', { 'Content-Type': 'application/sdp' }, 'v=0 upd-answer');
  const res = new FakeRes();
  a.emit('update', fakeReq({ 'X-A': '1', 'Content-Type': 'application/sdp' }, 'v=0 upd-offer'), res);
  await until(() => res.sent.length > 0);
  t.same(b.requestCalls, [{ method: 'UPDATE', headers: { 'X-A': '1', 'Content-Type': 'application/sdp' }, body: 'reoffer-a:v=0 upd-offer' }]);
  t.same(media.calls, [
    ['reoffer', 'a', 'v=0 upd-offer'],
    ['reanswer', 'a', 'v=0 upd-answer'],
  ]);
  t.same(res.sent, [[200, { body: 'reanswer-a:v=0 upd-answer', headers: { 'Content-Type': 'application/sdp' } }]]);
});

t.test('an INFO from a is relayed to b, the response back', async (t) => {
  const { a, b } = setup();
  b.requestImpl = async () => response(200, 'OK', { Via: 'v', CSeq: '3 INFO', 'Content-Type': 'text/plain', 'X-Resp': 'r' }, 'done');
  const res = new FakeRes();
  a.emit('info', fakeReq({ Via: 'v', 'Call-ID': 'call-a', 'Content-Type': 'application/dtmf-relay', 'X-Foo': '1' }, 'Signal=5\r\nDuration=160\r\n'), res);
  await until(() => res.sent.length > 0);
  t.same(b.requestCalls, [{ method: 'INFO', headers: { 'X-Foo': '1', 'Content-Type': 'application/dtmf-relay' }, body: 'Signal=5\r\nDuration=160\r\n' }]);
  t.equal(a.requestCalls.length, 0);
  t.same(res.sent, [[200, 'OK', { headers: { 'X-Resp': 'r', 'Content-Type': 'text/plain' }, body: 'done' }]]);
});

t.test('a failure status of the other leg is relayed as it is', async (t) => {
  const { a, b } = setup();
  a.requestImpl = async () => response(415, 'Unsupported Media Type');
  const res = new FakeRes();
  b.emit('message', fakeReq({ 'Content-Type': 'text/plain' }, 'hi'), res);
  await until(() => res.sent.length > 0);
  t.same(a.requestCalls, [{ method: 'MESSAGE', headers: { 'Content-Type': 'text/plain' }, body: 'hi' }]);
  t.same(res.sent, [[415, 'Unsupported Media Type', { headers: {} }]]);

  a.requestImpl = () => Promise.reject(Object.assign(new Error('timeout'), { status: 408 }));
  const res2 = new FakeRes();
  b.emit('options', fakeReq({}), res2);
  await until(() => res2.sent.length > 0);
  t.same(a.requestCalls[1], { method: 'OPTIONS', headers: {} }, 'no body, no Content-Type');
  t.same(res2.sent, [[408, {}]]);
});

t.test('a REFER passes through the referHeaders hook', async (t) => {
  const seen: Array<Record<string, string>> = [];
  const { a, b } = setup({
    referHeaders: (h) => {
      seen.push(h);
      return { ...h, 'Refer-To': '<sip:rewritten@x>' };
    },
  });
  b.requestImpl = async () => response(202, 'Accepted');
  const res = new FakeRes();
  a.emit('refer', fakeReq({ CSeq: '4 REFER', 'Refer-To': '<sip:bob@x?Replaces=abc>', 'Referred-By': '<sip:alice@x>' }), res);
  await until(() => res.sent.length > 0);
  t.same(seen, [{ 'Refer-To': '<sip:bob@x?Replaces=abc>', 'Referred-By': '<sip:alice@x>' }]);
  t.same(b.requestCalls, [{ method: 'REFER', headers: { 'Refer-To': '<sip:rewritten@x>', 'Referred-By': '<sip:alice@x>' } }]);
  t.same(res.sent, [[202, 'Accepted', { headers: {} }]]);

  // Other methods do not go through the hook.
  const res2 = new FakeRes();
  a.emit('notify', fakeReq({ Event: 'refer' }), res2);
  await until(() => res2.sent.length > 0);
  t.equal(seen.length, 1);
  t.same(b.requestCalls[1], { method: 'NOTIFY', headers: { Event: 'refer' } });
});

t.test('session timer: no refresh within the interval hangs up', async (t) => {
  const { a, b, media, ends, bridge } = setup({ sessionExpiresS: 0.15 });
  await sleep(60);
  t.equal(bridge.isEnded, false, 'not before the interval');
  await sleep(200);
  t.equal(bridge.isEnded, true);
  t.equal(a.destroyCalls.length, 1);
  t.equal(b.destroyCalls.length, 1);
  t.equal(media.count('delete'), 1);
  t.same(ends.map((e) => e[1]), ['session-expired']);
});

t.test('session timer: a relayed re-INVITE re-arms it', async (t) => {
  const { a, bridge, ends } = setup({ sessionExpiresS: 0.3 });
  await sleep(200);
  const res = new FakeRes();
  a.emit('modify', fakeReq({}, 'v=0 refresh'), res);
  await until(() => res.sent.length > 0);
  t.equal(res.sent[0]?.[0], 200);
  await sleep(220); // ~420 ms after the start: past the first deadline, before the re-armed one (~500 ms)
  t.equal(bridge.isEnded, false, 'the refresh moved the deadline');
  await sleep(250);
  t.equal(bridge.isEnded, true, 'expired without a second refresh');
  t.same(ends.map((e) => e[1]), ['session-expired']);
});

t.test('session timer: a failed re-INVITE does not re-arm it, an ended call has none', async (t) => {
  const { a, b, bridge } = setup({ sessionExpiresS: 0.2 });
  b.modifyImpl = () => Promise.reject({ status: 488 });
  await sleep(100);
  const res = new FakeRes();
  a.emit('modify', fakeReq({}, 'v=0 refresh'), res);
  await until(() => res.sent.length > 0);
  t.same(res.sent, [[488, {}]]);
  await sleep(150);
  t.equal(bridge.isEnded, true, 'hung up at the original deadline');

  const s = setup({ sessionExpiresS: 0.1 });
  s.a.byeFromFarEnd();
  await sleep(150);
  t.equal(s.ends.length, 1, 'the timer does not fire after the end');
  t.equal(s.a.destroyCalls.length, 0);
});
