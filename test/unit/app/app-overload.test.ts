// The app thread's overload control: a blocked event loop raises the lag and a share of new requests is refused
// (counted per method); once the loop is free again the share falls back to zero.
import t from 'tap';
import { Registry } from 'prom-client';
import { AppOverload } from '../../../lib/app/app-overload.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function block(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy: the event loop cannot run timers
  }
}

t.test('lag above the target sheds a growing share; it recovers when the loop is free', async (t) => {
  const registry = new Registry();
  const o = new AppOverload(100, 7, registry);
  o.start();
  t.teardown(() => o.stop());
  await sleep(120);
  t.notOk(o.lagging, 'idle loop: not lagging');
  t.ok(Array.from({ length: 50 }, () => o.admit('INVITE')).every(Boolean), 'idle: everything admitted');

  for (let i = 0; i < 5; i++) {
    block(250);
    await sleep(10); // the overdue sample runs now and measures the block
  }
  t.ok(o.eventLoopLagMs >= 100, `lag measured (${o.eventLoopLagMs} ms)`);
  const admitted = Array.from({ length: 100 }, () => o.admit('INVITE')).filter(Boolean).length;
  t.ok(admitted < 100 && admitted > 0, `a share refused, not all (${100 - admitted} of 100)`);
  t.match(await registry.metrics(), /sipedge_app_overload_rejections_total\{method="INVITE"\} [1-9]/);
  t.equal(o.retryAfterS, 7);

  await sleep(1500);
  t.notOk(o.lagging, 'free again');
  t.ok(Array.from({ length: 50 }, () => o.admit('REGISTER')).every(Boolean), 'the share fell back to zero');
});
