/**
 * Overload control of the app's own thread. The engine sheds what arrives faster than it can parse, but the srf
 * app (routing, digest, media control) saturates first: its event loop then lags, every call it takes gets slower,
 * and the rtpengine replies it reads late look like a dead rtpengine. So new requests are refused 503 +
 * Retry-After by a share that follows the app's event-loop lag (raised while above `maxLagMs`, lowered below it),
 * which keeps the calls already admitted fast. Requests in dialogs, OPTIONS and CANCEL never pass through here.
 */
import { Counter, type Registry } from 'prom-client';
import { LagShedder } from '../common/lag-shedder.js';

const SAMPLE_MS = 50;
/** Lag past which replies this thread reads (rtpengine's) are too late to tell anything about the peer. */
const LATE_READ_MS = 250;

export class AppOverload {
  private lagMs = 0;
  private readonly shedder: LagShedder;
  private timer: NodeJS.Timeout | undefined;
  private expectedAt = 0;
  private readonly refused?: Counter<'method'>;

  constructor(
    private readonly maxLagMs: number,
    readonly retryAfterS: number,
    registry?: Registry,
  ) {
    this.shedder = new LagShedder(maxLagMs);
    if (registry !== undefined) {
      this.refused = new Counter({
        name: 'sipedge_app_overload_rejections_total',
        help: "New requests refused 503 because the app thread's event loop lagged (calls, registrations)",
        labelNames: ['method'],
        registers: [registry],
      });
    }
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.expectedAt = Date.now() + SAMPLE_MS;
    this.timer = setTimeout(this.sample, SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The last measured lag of the app's event loop (ms). */
  get eventLoopLagMs(): number {
    return this.lagMs;
  }

  /** True while the loop lags enough that replies it reads late say nothing about the peer. */
  get lagging(): boolean {
    return this.lagMs > Math.min(LATE_READ_MS, this.maxLagMs);
  }

  /** Whether a new request may be served now; false means answer 503 (counted under `method`). */
  admit(method: string): boolean {
    if (!this.shedder.refuseNext()) return true;
    this.refused?.inc({ method });
    return false;
  }

  private readonly sample = (): void => {
    const now = Date.now();
    this.lagMs = Math.max(0, now - this.expectedAt);
    this.shedder.sample(this.lagMs);
    this.expectedAt = now + SAMPLE_MS;
    this.timer = setTimeout(this.sample, SAMPLE_MS);
    this.timer.unref();
  };
}
