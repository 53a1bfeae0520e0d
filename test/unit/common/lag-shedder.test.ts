// The shed-fraction controller shared by the engine's and the app's overload controls.
import t from 'tap';
import { LagShedder } from '../../../lib/common/lag-shedder.js';

const refusedOf = (s: LagShedder, n: number) => Array.from({ length: n }, () => s.refuseNext()).filter(Boolean).length;

t.test('below target nothing is refused', async (t) => {
  const s = new LagShedder(200);
  s.sample(150);
  t.equal(s.fraction, 0);
  t.equal(refusedOf(s, 100), 0);
});

t.test('each lagging sample raises the share by 0.1, up to 0.95, refusals spread evenly', async (t) => {
  const s = new LagShedder(200);
  s.sample(250);
  t.equal(s.fraction, 0.1);
  const tenth = refusedOf(s, 100);
  t.ok(tenth >= 9 && tenth <= 10, `about one in ten (${tenth}; float sums)`);
  for (let i = 0; i < 20; i++) s.sample(1000);
  t.equal(s.fraction, 0.95, 'capped: some requests always pass');
  const most = refusedOf(s, 100);
  t.ok(most >= 94 && most <= 96, `95 in 100 (${most})`);
});

t.test('samples back under target lower the share to exactly zero', async (t) => {
  const s = new LagShedder(200);
  for (let i = 0; i < 3; i++) s.sample(300);
  for (let i = 0; i < 5; i++) s.sample(10);
  t.ok(s.fraction < 0.1 + 1e-9 && s.fraction > 0, `partly down (${s.fraction})`);
  s.sample(10);
  s.sample(10);
  t.equal(s.fraction, 0, 'no float residue keeps refusing');
  t.equal(refusedOf(s, 1000), 0);
});
