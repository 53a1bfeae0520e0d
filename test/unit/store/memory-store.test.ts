// Memory-only behaviour: the sweep, the per-connection index, copies, and the timer stopped by close().
import t from 'tap';
import type { Binding } from '../../../lib/store/registration-store.js';
import { MemoryRegistrationStore } from '../../../lib/store/memory-store.js';
import { AOR, binding as baseBinding } from '../../helpers/binding-fixture.js';


/** Memory tests run on an injected clock starting at 0: a UDP binding expiring at 10 s. */
function binding(key: string, over: Partial<Binding> = {}): Binding {
  return baseBinding(key, { expiresAt: 10_000, transport: 'udp', port: 5060, connectionId: 'udp:192.0.2.1:5060', ...over });
}

t.test('sweep drops expired bindings, connection index entries, nonces and counters', async (t) => {
  let clock = 0;
  const s = new MemoryRegistrationStore({ now: () => clock });
  t.teardown(() => s.close());
  await s.updateAor(AOR, () => ({
    bindings: [binding('a', { expiresAt: 1000 }), binding('b', { expiresAt: 5000, connectionId: 'c2' })],
    result: null,
  }));
  await s.updateAor('sip:bob@example.com', () => ({ bindings: [binding('x', { aor: 'sip:bob@example.com', expiresAt: 1000 })], result: null }));
  await s.acceptNonceCount('n', 1, 1000);
  await s.recordFailure('f', 1000);
  t.equal(s.aorCount, 2);
  t.equal(s.connectionCount, 2);
  clock = 2000;
  s.sweep();
  t.equal(s.aorCount, 1, 'bob is gone');
  t.equal(s.connectionCount, 1, 'the first connection has nothing left');
  t.equal(await s.acceptNonceCount('n', 1, 1000), true, 'nonce forgotten');
  t.equal(await s.failureCount('f'), 0);
  clock = 6000;
  s.sweep();
  t.equal(s.aorCount, 0);
  t.equal(s.connectionCount, 0);
});

t.test('the sweep timer runs by itself and close() stops it', async (t) => {
  let clock = 0;
  const s = new MemoryRegistrationStore({ now: () => clock, sweepIntervalMs: 20 });
  await s.updateAor(AOR, () => ({ bindings: [binding('a', { expiresAt: 100 })], result: null }));
  clock = 200;
  await new Promise((r) => setTimeout(r, 80));
  t.equal(s.aorCount, 0, 'swept by the timer');
  await s.close();
  clock = 0;
  await s.updateAor(AOR, () => ({ bindings: [binding('a', { expiresAt: 100 })], result: null }));
  clock = 200;
  await new Promise((r) => setTimeout(r, 80));
  t.equal(s.aorCount, 1, 'no sweep after close()');
});

t.test('decide runs once, and the store keeps its own copies', async (t) => {
  const s = new MemoryRegistrationStore({ now: () => 0 });
  t.teardown(() => s.close());
  const b = binding('a', { path: ['<sip:p1;lr>'] });
  let calls = 0;
  await s.updateAor(AOR, () => {
    calls++;
    return { bindings: [b], result: null };
  });
  t.equal(calls, 1);
  b.cseq = 99;
  b.path!.push('<sip:evil>');
  const [got] = await s.lookup(AOR);
  t.equal(got?.cseq, 1, 'caller mutation after the write does not leak in');
  got!.reachable = false;
  got!.path!.push('x');
  const [again] = await s.lookup(AOR);
  t.equal(again?.reachable, true, 'reader mutation does not leak in');
  t.same(again?.path, ['<sip:p1;lr>']);
});
