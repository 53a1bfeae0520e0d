// The rtpengine pool against two real daemons: fewest-sessions choice, a killed instance marked dead and left
// alone until it answers pings again, none live -> 503, and the metrics.
import t from 'tap';
import { Registry } from 'prom-client';
import { startRtpengine } from '../../helpers/rtpengine.js';
import { createRtpenginePool } from '../../../lib/media/rtpengine-pool.js';
import { createRtpengineCallMedia } from '../../../lib/media/rtpengine-call-media.js';
import { MediaUnavailableError, type CallMedia, type MediaParty } from '../../../lib/media/media-contract.js';

const flags = { dscp: 46, recording: false, deviceSrtp: 'offer' as const, avpOnlyUsers: [] };
const device: MediaParty = { side: 'device', user: 'alice', sourceAddress: '198.51.100.7', natted: true };
const callserver: MediaParty = { side: 'callserver' };
const offerSdp = 'v=0\r\no=pbx 1 1 IN IP4 192.168.1.10\r\ns=-\r\nc=IN IP4 192.168.1.10\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

async function until(what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

t.test('two instances: fewest sessions, failover when one dies, back after restart', async (t) => {
  const [r1, r2] = await Promise.all([startRtpengine(t), startRtpengine(t)]);
  const registry = new Registry();
  const pool = createRtpenginePool([r1.ngAddress, r2.ngAddress], { ngTimeoutMs: 300, pingIntervalMs: 200, registry });
  t.teardown(() => pool.close());
  const [i1, i2] = pool.instances;
  if (!i1 || !i2) throw new Error('two instances expected');
  t.notOk(i1.live, 'not live before a pong');
  await pool.pingAll();
  t.ok(i1.live && i2.live, 'both live after a pong');
  pool.start();

  let n = 0;
  const call = (): CallMedia =>
    createRtpengineCallMedia({ pool, flags, callId: `pool-${process.pid}-${++n}`, fromTag: 'ft', a: [callserver], b: [device] });

  const calls: CallMedia[] = [];
  for (let k = 0; k < 4; k++) {
    const c = call();
    await c.offer(offerSdp);
    calls.push(c);
  }
  t.equal(i1.sessions, 2, 'sessions spread: first instance');
  t.equal(i2.sessions, 2, 'sessions spread: second instance');
  t.equal((await r1.sessions()).length, 2);
  t.equal((await r2.sessions()).length, 2);
  await calls[0]?.delete();
  t.equal(pool.pick(), i1, 'the instance with fewer sessions is picked');

  let metrics = await registry.metrics();
  t.match(metrics, new RegExp(`sipedge_rtpengine_up\\{instance="${r1.ngAddress}"\\} 1`));
  t.match(metrics, new RegExp(`sipedge_media_sessions\\{instance="${r1.ngAddress}"\\} 1`));
  t.match(metrics, new RegExp(`sipedge_rtpengine_commands_total\\{instance="${r1.ngAddress}",command="offer",result="ok"\\} 2`));

  await r1.stop();
  await until('instance 1 dead', () => !i1.live);
  t.equal(pool.pick(), i2, 'only the live instance is picked');
  const c5 = call();
  await c5.offer(offerSdp);
  t.equal(i2.sessions, 3, 'new call on the live instance');
  metrics = await registry.metrics();
  t.match(metrics, new RegExp(`sipedge_rtpengine_up\\{instance="${r1.ngAddress}"\\} 0`));
  t.match(metrics, new RegExp(`sipedge_rtpengine_commands_total\\{instance="${r1.ngAddress}",command="ping",result="timeout"\\} \\d+`));

  // A call on the dead instance: its delete times out (three tries), is logged and counted, and never rejects.
  // (Calls alternate from the first instance: calls[0] and calls[2] went there, calls[0] is gone.)
  await calls[2]?.delete();
  t.equal(i1.sessions, 0, 'its session is given up');
  metrics = await registry.metrics();
  t.match(metrics, new RegExp(`sipedge_rtpengine_commands_total\\{instance="${r1.ngAddress}",command="delete",result="timeout"\\} 3`));

  await r1.restart();
  await until('instance 1 live again', () => i1.live);
  t.equal(pool.pick(), i1, 'back in use after a pong');
  t.same(
    pool.status().map((s) => ({ name: s.name, live: s.live, sessions: s.sessions })),
    [
      { name: r1.ngAddress, live: true, sessions: 0 },
      { name: r2.ngAddress, live: true, sessions: 3 },
    ],
    'status()',
  );
  for (const c of [...calls, c5]) await c.delete();
  t.strictSame(await r2.sessions(), [], 'no session left');
  t.equal(pool.activeSessions, 0);
});

t.test('an offer on an instance that just died moves to a live one and leaves nothing behind', async (t) => {
  const [r1, r2] = await Promise.all([startRtpengine(t), startRtpengine(t)]);
  const pool = createRtpenginePool([r1.ngAddress, r2.ngAddress], { ngTimeoutMs: 300, pingIntervalMs: 60_000 });
  t.teardown(() => pool.close());
  await pool.pingAll();
  await r1.stop(); // not noticed yet: no ping until the next interval
  const media = createRtpengineCallMedia({ pool, flags, callId: `move-${process.pid}`, fromTag: 'ft', a: [callserver], b: [device] });
  const sdp = await media.offer(offerSdp);
  t.match(sdp, /^m=audio \d+ RTP\/AVP/m);
  t.notOk(pool.instances[0]?.live, 'the dead one is marked dead');
  t.equal(pool.instances[1]?.sessions, 1, 'the call is on the live one');
  await media.delete();
  t.strictSame(await r2.sessions(), []);
});

t.test('no live instance: MediaUnavailableError 503', async (t) => {
  const r = await startRtpengine(t);
  const pool = createRtpenginePool([r.ngAddress], { ngTimeoutMs: 200, pingIntervalMs: 60_000 });
  t.teardown(() => pool.close());
  await r.stop();
  await pool.pingAll();
  t.throws(() => pool.pick(), { name: 'MediaUnavailableError', status: 503 });
  const media = createRtpengineCallMedia({ pool, flags, callId: `none-${process.pid}`, fromTag: 'ft', a: [callserver], b: [device] });
  const err = await media.offer(offerSdp).catch((e: unknown) => e);
  t.ok(err instanceof MediaUnavailableError && err.status === 503, 'offer rejects with 503');
  await media.delete();
  t.equal(pool.activeSessions, 0);
});
