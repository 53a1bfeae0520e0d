/**
 * An injectable clock so that every SIP timer (RFC 3261 17.1/17.2 timers A-K,
 * idle timeouts) can be driven by a fake clock in tests.
 */
export interface TimerHandle {
  /** Opaque; only passed back to clearTimer. */
  readonly __timer: true;
}

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle | undefined): void;
}

/** The real clock: node timers, unref'ed so pending SIP timers never keep a stopping process alive. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t as unknown as TimerHandle;
  },
  clearTimer(handle) {
    if (handle) clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};
