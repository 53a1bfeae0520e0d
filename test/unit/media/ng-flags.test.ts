import t from 'tap';
import { answerFlags, EXCLUDED_SDES_SUITES, legSecurity, offerFlags, type NgFlagsConfig } from '../../../lib/media/ng-flags.js';
import type { MediaParty } from '../../../lib/media/media-contract.js';

const cfg = (over: Partial<NgFlagsConfig> = {}): NgFlagsConfig => ({ dscp: 46, recording: false, deviceSrtp: 'offer', avpOnlyUsers: ['old'], ...over });
const cs: MediaParty = { side: 'callserver' };
const dev: MediaParty = { side: 'device', user: 'alice' };
const old: MediaParty = { side: 'device', user: 'old' };
const common = { ICE: 'remove', DTLS: 'off', replace: ['origin', 'session-connection'], TOS: 184 };
const sdes = EXCLUDED_SDES_SUITES.map((s) => `no-${s}`);

t.test('toward a call server: always RTP/AVP; a device sender is accepted as (OS)RTP', async (t) => {
  t.strictSame(offerFlags(cfg(), [dev], [cs]), { ...common, 'transport-protocol': 'RTP/AVP', OSRTP: ['accept'] });
  t.strictSame(offerFlags(cfg({ deviceSrtp: 'require' }), [cs], [cs]), { ...common, 'transport-protocol': 'RTP/AVP' });
});

t.test('toward a device', async (t) => {
  t.strictSame(offerFlags(cfg(), [cs], [dev]), { ...common, 'transport-protocol': 'RTP/AVP', OSRTP: ['offer'], SDES: sdes }, 'offer: OSRTP');
  t.strictSame(offerFlags(cfg({ deviceSrtp: 'require' }), [cs], [dev]), { ...common, 'transport-protocol': 'RTP/SAVP', SDES: sdes }, 'require: SAVP');
  t.strictSame(offerFlags(cfg({ deviceSrtp: 'off' }), [cs], [dev]), { ...common, 'transport-protocol': 'RTP/AVP' }, 'off: RTP');
  t.strictSame(offerFlags(cfg(), [cs], [old]), { ...common, 'transport-protocol': 'RTP/AVP' }, 'AVP-only user: RTP');
  t.strictSame(offerFlags(cfg(), [cs], [dev, old]), { ...common, 'transport-protocol': 'RTP/AVP' }, 'any AVP-only fork: RTP');
  t.strictSame(offerFlags(cfg(), [cs], [dev], true), { ...common, 'transport-protocol': 'RTP/SAVP', SDES: sdes }, 'a device already on SAVP stays on SAVP');
  t.strictSame(offerFlags(cfg(), [dev], [dev]), { ...common, 'transport-protocol': 'RTP/AVP', OSRTP: ['offer', 'accept'], SDES: sdes }, 'device to device');
  t.notOk(sdes.some((f) => /AES_CM_128_HMAC_SHA1_(80|32)$/.test(f) && !/F8|NULL/.test(f)), 'the AES_CM_128 suites are never excluded');
});

t.test('leg security', async (t) => {
  t.equal(legSecurity(cfg(), [cs]), 'rtp');
  t.equal(legSecurity(cfg(), [dev]), 'osrtp');
  t.equal(legSecurity(cfg({ deviceSrtp: 'require' }), [dev, cs]), 'srtp');
  t.equal(legSecurity(cfg(), [{ side: 'device' }]), 'osrtp', 'unknown user');
});

t.test('answers, DSCP and recording', async (t) => {
  t.strictSame(answerFlags(cfg()), common);
  t.strictSame(answerFlags(cfg({ dscp: 0 })), { ...common, TOS: 0 });
  t.strictSame(answerFlags(cfg({ recording: true })), { ...common, 'record-call': 'yes' });
  t.equal(offerFlags(cfg({ recording: true, dscp: 26 }), [cs], [cs])['record-call'], 'yes');
  t.equal(offerFlags(cfg({ dscp: 26 }), [cs], [cs]).TOS, 104);
});
