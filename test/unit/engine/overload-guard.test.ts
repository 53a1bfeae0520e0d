// The overload controller with a fake clock: a hard cap on unanswered requests, and a shed fraction
// that follows event-loop lag up and back down.
import t from 'tap';
import { OverloadGuard } from '../../../lib/engine/core/overload-guard.js';
import { FakeClock } from '../../../lib/engine/timers/fake-clock.js';
import type { Clock, TimerHandle } from '../../../lib/engine/timers/clock.js';

t.test('pending requests above the cap are refused', async (t) => {
  const g = new OverloadGuard({ maxPendingRequests: 10, maxEventLoopLagMs: 100, retryAfterS: 3 }, new FakeClock());
  t.equal(g.shouldRefuse(10), false, 'at the cap: admitted');
  t.equal(g.shouldRefuse(11), true, 'above the cap: refused');
  t.equal(g.retryAfterS, 3);
});

/** A clock whose single pending timer fires when the test says, at whatever time the test says: a late timer is lag. */
class LateClock implements Clock {
  t = 0;
  private fn?: () => void;
  now(): number {
    return this.t;
  }
  setTimer(_ms: number, fn: () => void): TimerHandle {
    this.fn = fn;
    return { __timer: true };
  }
  clearTimer(): void {
    this.fn = undefined;
  }
  fireAt(t: number): void {
    this.t = t;
    const fn = this.fn;
    this.fn = undefined;
    fn?.();
  }
}

t.test('lag raises the shed fraction, and it decays when the lag is gone', async (t) => {
  const clock = new LateClock();
  const g = new OverloadGuard({ maxPendingRequests: 1000, maxEventLoopLagMs: 100, retryAfterS: 1 }, clock);
  g.start();
  t.teardown(() => g.stop());
  clock.fireAt(50);
  t.equal(g.eventLoopLagMs, 0);
  t.equal(g.shedFraction, 0);
  let refused = 0;
  for (let i = 0; i < 100; i++) if (g.shouldRefuse(1)) refused++;
  t.equal(refused, 0, 'nothing refused without lag');

  // A busy loop: three samples each 250 ms late.
  for (let i = 1; i <= 3; i++) clock.fireAt(50 + i * 300);
  t.equal(g.eventLoopLagMs, 250, 'lag measured');
  t.ok(Math.abs(g.shedFraction - 0.3) < 1e-9, `shed fraction rose step by step (${g.shedFraction})`);
  refused = 0;
  for (let i = 0; i < 100; i++) if (g.shouldRefuse(1)) refused++;
  t.equal(refused, 30, 'refusals follow the fraction, spread evenly');

  // On time again: the fraction decays to zero.
  for (let i = 1; i <= 6; i++) clock.fireAt(950 + i * 50);
  t.equal(g.eventLoopLagMs, 0);
  t.equal(g.shedFraction, 0, 'back to zero once the lag is gone');
});
