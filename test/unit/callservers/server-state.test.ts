import t from 'tap';
import { classifyProbe, probeResult, ServerHealth } from '../../../lib/callservers/server-state.js';

t.test('classification', async (t) => {
  const r = (status: number) => classifyProbe({ kind: 'response', status });
  for (const s of [200, 202, 302, 400, 405, 420, 480, 486]) t.equal(r(s), 'up', String(s));
  for (const s of [408, 500, 503, 504, 600, 603]) t.equal(r(s), 'down', String(s));
  for (const s of [401, 403, 404]) t.equal(r(s), 'failed', String(s));
  t.equal(classifyProbe({ kind: 'timeout' }), 'down');
  t.equal(classifyProbe({ kind: 'error', message: 'ECONNREFUSED' }), 'down');
  t.equal(probeResult({ kind: 'timeout' }), 'timeout');
  t.equal(probeResult({ kind: 'error' }), 'error');
  t.equal(probeResult({ kind: 'response', status: 503 }), 'down');
  t.equal(probeResult({ kind: 'response', status: 403 }), 'failed');
});

t.test('state, counts and streaks', async (t) => {
  const h = new ServerHealth();
  t.equal(h.state, 'unknown');
  t.equal(h.apply({ kind: 'response', status: 200 }, 1000), true);
  t.equal(h.apply({ kind: 'response', status: 200 }, 2000), false);
  t.match(h.snapshot(), { state: 'up', consecutive: 2, counts: { up: 2, down: 0, failed: 0 }, lastStatus: 200, changedAt: 1000, lastProbeAt: 2000 });
  t.equal(h.apply({ kind: 'timeout' }, 3000), true);
  t.match(h.snapshot(), { state: 'down', consecutive: 1, counts: { up: 2, down: 1 }, lastStatus: undefined, lastError: 'timeout', changedAt: 3000 });
  t.equal(h.apply({ kind: 'response', status: 404 }, 4000), true);
  t.match(h.snapshot(), { state: 'failed', counts: { failed: 1 }, lastStatus: 404 });
  // A snapshot is a copy.
  const snap = h.snapshot();
  snap.counts.up = 99;
  t.equal(h.snapshot().counts.up, 2);
});
