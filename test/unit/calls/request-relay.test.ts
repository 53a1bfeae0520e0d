import t from 'tap';
import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import { relayedRequestHeaders, relayRequest } from '../../../lib/calls/request-relay.js';

/** The device's request as srf hands it to the app. */
function deviceRequest(): Srf.SrfRequest {
  const headers: Record<string, string> = {
    via: 'SIP/2.0/TCP 192.0.2.7:5060;branch=z9hG4bK1',
    from: '<sip:alice@gw.example>;tag=a1',
    to: '<sip:1000@gw.example>',
    'call-id': 'c1',
    cseq: '2 MESSAGE',
    'proxy-authorization': 'Digest username="alice", realm="gw.example"',
    'content-type': 'text/plain',
    'x-custom': 'kept',
  };
  return { method: 'MESSAGE', body: 'hi', headers, get: (n: string) => headers[n.toLowerCase()] } as unknown as Srf.SrfRequest;
}

/** What each target does: answer with a status (after ms), or never. */
type Behaviour = { status: number; ms?: number; headers?: Record<string, string> } | 'silent' | 'unsendable';

function srfWith(behaviours: Record<string, Behaviour>): { srf: Srf; sent: Array<{ uri: string; opts: { method: string; headers: Record<string, string>; body?: string } }> } {
  const sent: Array<{ uri: string; opts: { method: string; headers: Record<string, string>; body?: string } }> = [];
  const srf = {
    // srf's callback form, which the relay uses (lib/app/srf-request.ts).
    request(uri: string, opts: { method: string; headers: Record<string, string>; body?: string }, cb: (err: unknown, req?: EventEmitter) => void) {
      sent.push({ uri, opts });
      const b = behaviours[uri];
      if (b === 'unsendable') return cb(Object.assign(new Error('no route'), { status: 503 }));
      const req = new EventEmitter();
      if (b !== undefined && b !== 'silent') {
        setTimeout(() => {
          req.emit('response', { status: 100, reason: 'Trying', headers: {}, get: () => undefined });
          const headers = b.headers ?? {};
          req.emit('response', { status: b.status, reason: `R${b.status}`, headers, body: '', get: (n: string) => headers[n.toLowerCase()] });
        }, b.ms ?? 1);
      }
      cb(null, req);
    },
  } as unknown as Srf;
  return { srf, sent };
}

t.test('relayedRequestHeaders: the device leg keeps its credentials and per-hop headers', async (t) => {
  const h = relayedRequestHeaders(deviceRequest());
  const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  t.equal(lower['proxy-authorization'], undefined, 'no credentials');
  t.equal(lower['via'], undefined, 'no Via');
  t.equal(lower['cseq'], undefined, 'no CSeq');
  t.equal(lower['x-custom'], 'kept', 'unknown headers pass');
  t.equal(lower['from'], '<sip:alice@gw.example>;tag=a1', 'From kept');
  t.equal(lower['to'], '<sip:1000@gw.example>');
  t.equal(lower['content-type'], 'text/plain', 'the body keeps its type');
});

t.test('relayRequest: the first final answer other than 408/503 is the device answer', async (t) => {
  const { srf, sent } = srfWith({ 'sip:a': { status: 503 }, 'sip:b': { status: 202, headers: { 'x-answer': 'b' } }, 'sip:c': { status: 200 } });
  const o = await relayRequest(srf, deviceRequest(), ['sip:a', 'sip:b', 'sip:c'], 500);
  t.equal(o.status, 202);
  t.equal(o.reason, 'R202');
  t.equal(o.target, 'sip:b');
  t.same(o.headers, { 'x-answer': 'b' }, "the call server's headers pass back");
  t.same(sent.map((s) => s.uri), ['sip:a', 'sip:b'], 'c was never tried');
  t.equal(sent[0]?.opts.method, 'MESSAGE');
  t.equal(sent[0]?.opts.body, 'hi');
});

t.test('relayRequest: a silent target is abandoned after the timeout, an unsendable one skipped', async (t) => {
  const { srf, sent } = srfWith({ 'sip:a': 'silent', 'sip:b': 'unsendable', 'sip:c': { status: 486 } });
  const started = Date.now();
  const o = await relayRequest(srf, deviceRequest(), ['sip:a', 'sip:b', 'sip:c'], 100);
  t.equal(o.status, 486, 'a non-failover failure is final');
  t.ok(Date.now() - started >= 95, 'waited for the silent target');
  t.equal(sent.length, 3);
});

t.test('relayRequest: when every target fails, the last failure', async (t) => {
  const { srf } = srfWith({ 'sip:a': { status: 503 }, 'sip:b': 'silent' });
  const o = await relayRequest(srf, deviceRequest(), ['sip:a', 'sip:b'], 50);
  t.equal(o.status, 408);
  t.equal(o.target, undefined, 'no target answered');
  t.equal((await relayRequest(srf, deviceRequest(), [], 50)).status, 503, 'no target at all: 503');
});
