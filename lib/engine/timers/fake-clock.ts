/**
 * A deterministic Clock for tests: time only moves when the test calls
 * tick()/advance(), and due timers fire in (due time, creation order).
 */
import type { Clock, TimerHandle } from './clock.js';

interface FakeTimer extends TimerHandle {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  /** Unsorted; the count of pending timers in tests is small, so a linear scan is simpler than a heap. */
  private timers: FakeTimer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: FakeTimer = {
      __timer: true,
      id: this.nextId++,
      due: this.current + Math.max(0, ms),
      fn,
      cancelled: false,
    };
    this.timers.push(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const timer = handle as FakeTimer;
    timer.cancelled = true;
    const i = this.timers.indexOf(timer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /**
   * Move time forward by ms, firing every timer that becomes due, in order,
   * with now() equal to the timer's due time while it runs. Timers scheduled
   * by callbacks during the advance fire too if they fall inside the window.
   */
  tick(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next.due > target) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.current = next.due;
      next.fn();
    }
    this.current = target;
  }

  /** Alias of tick(). */
  advance(ms: number): void {
    this.tick(ms);
  }

  /** Fire timers until none is left (or maxMs of fake time has passed, to stop runaway repeating timers). */
  runAll(maxMs = 24 * 3600 * 1000): void {
    const limit = this.current + maxMs;
    for (;;) {
      const next = this.earliest();
      if (!next || next.due > limit) break;
      this.tick(next.due - this.current);
    }
  }

  /** Number of timers scheduled and not yet fired or cleared. */
  get pending(): number {
    return this.timers.length;
  }

  /** Due time of the next timer, or undefined when none is pending. */
  nextDue(): number | undefined {
    return this.earliest()?.due;
  }

  private earliest(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers) {
      if (!best || t.due < best.due || (t.due === best.due && t.id < best.id)) best = t;
    }
    return best;
  }
}
