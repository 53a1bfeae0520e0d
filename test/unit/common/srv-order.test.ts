import t from 'tap';
import { orderSrv } from '../../../lib/common/srv-order.js';
import { seededRandom as seeded } from '../../helpers/seeded-random.js';


t.test('priority ascending, input untouched', async (t) => {
  const recs = [
    { name: 'c', priority: 30, weight: 0 },
    { name: 'a', priority: 10, weight: 5 },
    { name: 'b', priority: 20, weight: 5 },
  ];
  const copy = recs.slice();
  t.same(orderSrv(recs, seeded(1)).map((r) => r.name), ['a', 'b', 'c']);
  t.same(recs, copy);
  t.same(orderSrv([]), []);
});

t.test('weights 10 and 30 go first about 1/4 and 3/4 of the time', async (t) => {
  const random = seeded(42);
  const recs = [
    { name: 'light', priority: 1, weight: 10 },
    { name: 'heavy', priority: 1, weight: 30 },
  ];
  const draws = 20000;
  let lightFirst = 0;
  let lost = 0;
  for (let i = 0; i < draws; i++) {
    const o = orderSrv(recs, random);
    if (o.length !== 2) lost++;
    if (o[0]!.name === 'light') lightFirst++;
  }
  t.equal(lost, 0, 'both records kept every time');
  const share = lightFirst / draws;
  t.ok(share > 0.22 && share < 0.30, `light first share ${share}`);
});

t.test('weight-0 records rarely go first among weighted ones; all-zero keeps every record', async (t) => {
  const random = seeded(7);
  const recs = [
    { name: 'zero', priority: 1, weight: 0 },
    { name: 'w', priority: 1, weight: 100 },
  ];
  let zeroFirst = 0;
  for (let i = 0; i < 5000; i++) if (orderSrv(recs, random)[0]!.name === 'zero') zeroFirst++;
  t.ok(zeroFirst < 5000 * 0.03, `zero-weight first ${zeroFirst} times`);
  const zeros = orderSrv(
    [
      { name: 'a', priority: 1, weight: 0 },
      { name: 'b', priority: 1, weight: 0 },
      { name: 'c', priority: 1, weight: 0 },
    ],
    random,
  );
  t.same(zeros.map((r) => r.name).sort(), ['a', 'b', 'c']);
});

t.test('three weights within a priority, then the next priority', async (t) => {
  const random = seeded(3);
  const recs = [
    { name: 'p2', priority: 2, weight: 1 },
    { name: 'a', priority: 1, weight: 60 },
    { name: 'b', priority: 1, weight: 30 },
    { name: 'c', priority: 1, weight: 10 },
  ];
  const first: Record<string, number> = { a: 0, b: 0, c: 0 };
  let misplaced = 0;
  for (let i = 0; i < 10000; i++) {
    const o = orderSrv(recs, random);
    if (o[3]!.name !== 'p2') misplaced++;
    first[o[0]!.name]!++;
  }
  t.equal(misplaced, 0, 'priority 2 always last');
  t.ok(first.a! > 5600 && first.a! < 6400, `a ${first.a}`);
  t.ok(first.b! > 2600 && first.b! < 3400, `b ${first.b}`);
  t.ok(first.c! > 700 && first.c! < 1300, `c ${first.c}`);
});
