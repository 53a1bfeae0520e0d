/**
 * Decides when the engine is past its capacity so new requests are answered
 * 503 + Retry-After at once (cheap) instead of queuing until they time out.
 * Two signals: requests the transaction user has not answered yet, and
 * event-loop lag (the process itself falling behind the sockets).
 */
import type { Clock, TimerHandle } from '../timers/clock.js';

export interface OverloadOptions {
  /** Server transactions waiting for a final response above which new requests are refused. */
  maxPendingRequests: number;
  /** Event-loop lag (ms) above which new requests are refused. */
  maxEventLoopLagMs: number;
  /** Seconds for the Retry-After header of the 503. */
  retryAfterS: number;
}

const SAMPLE_MS = 50;

export class OverloadGuard {
  private lagMs = 0;
  private timer?: TimerHandle;
  private expectedAt = 0;

  constructor(
    private readonly options: OverloadOptions,
    private readonly clock: Clock,
  ) {}

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

  get retryAfterS(): number {
    return this.options.retryAfterS;
  }

  /** `pendingRequests` includes the request being admitted. */
  isOverloaded(pendingRequests: number): boolean {
    return pendingRequests > this.options.maxPendingRequests || this.lagMs > this.options.maxEventLoopLagMs;
  }

  private readonly sample = (): void => {
    const now = this.clock.now();
    this.lagMs = Math.max(0, now - this.expectedAt);
    this.expectedAt = now + SAMPLE_MS;
    this.timer = this.clock.setTimer(SAMPLE_MS, this.sample);
  };
}
