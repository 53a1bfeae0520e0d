/**
 * The node's media handling: decides per call between anchoring (rtpengine) and bypass (media-policy), builds the
 * matching CallMedia, and owns the rtpengine pool (and the locally launched rtpengine, if media.launch is on).
 */
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { MediaConfig } from '../config/config-schema.js';
import type { CallMedia, MediaParty, MediaService } from './media-contract.js';
import { createBypassCallMedia } from './bypass-call-media.js';
import { createCidrMatcher, decideMediaMode } from './media-policy.js';
import { createRtpengineCallMedia } from './rtpengine-call-media.js';
import { createRtpenginePool, type RtpenginePool, type RtpengineStatus } from './rtpengine-pool.js';
import { launchRtpengine, type LaunchedRtpengine, type LaunchOptions } from './rtpengine-launcher.js';

export interface MediaServiceOptions {
  registry?: Registry;
  logger?: Logger;
  /** True while this process's event loop lags (see RtpenginePoolOptions.isLagging). */
  isLagging?: () => boolean;
  /** Passed to launchRtpengine when media.launch.enabled. */
  launch?: Omit<LaunchOptions, 'logger'>;
}

export interface SipedgeMediaService extends MediaService {
  /** The rtpengine pool (undefined when no rtpengine is configured or launched). */
  readonly pool?: RtpenginePool;
  /** The rtpengine this node launched, if any. */
  readonly launched?: LaunchedRtpengine;
  /** JSON for the admin API. */
  status(): { anchoring: boolean; activeSessions: number; rtpengines: RtpengineStatus[] };
}

/**
 * Launches rtpengine if configured, builds the pool and pings every instance once (so calls can be anchored
 * right away), then keeps pinging. Throws if the launch fails or a config entry is invalid.
 */
export async function createMediaService(config: MediaConfig, opts: MediaServiceOptions = {}): Promise<SipedgeMediaService> {
  const log = opts.logger;
  const isLocal = createCidrMatcher(config.localNetworks);
  const launched = config.launch.enabled ? await launchRtpengine(config, { ...opts.launch, logger: log }) : undefined;
  const addresses = [...config.rtpengines, ...(launched ? [launched.ngAddress] : [])];
  let pool: RtpenginePool | undefined;
  try {
    pool =
      addresses.length > 0
        ? createRtpenginePool(addresses, {
            ngTimeoutMs: config.ngTimeoutMs,
            pingIntervalMs: config.pingIntervalS * 1000,
            registry: opts.registry,
            logger: log,
            ...(opts.isLagging ? { isLagging: opts.isLagging } : {}),
          })
        : undefined;
  } catch (err) {
    await launched?.stop();
    throw err;
  }
  if (pool) {
    await pool.pingAll();
    pool.start();
  } else {
    log?.info('media: no rtpengine configured; all calls bypass (SDP passes unchanged)');
  }

  const flags = { dscp: config.dscp, recording: config.recording, deviceSrtp: config.deviceSrtp, avpOnlyUsers: config.avpOnlyUsers };
  const policy = { anchoringAvailable: pool !== undefined, recording: config.recording, isLocal };

  return {
    pool,
    launched,
    forCall(callId: string, fromTag: string, a: MediaParty, b: MediaParty | MediaParty[]): CallMedia {
      const bs = Array.isArray(b) ? b : [b];
      const mode = decideMediaMode([a, ...bs], policy);
      if (mode === 'bypass' || !pool) return createBypassCallMedia();
      return createRtpengineCallMedia({ pool, flags, callId, fromTag, a: [a], b: bs, logger: log });
    },
    get activeSessions() {
      return pool?.activeSessions ?? 0;
    },
    status() {
      return { anchoring: pool !== undefined, activeSessions: pool?.activeSessions ?? 0, rtpengines: pool?.status() ?? [] };
    },
    async close() {
      await pool?.close();
      await launched?.stop();
    },
  };
}
