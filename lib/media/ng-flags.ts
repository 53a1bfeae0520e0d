/**
 * The ng parameters (besides call-id, tags and sdp) for each offer/answer step, from who sends and who receives.
 * Toward a call server media is always plain RTP/AVP. Toward a device: RTP/AVP for avpOnlyUsers or deviceSrtp
 * 'off'; else RFC 8643 OSRTP (RTP/AVP with a=crypto, 'offer') or RTP/SAVP ('require'), with the SDES suites cut to
 * AES_CM_128_HMAC_SHA1_80/_32. A device's own SRTP offer (SAVP, or AVP with a=crypto) is accepted as SRTP, so its
 * answer comes back encrypted. Checked against rtpengine 10.5 (see docs/media.md). Pure.
 */
import type { MediaConfig } from '../config/config-schema.js';
import type { MediaParty } from './media-contract.js';

export type NgParams = Record<string, unknown>;

export type NgFlagsConfig = Pick<MediaConfig, 'dscp' | 'recording' | 'deviceSrtp' | 'avpOnlyUsers'>;

/** The suites devices are offered; rtpengine 10.5 knows no 'only-' SDES flag, so every other suite is excluded. */
export const DEVICE_SDES_SUITES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const;
export const EXCLUDED_SDES_SUITES = [
  'AEAD_AES_256_GCM',
  'AEAD_AES_128_GCM',
  'AES_256_CM_HMAC_SHA1_80',
  'AES_256_CM_HMAC_SHA1_32',
  'AES_192_CM_HMAC_SHA1_80',
  'AES_192_CM_HMAC_SHA1_32',
  'F8_128_HMAC_SHA1_80',
  'F8_128_HMAC_SHA1_32',
  'NULL_HMAC_SHA1_80',
  'NULL_HMAC_SHA1_32',
] as const;

/** What a leg's media should be: plain RTP, OSRTP (SRTP offered, RTP accepted) or SRTP required. */
export type LegSecurity = 'rtp' | 'osrtp' | 'srtp';

/**
 * Flags every step carries: no ICE, no DTLS, rtpengine's address in o= and c=, the media DSCP as TOS (DSCP << 2)
 * and recording when configured.
 */
export function commonFlags(cfg: NgFlagsConfig): NgParams {
  const params: NgParams = {
    ICE: 'remove',
    DTLS: 'off',
    replace: ['origin', 'session-connection'],
    TOS: cfg.dscp << 2,
  };
  if (cfg.recording) params['record-call'] = 'yes';
  return params;
}

/**
 * The media security toward the parties of one leg (several when forking). All call servers: RTP. Any device:
 * RTP if deviceSrtp is 'off' or any of the devices' users is AVP-only (every fork must be able to answer), else
 * OSRTP ('offer') or SRTP ('require').
 */
export function legSecurity(cfg: NgFlagsConfig, parties: readonly MediaParty[]): LegSecurity {
  const devices = parties.filter((p) => p.side === 'device');
  if (devices.length === 0) return 'rtp';
  if (cfg.deviceSrtp === 'off') return 'rtp';
  if (devices.some((d) => d.user !== undefined && cfg.avpOnlyUsers.includes(d.user))) return 'rtp';
  return cfg.deviceSrtp === 'require' ? 'srtp' : 'osrtp';
}

/**
 * Parameters of an offer (initial or re-offer) from the `from` leg toward the `to` leg. `toUsesSavp`: the `to` leg
 * is a device that itself already sent RTP/SAVP in this call; a re-offer keeps it on RTP/SAVP (an OSRTP re-offer
 * would switch its profile).
 */
export function offerFlags(
  cfg: NgFlagsConfig,
  from: readonly MediaParty[],
  to: readonly MediaParty[],
  toUsesSavp = false,
): NgParams {
  const params = commonFlags(cfg);
  const osrtp: string[] = [];
  const toDevice = to.some((p) => p.side === 'device');
  switch (toDevice && toUsesSavp ? 'srtp' : legSecurity(cfg, to)) {
    case 'rtp':
      params['transport-protocol'] = 'RTP/AVP';
      break;
    case 'osrtp':
      params['transport-protocol'] = 'RTP/AVP';
      osrtp.push('offer');
      params.SDES = EXCLUDED_SDES_SUITES.map((s) => `no-${s}`);
      break;
    case 'srtp':
      params['transport-protocol'] = 'RTP/SAVP';
      params.SDES = EXCLUDED_SDES_SUITES.map((s) => `no-${s}`);
      break;
  }
  // A device's RTP/AVP offer with a=crypto is OSRTP: take it as SRTP so its answer is encrypted too.
  if (from.some((p) => p.side === 'device')) osrtp.push('accept');
  if (osrtp.length > 0) params.OSRTP = osrtp;
  return params;
}

/** Parameters of an answer (to an initial or re-offer): the answer's profile follows the offerer's own offer. */
export function answerFlags(cfg: NgFlagsConfig): NgParams {
  return commonFlags(cfg);
}
