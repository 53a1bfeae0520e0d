/**
 * Overload control of the app's own thread. The engine sheds what arrives faster than it can parse, but the srf
 * app (routing, digest, media control) saturates first: its event loop then lags, every call it takes gets slower,
 * and the rtpengine replies it reads late look like a dead rtpengine. So new requests are refused 503 +
 * Retry-After by a share that follows the app's event-loop lag (raised while above `maxLagMs`, lowered below it),
 * which keeps the calls already admitted fast. Requests in dialogs, OPTIONS and CANCEL never pass through here.
 */
import { Counter, type Registry } from 'prom-client';

const SAMPLE_MS = 50;
const STEP_UP = 0.1;
const STEP_DOWN = 0.05;
const MAX_SHED = 0.95;
/** Lag past which replies this thread reads (rtpengine's) are too late to tell anything about the peer. */
const LATE_READ_MS = 250;

export class AppOverload {
  private lagMs = 0;
  private shed = 0;
  /** Error diffusion: refusals spread evenly, no randomness. */
  private acc = 0;
  private timer: NodeJS.Timeout | undefined;
  private expectedAt = 0;
  private readonly refused?: Counter<'method'>;

  constructor(
    private readonly maxLagMs: number,
    readonly retryAfterS: number,
    registry?: Registry,
  ) {
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
    if (this.shed === 0) return true;
    this.acc += this.shed;
    if (this.acc < 1) return true;
    this.acc -= 1;
    this.refused?.inc({ method });
    return false;
  }

  private readonly sample = (): void => {
    const now = Date.now();
    this.lagMs = Math.max(0, now - this.expectedAt);
    this.shed = this.lagMs > this.maxLagMs ? Math.min(MAX_SHED, this.shed + STEP_UP) : Math.max(0, this.shed - STEP_DOWN);
    this.expectedAt = now + SAMPLE_MS;
    this.timer = setTimeout(this.sample, SAMPLE_MS);
    this.timer.unref();
  };
}
