// RenewingMap / RenewingSet behave as Map / Set through their table renewals (which happen on additions after
// many deletions).
import t from 'tap';
import { RenewingMap, RenewingSet } from '../../../lib/engine/collections/renewing-map.js';

t.test('a map under churn keeps its entries, sizes and insertion order across renewals', async (t) => {
  const m = new RenewingMap<string, number>();
  const model = new Map<string, number>();
  // A sliding window of 6 live entries over 5,000 additions: many renewals.
  let deleted = 0;
  for (let i = 0; i < 5000; i++) {
    m.set(`k${i}`, i);
    model.set(`k${i}`, i);
    if (i >= 6) {
      if (m.delete(`k${i - 6}`)) deleted++;
      model.delete(`k${i - 6}`);
    }
    if (i % 97 === 0) t.same([...m], [...model], `same entries in the same order after ${i + 1} additions`);
  }
  t.equal(deleted, 4994, 'every delete of a present key returns true');
  t.equal(m.size, 6);
  t.equal(m.get('k4999'), 4999);
  t.equal(m.has('k0'), false);
  t.equal(m.delete('k0'), false, 'deleting a missing key says so');
  t.same([...m.keys()], [...model.keys()]);
  t.same([...m.values()], [...model.values()]);
  t.same([...m.entries()], [...model.entries()]);
  m.set('k4999', -1);
  t.equal(m.size, 6, 'replacing a value adds nothing');
  t.equal(m.get('k4999'), -1);
  m.clear();
  t.equal(m.size, 0);
  t.same([...m], []);
});

t.test('deleting while iterating visits every entry once, even past the renewal threshold', async (t) => {
  const m = new RenewingMap<number, number>();
  for (let i = 0; i < 1000; i++) m.set(i, i);
  const seen: number[] = [];
  for (const [k] of m) {
    seen.push(k);
    m.delete(k);
  }
  t.equal(seen.length, 1000);
  t.same(seen, [...Array(1000).keys()]);
  t.equal(m.size, 0);
  m.set(7, 7); // the addition after 1,000 deletions starts a fresh table
  t.same([...m], [[7, 7]]);
});

t.test('a set under churn keeps its members and order across renewals', async (t) => {
  const s = new RenewingSet<object>();
  const model = new Set<object>();
  const window: object[] = [];
  let deleted = 0;
  for (let i = 0; i < 3000; i++) {
    const o = { i };
    s.add(o);
    model.add(o);
    window.push(o);
    if (window.length > 4) {
      const old = window.shift()!;
      if (s.delete(old)) deleted++;
      model.delete(old);
    }
  }
  t.equal(deleted, 2996);
  t.equal(s.size, 4);
  t.same([...s], [...model]);
  t.same([...s.values()], [...model]);
  t.equal(s.has(window[0]!), true);
  t.equal(s.delete({ i: -1 }), false);
  s.add(window[0]!);
  t.equal(s.size, 4, 'adding a member again adds nothing');
  s.clear();
  t.equal(s.size, 0);
});

t.test('a large map under churn keeps its entries and insertion order', async (t) => {
  const m = new RenewingMap<number, number>();
  for (let i = 0; i < 5000; i++) m.set(i, i);
  for (let i = 5000; i < 25_000; i++) {
    m.set(i, i);
    m.delete(i - 5000);
  }
  t.equal(m.size, 5000);
  t.equal(m.get(24_999), 24_999);
  t.equal(m.has(19_999), false);
  t.same([...m.keys()].slice(0, 3), [20_000, 20_001, 20_002], 'insertion order kept');
});
