/**
 * Decides when the engine is past its capacity so new requests are answered
 * 503 + Retry-After at once (cheap) instead of queuing until they time out.
 *
 * Two signals:
 * - requests the transaction user has not answered yet (a hard cap: the user
 *   is the bottleneck, so everything beyond the cap is refused);
 * - event-loop lag (the process itself falling behind its sockets). Refusing
 *   everything while lagging would turn a 2x overload into a collapse (the
 *   refusals cost CPU too, and the lag sample itself is late while the loop is
 *   busy), so lag drives a shed *fraction* instead, raised while the lag is
 *   above target and lowered when it is back under: the served share settles
 *   at what the node can really do (an AQM controller in the spirit of CoDel).
 */
import type { Clock, TimerHandle } from '../timers/clock.js';
import { LagShedder } from '../../common/lag-shedder.js';

export interface OverloadOptions {
  /** Server transactions waiting for a final response above which new requests are refused. */
  maxPendingRequests: number;
  /** Target event-loop lag (ms): above it a growing share of new requests is refused. */
  maxEventLoopLagMs: number;
  /** Seconds for the Retry-After header of the 503. */
  retryAfterS: number;
}

const SAMPLE_MS = 50;

export class OverloadGuard {
  private lagMs = 0;
  private readonly shedder: LagShedder;
  private timer?: TimerHandle;
  private expectedAt = 0;

  constructor(
    private readonly options: OverloadOptions,
    private readonly clock: Clock,
  ) {
    this.shedder = new LagShedder(options.maxEventLoopLagMs);
  }

  start(): void {
    this.expectedAt = this.clock.now() + SAMPLE_MS;
    this.timer = this.clock.setTimer(SAMPLE_MS, this.sample);
  }

  stop(): void {
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** The last measured event-loop lag, in ms. */
  get eventLoopLagMs(): number {
    return this.lagMs;
  }

  /** Share of new requests currently refused because of lag (0..0.95). */
  get shedFraction(): number {
    return this.shedder.fraction;
  }

  get retryAfterS(): number {
    return this.options.retryAfterS;
  }

  /** Whether to refuse the request being admitted; `pendingRequests` includes it. */
  shouldRefuse(pendingRequests: number): boolean {
    if (pendingRequests > this.options.maxPendingRequests) return true;
    return this.shedder.refuseNext();
  }

  private readonly sample = (): void => {
    const now = this.clock.now();
    this.lagMs = Math.max(0, now - this.expectedAt);
    this.shedder.sample(this.lagMs);
    this.expectedAt = now + SAMPLE_MS;
    this.timer = this.clock.setTimer(SAMPLE_MS, this.sample);
  };
}
