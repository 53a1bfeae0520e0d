// The behaviour every RegistrationStore must have, run against the memory and the Redis implementation.
import t, { type Test } from 'tap';
import { StoreUnavailableError, type Binding, type DigestAttempt, type RegistrationStore } from '../../../lib/store/registration-store.js';
import { MemoryRegistrationStore } from '../../../lib/store/memory-store.js';
import { RedisRegistrationStore } from '../../../lib/store/redis-store.js';
import type { RedisStoreConfig } from '../../../lib/config/config-schema.js';
import { startRedis } from '../../helpers/redis.js';
import { AOR, binding, CONN_A } from '../../helpers/binding-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { Redis } from 'ioredis';

type Factory = (t: Test, opts?: { now?: () => number }) => Promise<RegistrationStore>;

const CONN_B = 'tcp:192.0.2.1:40001';


const byKey = (bs: Binding[]): Binding[] => [...bs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
const keys = (bs: Binding[]): string[] => byKey(bs).map((b) => b.key);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function storeSuite(t: Test, name: string, factory: Factory): void {
  t.test(`${name}: updateAor adds, replaces and removes bindings`, async (t) => {
    const s = await factory(t);
    const b1 = binding('sip:a@192.0.2.1:40000');
    const b2 = binding('sip:b@192.0.2.1:40000', { q: 0.5, path: ['<sip:edge1;lr>'], instanceId: '<urn:uuid:1>', regId: 1 });
    const r = await s.updateAor(AOR, (cur) => ({ bindings: [...cur, b1, b2], result: cur.length }));
    t.equal(r, 0, 'decide saw the empty AOR and its result is returned');
    t.same(byKey(await s.lookup(AOR)), byKey([b1, b2]), 'both stored with every field');

    const b1v2 = { ...b1, cseq: 2, callId: 'call-2' };
    await s.updateAor(AOR, (cur) => ({ bindings: cur.map((b) => (b.key === b1.key ? b1v2 : b)), result: null }));
    t.same(byKey(await s.lookup(AOR)), byKey([b1v2, b2]), 'replaced in place');

    await s.updateAor(AOR, (cur) => ({ bindings: cur.filter((b) => b.key !== b2.key), result: null }));
    t.same(await s.lookup(AOR), [b1v2], 'removed');
    t.same(await s.lookup('sip:nobody@example.com'), [], 'unknown AOR is empty');
  });

  t.test(`${name}: bindings undefined leaves the AOR as it is`, async (t) => {
    const s = await factory(t);
    await s.updateAor(AOR, () => ({ bindings: [binding('k1')], result: null }));
    const r = await s.updateAor(AOR, (cur) => ({ bindings: undefined, result: `seen ${cur.length}` }));
    t.equal(r, 'seen 1');
    t.same(keys(await s.lookup(AOR)), ['k1']);
  });

  t.test(`${name}: an error thrown by decide propagates unchanged`, async (t) => {
    const s = await factory(t);
    const boom = new Error('decide failed');
    await t.rejects(
      s.updateAor(AOR, () => {
        throw boom;
      }),
      boom,
    );
    t.same(await s.lookup(AOR), []);
  });

  t.test(`${name}: expired bindings are left out of lookup and decide`, async (t) => {
    let clock = Date.now();
    const s = await factory(t, { now: () => clock });
    const short = binding('short', { expiresAt: clock + 1000 });
    const long = binding('long', { expiresAt: clock + 5000 });
    await s.updateAor(AOR, () => ({ bindings: [short, long], result: null }));
    t.same(keys(await s.lookup(AOR)), ['long', 'short']);
    clock += 2000;
    t.same(keys(await s.lookup(AOR)), ['long'], 'short expired');
    const seen = await s.updateAor(AOR, (cur) => ({ bindings: undefined, result: keys(cur) }));
    t.same(seen, ['long'], 'decide does not see expired bindings');
    clock += 3000;
    t.same(await s.lookup(AOR), [], 'all expired');
    await s.updateAor(AOR, (cur) => ({ bindings: [...cur, binding('new', { expiresAt: clock + 1000 })], result: null }));
    t.same(keys(await s.lookup(AOR)), ['new'], 'a write after expiry does not resurrect expired bindings');
  });

  t.test(`${name}: writing an already expired binding stores nothing`, async (t) => {
    const s = await factory(t);
    await s.updateAor(AOR, () => ({ bindings: [binding('old', { expiresAt: Date.now() - 1 })], result: null }));
    t.same(await s.lookup(AOR), []);
  });

  t.test(`${name}: an empty list deletes the AOR`, async (t) => {
    const s = await factory(t);
    await s.updateAor(AOR, () => ({ bindings: [binding('k1'), binding('k2')], result: null }));
    await s.updateAor(AOR, () => ({ bindings: [], result: null }));
    t.same(await s.lookup(AOR), []);
    t.equal(await s.dropConnection('n1', CONN_A, false), 0, 'its bindings left the connection index');
    await s.updateAor(AOR, (cur) => ({ bindings: [...cur, binding('k3')], result: null }));
    t.same(keys(await s.lookup(AOR)), ['k3'], 'the AOR can be written again');
  });

  t.test(`${name}: 50 concurrent updateAor calls on one AOR all land`, async (t) => {
    const s = await factory(t);
    const n = 50;
    await s.updateAor(AOR, () => ({ bindings: [binding('shared', { cseq: 0 })], result: null }));
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        s.updateAor(AOR, (cur) => ({
          bindings: [
            ...cur.filter((b) => b.key !== 'shared'),
            binding('shared', { cseq: (cur.find((b) => b.key === 'shared')?.cseq ?? -100) + 1 }),
            binding(`k${String(i).padStart(2, '0')}`),
          ],
          result: i,
        })),
      ),
    );
    t.same(results, Array.from({ length: n }, (_, i) => i), 'each call returns its own result');
    const all = await s.lookup(AOR);
    t.equal(all.find((b) => b.key === 'shared')?.cseq, n, 'each read-modify-write saw the one before');
    const got = keys(all.filter((b) => b.key !== 'shared'));
    t.equal(got.length, n, 'no binding was lost');
    t.same(got, Array.from({ length: n }, (_, i) => `k${String(i).padStart(2, '0')}`));
  });

  t.test(`${name}: dropConnection removes only that connection's bindings`, async (t) => {
    const s = await factory(t);
    const other = 'sip:bob@example.com';
    await s.updateAor(AOR, () => ({
      bindings: [
        binding('a1'),
        binding('b1', { connectionId: CONN_B }),
        binding('n2', { nodeId: 'n2' }), // same connection id on another node
      ],
      result: null,
    }));
    await s.updateAor(other, () => ({ bindings: [binding('a2', { aor: other })], result: null }));
    t.equal(await s.dropConnection('n1', CONN_A, false), 2);
    t.same(keys(await s.lookup(AOR)), ['b1', 'n2']);
    t.same(await s.lookup(other), [], 'the other AOR lost its only binding');
    t.equal(await s.dropConnection('n1', CONN_A, false), 0, 'nothing left on it');
    t.equal(await s.dropConnection('n1', 'tcp:198.51.100.1:1', false), 0, 'unknown connection');
    t.equal(await s.dropConnection('n2', CONN_A, false), 1);
    t.same(keys(await s.lookup(AOR)), ['b1']);
  });

  t.test(`${name}: connectionsBound tells which of a node's connections still carry a binding`, async (t) => {
    let clock = Date.now();
    const s = await factory(t, { now: () => clock });
    const unknown = 'tcp:198.51.100.1:1';
    await s.updateAor(AOR, () => ({
      bindings: [binding('a1', { expiresAt: clock + 5000 }), binding('b1', { connectionId: CONN_B, expiresAt: clock + 60_000 })],
      result: null,
    }));
    t.same(await s.connectionsBound('n1', [CONN_A, CONN_B, unknown]), [true, true, false]);
    t.same(await s.connectionsBound('n2', [CONN_A]), [false], 'another node\'s connection of the same name');
    t.same(await s.connectionsBound('n1', []), []);
    clock += 10_000;
    // The Redis store learns of an expiry at its sweep; the memory store at once.
    await (s as { sweep?: () => Promise<unknown> | unknown }).sweep?.();
    t.same(await s.connectionsBound('n1', [CONN_A, CONN_B]), [false, true], 'expired binding no longer counts');
    await s.updateAor(AOR, (cur) => ({ bindings: cur.filter((b) => b.key !== 'b1'), result: null }));
    t.same(await s.connectionsBound('n1', [CONN_B]), [false], 'removed binding no longer counts');
  });

  t.test(`${name}: dropConnection with markUnreachable keeps bindings unreachable`, async (t) => {
    const s = await factory(t);
    await s.updateAor(AOR, () => ({ bindings: [binding('a1'), binding('a2'), binding('b1', { connectionId: CONN_B })], result: null }));
    t.equal(await s.dropConnection('n1', CONN_A, true), 2);
    const got = byKey(await s.lookup(AOR));
    t.same(
      got.map((b) => [b.key, b.reachable]),
      [
        ['a1', false],
        ['a2', false],
        ['b1', true],
      ],
    );
    t.equal(await s.dropConnection('n1', CONN_A, true), 0, 'already unreachable: not counted again');
    t.equal(await s.dropConnection('n1', CONN_A, false), 2, 'still removable afterwards');
    t.same(keys(await s.lookup(AOR)), ['b1']);
  });

  t.test(`${name}: a binding rewritten to another connection leaves the old one`, async (t) => {
    const s = await factory(t);
    await s.updateAor(AOR, () => ({ bindings: [binding('k1')], result: null }));
    await s.updateAor(AOR, () => ({ bindings: [binding('k1', { connectionId: CONN_B, cseq: 2 })], result: null }));
    t.equal(await s.dropConnection('n1', CONN_A, false), 0, 'no longer on the old connection');
    t.same(keys(await s.lookup(AOR)), ['k1']);
    t.equal(await s.dropConnection('n1', CONN_B, false), 1, 'on the new one');
  });

  t.test(`${name}: nonce counts must increase`, async (t) => {
    const s = await factory(t);
    t.equal(await s.acceptNonceCount('n-1', 1, 10_000), true, 'first count');
    t.equal(await s.acceptNonceCount('n-1', 1, 10_000), false, 'replay');
    t.equal(await s.acceptNonceCount('n-1', 0, 10_000), false, 'lower');
    t.equal(await s.acceptNonceCount('n-1', 2, 10_000), true, 'higher');
    t.equal(await s.acceptNonceCount('n-1', 5, 10_000), true, 'gap is fine');
    t.equal(await s.acceptNonceCount('n-1', 3, 10_000), false, 'below the highest');
    t.equal(await s.acceptNonceCount('n-2', 1, 10_000), true, 'nonces are independent');
  });

  t.test(`${name}: nonce records expire`, async (t) => {
    const s = await factory(t);
    t.equal(await s.acceptNonceCount('n-x', 7, 80), true);
    t.equal(await s.acceptNonceCount('n-x', 7, 80), false);
    await sleep(150);
    t.equal(await s.acceptNonceCount('n-x', 1, 80), true, 'forgotten after its ttl');
  });

  t.test(`${name}: failure counters count, clear and expire with their window`, async (t) => {
    const s = await factory(t);
    t.equal(await s.failureCount('u1'), 0);
    t.equal(await s.recordFailure('u1', 10_000), 1);
    t.equal(await s.recordFailure('u1', 10_000), 2);
    t.equal(await s.recordFailure('u1', 10_000), 3);
    t.equal(await s.failureCount('u1'), 3);
    t.equal(await s.failureCount('u2'), 0, 'keys are independent');
    await s.clearFailures('u1');
    t.equal(await s.failureCount('u1'), 0, 'cleared');
    t.equal(await s.recordFailure('w', 100), 1);
    t.equal(await s.recordFailure('w', 100), 2);
    await sleep(160);
    t.equal(await s.failureCount('w'), 0, 'window over');
    t.equal(await s.recordFailure('w', 100), 1, 'a new window starts');
  });

  t.test(`${name}: settleDigest gives every verdict and keeps the counters as the single operations do`, async (t) => {
    const s = await factory(t);
    const attempt = (over: Partial<DigestAttempt>): DigestAttempt => ({
      userKey: 'user:alice',
      sourceKey: 'ip:192.0.2.9',
      maxFailures: 3,
      windowMs: 10_000,
      check: 'right',
      nonce: 'nonce-a',
      nc: 1,
      ncTtlMs: 10_000,
      ...over,
    });
    t.equal(await s.settleDigest(attempt({ check: 'wrong' })), 'failed');
    t.equal(await s.failureCount('user:alice'), 1, 'a wrong response counts for the user');
    t.equal(await s.failureCount('ip:192.0.2.9'), 1, 'and for the source');
    t.equal(await s.settleDigest(attempt({ check: 'stale' })), 'stale');
    t.equal(await s.acceptNonceCount('nonce-a', 1, 10_000), true, 'a stale verdict records no nonce count');
    t.equal(await s.settleDigest(attempt({ nc: 1 })), 'replay', 'nc 1 was just recorded');
    t.equal(await s.settleDigest(attempt({ nc: 2 })), 'accepted');
    t.equal(await s.failureCount('user:alice'), 0, "success clears the user's failures");
    t.equal(await s.failureCount('ip:192.0.2.9'), 1, "but not the source's");
    t.equal(await s.settleDigest(attempt({ nc: 2 })), 'replay');

    for (let i = 0; i < 2; i++) await s.settleDigest(attempt({ check: 'wrong', userKey: 'user:bob' }));
    t.equal(await s.failureCount('ip:192.0.2.9'), 3);
    t.equal(await s.settleDigest(attempt({ nc: 3 })), 'throttled', 'the source is at the limit');
    t.equal(await s.settleDigest(attempt({ check: 'wrong' })), 'throttled');
    t.equal(await s.failureCount('ip:192.0.2.9'), 3, 'a throttled attempt is not counted');
    t.equal(await s.settleDigest(attempt({ nc: 3, sourceKey: 'ip:192.0.2.10' })), 'accepted', 'from elsewhere the user gets in');
    t.equal(await s.acceptNonceCount('nonce-a', 3, 10_000), false, 'that success recorded nc 3');
  });

  t.test(`${name}: an update given a read-ahead of its AOR lands, also when the read-ahead is stale`, async (t) => {
    const s = await factory(t);
    const b1 = binding('sip:a@192.0.2.1:40000');
    const b2 = binding('sip:b@192.0.2.1:40000');
    const ahead = s.readAhead(AOR);
    // Another write lands between the read-ahead and the update: the update must see it, not the old read.
    await s.updateAor(AOR, () => ({ bindings: [b1], result: null }));
    const seen = await s.updateAor(AOR, (cur) => ({ bindings: [...cur, b2], result: keys(cur) }), ahead);
    t.same(seen, [b1.key], 'the update decided on the current bindings');
    t.same(keys(await s.lookup(AOR)), keys([b1, b2]));
    const other = s.readAhead('sip:other@example.com');
    t.equal(await s.updateAor(AOR, (cur) => ({ bindings: undefined, result: cur.length }), other), 2, "another AOR's read-ahead is ignored");
  });

  t.test(`${name}: close() is idempotent`, async (t) => {
    const s = await factory(t);
    await s.close();
    await s.close();
    t.pass();
  });
}

storeSuite(t, 'memory', async (t, opts) => {
  const s = new MemoryRegistrationStore(opts);
  t.teardown(() => s.close());
  t.equal(s.kind, 'memory');
  return s;
});

let prefixSeq = 0;
const redisReady = startRedis(t);
storeSuite(t, 'redis', async (t, opts) => {
  const redis = await redisReady;
  const cfg: RedisStoreConfig = {
    host: redis.host,
    port: redis.port,
    db: 0,
    keyPrefix: `suite${++prefixSeq}:`,
    sentinels: [],
    sentinelName: 'mymaster',
    clusterNodes: [],
    commandTimeoutMs: 1000,
  };
  const s = new RedisRegistrationStore(cfg, opts);
  t.teardown(() => s.close());
  await s.connect();
  t.ok(s.healthy, 'connected');
  t.equal(s.kind, 'redis');
  return s;
});

// Cluster mode against a one-node Redis Cluster owning every slot: the compare-and-set covers the AOR hash only
// and the indexes follow as separate commands (docs/store.md).
const clusterReady = (async () => {
  const dir = makeTempDir(t);
  const redis = await startRedis(t, { args: ['--cluster-enabled', 'yes', '--cluster-config-file', `${dir}/nodes.conf`, '--cluster-announce-ip', '127.0.0.1'] });
  const raw = new Redis({ host: redis.host, port: redis.port });
  try {
    await raw.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    for (let i = 0; i < 100; i++) {
      const info = String(await raw.call('CLUSTER', 'INFO'));
      if (/cluster_state:ok/.test(info)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    raw.disconnect();
  }
  return redis;
})();
storeSuite(t, 'redis-cluster', async (t, opts) => {
  const redis = await clusterReady;
  const cfg: RedisStoreConfig = {
    host: 'unused',
    port: 1,
    db: 0,
    keyPrefix: `cl${++prefixSeq}:`,
    sentinels: [],
    sentinelName: 'mymaster',
    clusterNodes: [`${redis.host}:${redis.port}`],
    commandTimeoutMs: 1000,
  };
  const s = new RedisRegistrationStore(cfg, opts);
  t.teardown(() => s.close());
  await s.connect();
  t.ok(s.healthy, 'connected to the cluster');
  return s;
});

t.test('StoreUnavailableError is an Error with a name', async (t) => {
  const e = new StoreUnavailableError('x');
  t.ok(e instanceof Error);
  t.equal(e.name, 'StoreUnavailableError');
});
