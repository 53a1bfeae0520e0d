import t from 'tap';
import { DEFAULT_TIMER_CONFIG, timerTable, timerValues } from '../../../lib/engine/transactions/timer-values.js';

t.test('RFC 3261 table 4 defaults, unreliable transport', (t) => {
  const v = timerValues(undefined, false);
  t.same(
    { ...v },
    {
      reliable: false,
      T1: 500,
      T2: 4000,
      T4: 5000,
      A: 500,
      B: 32_000,
      C: 180_000,
      D: 32_000,
      E: 500,
      F: 32_000,
      G: 500,
      H: 32_000,
      I: 5000,
      J: 32_000,
      K: 5000,
      L: 32_000,
      M: 32_000,
    },
  );
  t.end();
});

t.test('reliable transport: A/E/G unused, D/I/J/K/L zero, B/F/H/M unchanged', (t) => {
  const v = timerValues(undefined, true);
  t.match(v, { reliable: true, A: 0, E: 0, G: 0, D: 0, I: 0, J: 0, K: 0, B: 32_000, F: 32_000, H: 32_000, L: 0, M: 32_000 });
  t.end();
});

t.test('derived from a configured T1/T2/T4', (t) => {
  const { reliable, unreliable } = timerTable({ t1: 100, t2: 1000, t4: 2000 });
  t.match(unreliable, { A: 100, B: 6400, D: 32_000, E: 100, F: 6400, G: 100, H: 6400, I: 2000, J: 6400, K: 2000, L: 6400, M: 6400 });
  t.match(reliable, { B: 6400, F: 6400, H: 6400, J: 0, K: 0 });
  t.equal(timerValues({ d: 40_000 }, false).D, 40_000, 'D is configurable');
  t.equal(DEFAULT_TIMER_CONFIG.t1, 500);
  t.ok(Object.isFrozen(unreliable));
  t.end();
});

t.test('nonsense configurations are refused', (t) => {
  t.throws(() => timerValues({ t1: 0 }, false), RangeError);
  t.throws(() => timerValues({ t1: 500, t2: 100 }, false), RangeError);
  t.throws(() => timerValues({ t4: -1 }, true), RangeError);
  t.end();
});
