// Anchored call media against a real rtpengine: what each side's SDP becomes (RTP/AVP toward the call server,
// SRTP/OSRTP toward devices, plain RTP for AVP-only users), re-offers both ways, and no session left behind.
import t, { type Test } from 'tap';
import { startRtpengine, type RtpengineInstance } from '../../helpers/rtpengine.js';
import { createRtpenginePool, type RtpenginePool } from '../../../lib/media/rtpengine-pool.js';
import { createRtpengineCallMedia } from '../../../lib/media/rtpengine-call-media.js';
import { MediaUnavailableError, type MediaParty } from '../../../lib/media/media-contract.js';
import type { NgFlagsConfig } from '../../../lib/media/ng-flags.js';
import { connectionAddresses, cryptoSuites, hasCrypto, mediaLines } from '../../../lib/media/sdp-facts.js';

const KEY = 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz';
function sdp(addr: string, port: number, proto: string, crypto = false, origin = 'x'): string {
  return [
    'v=0',
    `o=${origin} 1 1 IN IP4 ${addr}`,
    's=-',
    `c=IN IP4 ${addr}`,
    't=0 0',
    `m=audio ${port} ${proto} 0 8 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    ...(crypto ? [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`] : []),
    'a=sendrecv',
    '',
  ].join('\r\n');
}
const deviceSavp = sdp('203.0.113.5', 4000, 'RTP/SAVP', true, 'dev');
const deviceOsrtp = sdp('203.0.113.5', 4000, 'RTP/AVP', true, 'dev');
const devicePlain = sdp('203.0.113.5', 4000, 'RTP/AVP', false, 'dev');
const pbx = sdp('192.168.1.10', 6000, 'RTP/AVP', false, 'pbx');

const device: MediaParty = { side: 'device', user: 'alice', sourceAddress: '203.0.113.5', natted: true };
const avpOnlyDevice: MediaParty = { side: 'device', user: 'oldphone', sourceAddress: '203.0.113.6', natted: true };
const callserver: MediaParty = { side: 'callserver' };

const flags = (over: Partial<NgFlagsConfig> = {}): NgFlagsConfig => ({
  dscp: 46,
  recording: false,
  deviceSrtp: 'offer',
  avpOnlyUsers: ['oldphone'],
  ...over,
});

/** The SDP points at rtpengine: c= is 127.0.0.1 and every m= port is in its range. */
function assertAnchored(t: Test, body: string, rtp: RtpengineInstance, what: string): void {
  t.strictSame([...new Set(connectionAddresses(body))], ['127.0.0.1'], `${what}: c= is rtpengine's`);
  for (const m of mediaLines(body)) {
    t.ok(m.port >= rtp.portMin && m.port <= rtp.portMax, `${what}: m= port ${m.port} in ${rtp.portMin}-${rtp.portMax}`);
  }
  t.match(body, /^o=\S+ \d+ \d+ IN IP4 127\.0\.0\.1\r?$/m, `${what}: o= is rtpengine's`);
}

let rtp: RtpengineInstance;
let pool: RtpenginePool;
let n = 0;
const callId = (): string => `call-${process.pid}-${++n}`;

t.before(async () => {
  rtp = await startRtpengine(t);
  pool = createRtpenginePool([rtp.ngAddress], { ngTimeoutMs: 1000, pingIntervalMs: 60_000 });
  t.teardown(() => pool.close());
  await pool.pingAll();
});

t.test('device SAVP offer -> plain RTP/AVP toward the call server; answer -> RTP/SAVP with crypto', async (t) => {
  const id = callId();
  const media = createRtpengineCallMedia({ pool, flags: flags(), callId: id, fromTag: 'ft1', a: [device], b: [callserver] });
  t.equal(media.mode, 'anchor');
  const offer = await media.offer(deviceSavp);
  t.strictSame(mediaLines(offer).map((m) => m.proto), ['RTP/AVP'], 'RTP/AVP toward the call server');
  t.notOk(hasCrypto(offer), 'no a=crypto toward the call server');
  assertAnchored(t, offer, rtp, 'offer');
  t.equal(pool.activeSessions, 1, 'one session counted');

  const answer = await media.answer(pbx);
  t.strictSame(mediaLines(answer).map((m) => m.proto), ['RTP/SAVP'], 'device gets RTP/SAVP');
  t.strictSame(cryptoSuites(answer), ['AES_CM_128_HMAC_SHA1_80'], 'with its own suite');
  assertAnchored(t, answer, rtp, 'answer');
  t.strictSame(await rtp.sessions(), [id]);

  await media.delete();
  t.strictSame(await rtp.sessions(), [], 'no session left');
  t.equal(pool.activeSessions, 0);
  await media.delete();
  t.equal(pool.activeSessions, 0, 'delete twice is fine and counts once');
  await t.rejects(media.answer(pbx), { name: 'MediaUnavailableError', status: 503 }, 'nothing after delete');
  t.strictSame(await rtp.sessions(), [], 'and nothing recreated');
});

t.test('device OSRTP offer (RTP/AVP + crypto) is taken as SRTP and answered with crypto', async (t) => {
  const media = createRtpengineCallMedia({ pool, flags: flags(), callId: callId(), fromTag: 'ft2', a: [device], b: [callserver] });
  const offer = await media.offer(deviceOsrtp);
  t.strictSame(mediaLines(offer).map((m) => m.proto), ['RTP/AVP']);
  t.notOk(hasCrypto(offer));
  const answer = await media.answer(pbx);
  t.strictSame(mediaLines(answer).map((m) => m.proto), ['RTP/AVP'], 'OSRTP answer keeps RTP/AVP');
  t.strictSame(cryptoSuites(answer), ['AES_CM_128_HMAC_SHA1_80'], 'with crypto');
  await media.delete();
});

t.test('call server -> device: OSRTP offer with only the two AES_CM_128 suites; device answers SRTP', async (t) => {
  const media = createRtpengineCallMedia({ pool, flags: flags(), callId: callId(), fromTag: 'ft3', a: [callserver], b: [device] });
  const offer = await media.offer(pbx);
  t.strictSame(mediaLines(offer).map((m) => m.proto), ['RTP/AVP'], 'RTP/AVP (RFC 8643)');
  t.strictSame(cryptoSuites(offer), ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'], 'only the AES_CM_128 suites');
  assertAnchored(t, offer, rtp, 'offer');
  const answer = await media.answer(deviceOsrtp);
  t.strictSame(mediaLines(answer).map((m) => m.proto), ['RTP/AVP']);
  t.notOk(hasCrypto(answer), 'plain toward the call server');
  await media.delete();
});

t.test("deviceSrtp 'require': RTP/SAVP toward the device", async (t) => {
  const media = createRtpengineCallMedia({
    pool,
    flags: flags({ deviceSrtp: 'require' }),
    callId: callId(),
    fromTag: 'ft4',
    a: [callserver],
    b: [device],
  });
  const offer = await media.offer(pbx);
  t.strictSame(mediaLines(offer).map((m) => m.proto), ['RTP/SAVP']);
  t.strictSame(cryptoSuites(offer), ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']);
  const answer = await media.answer(deviceSavp);
  t.strictSame(mediaLines(answer).map((m) => m.proto), ['RTP/AVP']);
  t.notOk(hasCrypto(answer));
  await media.delete();
});

t.test('AVP-only user and deviceSrtp off: plain RTP toward the device', async (t) => {
  for (const [label, f, party] of [
    ['avpOnlyUsers', flags(), avpOnlyDevice],
    ["deviceSrtp 'off'", flags({ deviceSrtp: 'off' }), device],
  ] as const) {
    const media = createRtpengineCallMedia({ pool, flags: f, callId: callId(), fromTag: 'ft5', a: [callserver], b: [party] });
    const offer = await media.offer(pbx);
    t.strictSame(mediaLines(offer).map((m) => m.proto), ['RTP/AVP'], label);
    t.notOk(hasCrypto(offer), `${label}: no crypto`);
    const answer = await media.answer(devicePlain);
    t.notOk(hasCrypto(answer), `${label}: plain answer`);
    await media.delete();
  }
});

t.test('re-offers in both directions keep each side its own profile', async (t) => {
  const id = callId();
  const media = createRtpengineCallMedia({ pool, flags: flags(), callId: id, fromTag: 'ft6', a: [device], b: [callserver] });
  await media.offer(deviceSavp);
  const firstAnswer = await media.answer(pbx);

  // Re-INVITE from the call server (B) toward the device (A): the device gets SRTP again.
  // (rtpengine 10.5 moves the device-side port too when the call server's own port changes; here it does not.)
  const fromB = await media.reoffer('b', pbx.replace('o=pbx 1 1', 'o=pbx 1 2'));
  t.strictSame(mediaLines(fromB).map((m) => m.proto), ['RTP/SAVP'], 'reoffer b->a: SAVP toward the device');
  t.ok(hasCrypto(fromB));
  t.equal(mediaLines(fromB)[0]?.port, mediaLines(firstAnswer)[0]?.port, 'same rtpengine port toward the device');
  const backToB = await media.reanswer('b', deviceSavp);
  t.strictSame(mediaLines(backToB).map((m) => m.proto), ['RTP/AVP'], 'reanswer toward the call server: plain');
  t.notOk(hasCrypto(backToB));
  assertAnchored(t, backToB, rtp, 'reanswer b');

  // Re-INVITE from the device (A): plain toward the call server, SRTP answer back.
  const fromA = await media.reoffer('a', deviceSavp);
  t.strictSame(mediaLines(fromA).map((m) => m.proto), ['RTP/AVP'], 'reoffer a->b: plain toward the call server');
  t.notOk(hasCrypto(fromA));
  const backToA = await media.reanswer('a', pbx);
  t.strictSame(mediaLines(backToA).map((m) => m.proto), ['RTP/SAVP'], 'reanswer toward the device: SAVP');
  t.ok(hasCrypto(backToA));
  t.equal(pool.activeSessions, 1, 'still one session');
  t.strictSame(await rtp.sessions(), [id]);
  await media.delete();
  t.strictSame(await rtp.sessions(), []);
});

t.test('a fork tag given to answer() names leg B', async (t) => {
  const id = callId();
  const media = createRtpengineCallMedia({ pool, flags: flags(), callId: id, fromTag: 'ft7', a: [callserver], b: [device, device] });
  await media.offer(pbx);
  await media.answer(deviceOsrtp, 'fork-2');
  const q = await rtp.ng('query', { 'call-id': id });
  t.ok(Object.keys((q.tags ?? {}) as object).includes('fork-2'), 'rtpengine knows the fork tag');
  const re = await media.reoffer('b', deviceOsrtp);
  t.strictSame(mediaLines(re).map((m) => m.proto), ['RTP/AVP']);
  await media.delete();
  t.strictSame(await rtp.sessions(), []);
});

t.test('SDP rtpengine refuses -> 488 and nothing left behind', async (t) => {
  const media = createRtpengineCallMedia({ pool, flags: flags(), callId: callId(), fromTag: 'ft8', a: [device], b: [callserver] });
  const err = await media.offer('this is not SDP').catch((e: unknown) => e);
  t.ok(err instanceof MediaUnavailableError, 'a MediaUnavailableError');
  t.equal((err as MediaUnavailableError).status, 488);
  t.strictSame(await rtp.sessions(), []);
  t.equal(pool.activeSessions, 0, 'not counted');
  await media.delete();
  t.equal(pool.activeSessions, 0);
});

t.test('recording: record-call accepted by the daemon', async (t) => {
  const media = createRtpengineCallMedia({ pool, flags: flags({ recording: true }), callId: callId(), fromTag: 'ft9', a: [device], b: [callserver] });
  const offer = await media.offer(deviceSavp);
  t.strictSame(mediaLines(offer).map((m) => m.proto), ['RTP/AVP']);
  await media.answer(pbx);
  await media.delete();
  t.strictSame(await rtp.sessions(), []);
});

t.test('device to device: an SAVP offer reaches the other device as OSRTP, answered SRTP both ways', async (t) => {
  const other: MediaParty = { side: 'device', user: 'bob', sourceAddress: '198.51.100.20', natted: true };
  const media = createRtpengineCallMedia({ pool, flags: flags(), callId: callId(), fromTag: 'ft10', a: [device], b: [other] });
  const offer = await media.offer(deviceSavp);
  t.strictSame(mediaLines(offer).map((m) => m.proto), ['RTP/AVP']);
  t.ok(hasCrypto(offer), 'OSRTP toward the other device');
  const answer = await media.answer(deviceOsrtp.replace('203.0.113.5', '198.51.100.20'));
  t.strictSame(mediaLines(answer).map((m) => m.proto), ['RTP/SAVP'], 'the caller keeps SAVP');
  t.ok(hasCrypto(answer));
  await media.delete();
  t.strictSame(await rtp.sessions(), []);
});
