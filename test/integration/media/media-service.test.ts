// The media service end to end with real rtpengines: bypass (SDP byte-identical) for a local, un-NATted device;
// anchoring when the device is NATted or recording is on; no rtpengine configured -> bypass; and media.launch
// starting and stopping a daemon by PID.
import t from 'tap';
import { Registry } from 'prom-client';
import { resolveConfig } from '../../../lib/config/load-config.js';
import type { MediaConfig } from '../../../lib/config/config-schema.js';
import { createMediaService } from '../../../lib/media/media-service.js';
import { launchRtpengine } from '../../../lib/media/rtpengine-launcher.js';
import type { MediaParty } from '../../../lib/media/media-contract.js';
import { claimPortBlock, startRtpengine } from '../../helpers/rtpengine.js';
import { freePort } from '../../helpers/ports.js';
import { connectionAddresses } from '../../../lib/media/sdp-facts.js';

const deviceSdp =
  'v=0\r\no=dev 7 7 IN IP4 10.1.2.3\r\ns=-\r\nc=IN IP4 10.1.2.3\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n' +
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n';
const pbxSdp = 'v=0\r\no=pbx 1 1 IN IP4 192.168.1.10\r\ns=-\r\nc=IN IP4 192.168.1.10\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
const callserver: MediaParty = { side: 'callserver' };
const localDevice: MediaParty = { side: 'device', user: 'alice', sourceAddress: '10.1.2.3', natted: false };
const nattedDevice: MediaParty = { ...localDevice, natted: true };
const remoteDevice: MediaParty = { side: 'device', user: 'bob', sourceAddress: '198.51.100.9', natted: false };

function mediaConfig(media: Record<string, unknown>): MediaConfig {
  return resolveConfig({ media }).media;
}

t.test('bypass vs anchor', async (t) => {
  const rtp = await startRtpengine(t);
  const svc = await createMediaService(mediaConfig({ rtpengines: [rtp.ngAddress], localNetworks: ['10.0.0.0/8', 'fd00::/8'] }), {
    registry: new Registry(),
  });
  t.teardown(() => svc.close());
  t.ok(svc.pool?.instances[0]?.live, 'pinged once at creation');

  const bypass = svc.forCall('by-1', 'ft', localDevice, callserver);
  t.equal(bypass.mode, 'bypass', 'local, un-NATted device');
  t.equal(await bypass.offer(deviceSdp), deviceSdp, 'offer byte-identical');
  t.equal(await bypass.answer(pbxSdp), pbxSdp, 'answer byte-identical');
  t.equal(await bypass.reoffer('b', pbxSdp), pbxSdp);
  t.equal(await bypass.reanswer('b', deviceSdp), deviceSdp);
  await bypass.delete();
  t.equal(svc.activeSessions, 0);
  t.strictSame(await rtp.sessions(), [], 'rtpengine never involved');

  const cases: Array<[string, MediaParty, MediaParty | MediaParty[]]> = [
    ['NATted device', nattedDevice, callserver],
    ['device outside localNetworks', callserver, remoteDevice],
    ['one fork outside localNetworks', callserver, [localDevice, remoteDevice]],
  ];
  for (const [label, a, b] of cases) {
    const m = svc.forCall(`an-${label}`, 'ft', a, b);
    t.equal(m.mode, 'anchor', label);
    const out = await m.offer(a.side === 'device' ? deviceSdp : pbxSdp);
    t.strictSame([...new Set(connectionAddresses(out))], ['127.0.0.1'], `${label}: through rtpengine`);
    t.equal(svc.activeSessions, 1);
    await m.delete();
    t.equal(svc.activeSessions, 0);
  }
  t.strictSame(await rtp.sessions(), []);
  t.equal(svc.status().rtpengines[0]?.live, true, 'status()');
});

t.test('recording anchors even a local device', async (t) => {
  const rtp = await startRtpengine(t);
  const svc = await createMediaService(mediaConfig({ rtpengines: [rtp.ngAddress], localNetworks: ['10.0.0.0/8'], recording: true }));
  t.teardown(() => svc.close());
  const m = svc.forCall('rec-1', 'ft', localDevice, callserver);
  t.equal(m.mode, 'anchor');
  t.not(await m.offer(deviceSdp), deviceSdp);
  await m.delete();
  t.strictSame(await rtp.sessions(), []);
});

t.test('no rtpengine configured: every call bypasses', async (t) => {
  const svc = await createMediaService(mediaConfig({ localNetworks: [], recording: true }));
  t.teardown(() => svc.close());
  const m = svc.forCall('none-1', 'ft', nattedDevice, callserver);
  t.equal(m.mode, 'bypass');
  t.equal(await m.offer(deviceSdp), deviceSdp);
  t.same(svc.status(), { anchoring: false, activeSessions: 0, rtpengines: [] });
});

t.test('media.launch: the service starts rtpengine, anchors through it, stops it by PID', async (t) => {
  const ngPort = await freePort('udp');
  const { portMin, portMax } = claimPortBlock(t);
  const svc = await createMediaService(mediaConfig({ launch: { enabled: true, interface: '127.0.0.1', ngPort }, portMin, portMax }));
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await svc.close();
  });
  const launched = svc.launched;
  if (!launched) throw new Error('not launched');
  t.ok(launched.pid > 0);
  t.equal(launched.ngAddress, `127.0.0.1:${ngPort}`);
  t.ok(svc.pool?.instances[0]?.live, 'in the pool and live');
  const m = svc.forCall('launch-1', 'ft', nattedDevice, callserver);
  const out = await m.offer(deviceSdp);
  const port = Number(/^m=audio (\d+)/m.exec(out)?.[1]);
  t.ok(port >= portMin && port <= portMax, `media port ${port} in the configured range`);
  await m.delete();
  await svc.close();
  stopped = true;
  t.not(launched.exitCode, null, 'exited');
  t.throws(() => process.kill(launched.pid, 0), { code: 'ESRCH' }, 'the PID is gone');
});

t.test('media.launch with a missing binary: an error naming it and the Debian package', async (t) => {
  const err = await launchRtpengine({
    launch: { enabled: true, binary: '/nonexistent/rtpengine', interface: '127.0.0.1', ngPort: 1 },
    portMin: 30000,
    portMax: 30100,
    dscp: 46,
  }).catch((e: unknown) => e);
  t.ok(err instanceof Error);
  t.match((err as Error).message, /'\/nonexistent\/rtpengine'.*rtpengine-daemon/);
});
