import t from 'tap';
import { FakeClock } from '../../../lib/engine/timers/fake-clock.js';

t.test('timers fire in due order, with now() at their due time', (t) => {
  const clock = new FakeClock(1000);
  const fired: Array<[string, number]> = [];
  clock.setTimer(300, () => fired.push(['c', clock.now()]));
  clock.setTimer(100, () => fired.push(['a', clock.now()]));
  clock.setTimer(100, () => fired.push(['b', clock.now()]));
  clock.tick(299);
  t.same(fired, [
    ['a', 1100],
    ['b', 1100],
  ], 'equal due times fire in creation order');
  t.equal(clock.now(), 1299);
  clock.advance(1);
  t.same(fired[2], ['c', 1300]);
  t.equal(clock.pending, 0);
  t.end();
});

t.test('timers scheduled by callbacks during an advance fire within the same advance', (t) => {
  const clock = new FakeClock();
  const fired: number[] = [];
  let interval = 100;
  const again = () => {
    fired.push(clock.now());
    interval *= 2;
    clock.setTimer(interval, again);
  };
  clock.setTimer(interval, again);
  clock.tick(1500);
  t.same(fired, [100, 300, 700, 1500]);
  t.equal(clock.nextDue(), 3100);
  t.end();
});

t.test('clearTimer cancels, including from another callback due at the same time', (t) => {
  const clock = new FakeClock();
  const fired: string[] = [];
  const later = clock.setTimer(50, () => fired.push('later'));
  clock.setTimer(50, () => fired.push('other'));
  clock.setTimer(10, () => clock.clearTimer(later));
  clock.clearTimer(undefined);
  clock.tick(100);
  t.same(fired, ['other']);
  t.end();
});

t.test('a zero or negative delay fires on the next tick, not synchronously', (t) => {
  const clock = new FakeClock();
  let fired = false;
  clock.setTimer(0, () => (fired = true));
  clock.setTimer(-5, () => undefined);
  t.equal(fired, false);
  clock.tick(0);
  t.equal(fired, true);
  t.end();
});

t.test('runAll drains timers, and stops runaway repeating timers at its horizon', (t) => {
  const clock = new FakeClock();
  let count = 0;
  clock.setTimer(10, () => count++);
  clock.setTimer(20_000, () => count++);
  clock.runAll();
  t.equal(count, 2);
  t.equal(clock.now(), 20_000);
  const forever = () => clock.setTimer(1000, forever);
  clock.setTimer(1000, forever);
  clock.runAll(10_000);
  t.equal(clock.now(), 30_000);
  t.equal(clock.pending, 1);
  t.end();
});
