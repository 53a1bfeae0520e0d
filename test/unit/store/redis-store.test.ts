// Redis-only behaviour of the registration store: sharing between instances, key TTLs, the versioned
// compare-and-set under contention, the sweep, and failing fast / recovering while Redis is down.
import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { StoreUnavailableError, type Binding } from '../../../lib/store/registration-store.js';
import { RedisRegistrationStore, parseHostPort, retryDelay } from '../../../lib/store/redis-store.js';
import { createRegistrationStore } from '../../../lib/store/create-store.js';
import type { RedisStoreConfig } from '../../../lib/config/config-schema.js';
import { startRedis, type RedisInstance } from '../../helpers/redis.js';
import { AOR, binding, CONN_A } from '../../helpers/binding-fixture.js';
import { freePort, waitForListening } from '../../helpers/ports.js';
import { startProcess } from '../../helpers/processes.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { writeFileSync } from 'node:fs';

const CONN = CONN_A;


let prefixSeq = 0;
function config(redis: { host: string; port: number }, over: Partial<RedisStoreConfig> = {}): RedisStoreConfig {
  return {
    host: redis.host,
    port: redis.port,
    db: 0,
    keyPrefix: `rt${++prefixSeq}:`,
    sentinels: [],
    sentinelName: 'mymaster',
    clusterNodes: [],
    commandTimeoutMs: 1000,
    ...over,
  };
}

async function store(
  t: Test,
  cfg: RedisStoreConfig,
  opts: ConstructorParameters<typeof RedisRegistrationStore>[1] = {},
): Promise<RedisRegistrationStore> {
  const s = new RedisRegistrationStore(cfg, opts);
  t.teardown(() => s.close());
  await s.connect();
  return s;
}

function rawClient(t: Test, redis: RedisInstance): Redis {
  const c = new Redis({ host: redis.host, port: redis.port, lazyConnect: false, maxRetriesPerRequest: 1 });
  c.on('error', () => undefined);
  t.teardown(() => c.disconnect());
  return c;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const keys = (bs: Binding[]): string[] => bs.map((b) => b.key).sort();

const redisReady = startRedis(t);

t.test('two instances on one Redis see each other at once', async (t) => {
  const redis = await redisReady;
  const cfg = config(redis);
  const a = await store(t, cfg);
  const b = await store(t, cfg);
  await a.updateAor(AOR, () => ({ bindings: [binding('from-a')], result: null }));
  t.same(keys(await b.lookup(AOR)), ['from-a']);
  await b.updateAor(AOR, (cur) => ({ bindings: [...cur, binding('from-b', { nodeId: 'n2' })], result: null }));
  t.same(keys(await a.lookup(AOR)), ['from-a', 'from-b']);
  t.ok(await a.acceptNonceCount('nonce', 3, 10_000));
  t.notOk(await b.acceptNonceCount('nonce', 3, 10_000), 'replay seen by the other instance');
  await a.recordFailure('u', 10_000);
  t.equal(await b.recordFailure('u', 10_000), 2, 'one counter for both');
  t.equal(await b.dropConnection('n1', CONN, false), 1, 'b drops a binding a wrote');
  t.same(keys(await a.lookup(AOR)), ['from-b']);
});

t.test('keys follow the documented layout and carry TTLs', async (t) => {
  const redis = await redisReady;
  const cfg = config(redis);
  const s = await store(t, cfg);
  const raw = rawClient(t, redis);
  const p = cfg.keyPrefix;
  const exp = Date.now() + 30_000;
  const b = binding('k1', { expiresAt: exp });
  await s.updateAor(AOR, () => ({ bindings: [b, binding('k2', { expiresAt: exp - 10_000 })], result: null }));

  const aorKey = `${p}aor:{${AOR}}`;
  const hash = await raw.hgetall(aorKey);
  t.same(Object.keys(hash).sort(), ['_v', 'k1', 'k2']);
  t.same(JSON.parse(hash.k1!), b, 'field = binding JSON');
  t.match(hash._v, /^1\./, 'version counter');
  const pttl = await raw.pttl(aorKey);
  t.ok(pttl > 29_000 && pttl <= 30_000, `AOR key expires with its latest binding (pttl ${pttl})`);

  t.equal(Number(await raw.zscore(`${p}exp`, `${AOR}\nk1`)), exp, 'expiry index score');
  const connKey = `${p}conn:{n1:${CONN}}`;
  t.same((await raw.smembers(connKey)).sort(), [`${AOR}\nk1`, `${AOR}\nk2`]);
  const cttl = await raw.pttl(connKey);
  t.ok(cttl > 29_000 && cttl <= 30_000, `connection set has a TTL (pttl ${cttl})`);

  await s.acceptNonceCount('abc', 1, 5000);
  t.equal(await raw.get(`${p}nc:{abc}`), '1');
  const nttl = await raw.pttl(`${p}nc:{abc}`);
  t.ok(nttl > 4000 && nttl <= 5000, `nonce record TTL (pttl ${nttl})`);

  await s.recordFailure('user@x', 7000);
  const fttl = await raw.pttl(`${p}fail:user@x`);
  t.ok(fttl > 6000 && fttl <= 7000, `failure counter window (pttl ${fttl})`);
  await s.recordFailure('user@x', 7000);
  t.ok((await raw.pttl(`${p}fail:user@x`)) <= fttl, 'second failure does not extend the window');

  await s.updateAor(AOR, (cur) => ({ bindings: cur.filter((x) => x.key === 'k2'), result: null }));
  t.equal(await raw.hget(aorKey, 'k1'), null, 'removed field');
  t.match(await raw.hget(aorKey, '_v'), /^2\./, 'version bumped');
  const pttl2 = await raw.pttl(aorKey);
  t.ok(pttl2 > 19_000 && pttl2 <= 20_000, `TTL follows the remaining binding (pttl ${pttl2})`);
  t.equal(await raw.zscore(`${p}exp`, `${AOR}\nk1`), null, 'left the expiry index');
  t.same(await raw.smembers(connKey), [`${AOR}\nk2`], 'left the connection set');

  await s.updateAor(AOR, () => ({ bindings: [], result: null }));
  t.equal(await raw.exists(aorKey), 0, 'empty AOR: key deleted');
  t.equal(await raw.zcard(`${p}exp`), 0);
  t.equal(await raw.exists(connKey), 0);
});

t.test('dropConnection removes in one script: index entries, a moving version, an emptied hash deleted', async (t) => {
  const redis = await redisReady;
  const cfg = config(redis);
  const s = await store(t, cfg);
  const raw = rawClient(t, redis);
  const p = cfg.keyPrefix;
  const other = 'sip:bob@example.com';
  const connKey = `${p}conn:{n1:${CONN}}`;
  await s.updateAor(AOR, () => ({ bindings: [binding('a1'), binding('b1', { connectionId: 'tcp:192.0.2.9:5060' })], result: null }));
  await s.updateAor(other, () => ({ bindings: [binding('a2', { aor: other })], result: null }));
  // A stale index entry (its binding gone behind the store's back) is cleaned up, not counted.
  await raw.sadd(connKey, `${AOR}\nghost`);
  const before = await raw.hget(`${p}aor:{${AOR}}`, '_v');
  const ahead = s.readAhead(AOR); // a read taken before the drop, used by a write after it
  t.equal(await s.dropConnection('n1', CONN, false), 2, 'a1 and a2');
  const after = await raw.hget(`${p}aor:{${AOR}}`, '_v');
  t.match(after, /^2\./, 'version counter moved on');
  t.not(after, before);
  t.same(Object.keys(await raw.hgetall(`${p}aor:{${AOR}}`)).sort(), ['_v', 'b1']);
  t.equal(await raw.exists(`${p}aor:{${other}}`), 0, "bob's emptied hash deleted");
  t.equal(await raw.exists(connKey), 0, 'connection set emptied');
  t.same(await raw.zrange(`${p}exp`, '0', '-1'), [`${AOR}\nb1`], 'only b1 left in the expiry index');
  // The write that read before the drop must not put a1 back: its compare-and-set fails and it reads again.
  const seen: string[][] = [];
  await s.updateAor(
    AOR,
    (cur) => {
      seen.push(keys(cur));
      return { bindings: [...cur, binding('a3')], result: null };
    },
    ahead,
  );
  t.same(seen, [['a1', 'b1'], ['b1']], 'decided on the stale read, then again on a fresh one');
  t.same(keys(await s.lookup(AOR)), ['a3', 'b1']);
});

t.test('a concurrent change makes the compare-and-set retry with a fresh read', async (t) => {
  const redis = await redisReady;
  const cfg = config(redis);
  const s = await store(t, cfg);
  const raw = rawClient(t, redis);
  await s.updateAor(AOR, () => ({ bindings: [binding('k1')], result: null }));
  // This store's read is taken first (a read-ahead, done once the lookup after it on the same connection is
  // answered); then another writer changes the AOR, and only then does this store decide and write.
  const ahead = s.readAhead(AOR);
  await s.lookup(AOR);
  await raw.hset(`${cfg.keyPrefix}aor:{${AOR}}`, '_v', '99.other', 'k9', JSON.stringify(binding('k9')));
  let calls = 0;
  const r = await s.updateAor(
    AOR,
    (cur) => {
      calls++;
      return { bindings: [...cur, binding(`mine`)], result: keys(cur) };
    },
    ahead,
  );
  t.equal(calls, 2, 'decide ran again');
  t.same(r, ['k1', 'k9'], 'the result of the successful attempt, which saw the other write');
  t.same(keys(await s.lookup(AOR)), ['k1', 'k9', 'mine'], 'the other writer’s binding was not lost');
  t.ok(s.conflicts >= 1);
});

t.test('50 concurrent updates from two instances all land (optimistic retries)', async (t) => {
  const redis = await redisReady;
  const cfg = config(redis);
  const a = await store(t, cfg);
  const b = await store(t, cfg);
  const n = 50;
  // Each update adds its own binding and bumps the cseq of a shared one: a lost update shows in either.
  await a.updateAor(AOR, () => ({ bindings: [binding('shared', { cseq: 0 })], result: null }));
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      (i % 2 ? a : b).updateAor(AOR, (cur) => ({
        bindings: [...cur.map((x) => (x.key === 'shared' ? { ...x, cseq: x.cseq + 1 } : x)), binding(`k${i}`)],
        result: null,
      })),
    ),
  );
  const got = await a.lookup(AOR);
  t.equal(got.length, n + 1, 'no binding lost');
  t.equal(got.find((x) => x.key === 'shared')?.cseq, n, 'every read-modify-write saw the previous one');
  t.comment(`compare-and-set conflicts: ${a.conflicts + b.conflicts}`);
});

t.test('the sweep removes expired bindings, index entries and keeps versions moving', async (t) => {
  const redis = await redisReady;
  const cfg = config(redis);
  let clock = Date.now();
  const s = await store(t, cfg, { now: () => clock, sweepIntervalMs: 0, sweepBatch: 2 });
  const raw = rawClient(t, redis);
  const p = cfg.keyPrefix;
  const other = 'sip:bob@example.com';
  await s.updateAor(AOR, () => ({
    bindings: [binding('short', { expiresAt: clock + 1000 }), binding('long', { expiresAt: clock + 60_000 })],
    result: null,
  }));
  await s.updateAor(other, () => ({
    bindings: [binding('s1', { aor: other, expiresAt: clock + 1000 }), binding('s2', { aor: other, expiresAt: clock + 1000 })],
    result: null,
  }));
  for (const u of ['sip:u1@x', 'sip:u2@x', 'sip:u3@x', 'sip:u4@x']) {
    await s.updateAor(u, () => ({ bindings: [binding('s', { aor: u, expiresAt: clock + 1000 })], result: null }));
  }
  const v1 = await raw.hget(`${p}aor:{${AOR}}`, '_v');
  t.equal(await s.sweep(), 0, 'nothing expired yet');
  t.equal(await raw.zcard(`${p}exp`), 8);
  clock += 2000;
  // Batches of 2 (members ordered alice, bob, bob, u1..u4): rewriting bob in the first batch also removes
  // bob's second binding, so 6 members are handled over three batches.
  t.equal(await s.sweep(), 6, 'expired members handled in batches');
  t.same(Object.keys(await raw.hgetall(`${p}aor:{${AOR}}`)).sort(), ['_v', 'long']);
  t.not(await raw.hget(`${p}aor:{${AOR}}`, '_v'), v1, 'version bumped by the sweep');
  t.equal(await raw.exists(`${p}aor:{${other}}`), 0, 'fully expired AOR deleted');
  t.same(await raw.zrange(`${p}exp`, '0', '-1'), [`${AOR}\nlong`]);
  t.same(await raw.smembers(`${p}conn:{n1:${CONN}}`), [`${AOR}\nlong`]);
});

t.test('Redis down: calls fail fast with StoreUnavailableError; the same instance recovers', async (t) => {
  const redis = await startRedis(t);
  const s = await store(t, config(redis), { sweepIntervalMs: 0 });
  await s.updateAor(AOR, () => ({ bindings: [binding('k1')], result: null }));
  t.ok(s.healthy);

  await redis.stop();
  const ops: Array<[string, () => Promise<unknown>]> = [
    ['lookup', () => s.lookup(AOR)],
    ['updateAor', () => s.updateAor(AOR, () => ({ bindings: [], result: null }))],
    ['dropConnection', () => s.dropConnection('n1', CONN, false)],
    ['acceptNonceCount', () => s.acceptNonceCount('n', 1, 1000)],
    ['recordFailure', () => s.recordFailure('u', 1000)],
    ['failureCount', () => s.failureCount('u')],
    ['clearFailures', () => s.clearFailures('u')],
  ];
  for (const [name, op] of ops) {
    const started = Date.now();
    await t.rejects(op(), StoreUnavailableError, `${name} rejects with StoreUnavailableError`);
    const took = Date.now() - started;
    t.ok(took < 1500, `${name} failed fast (${took} ms)`);
  }
  // ioredis marks the connection down when the socket's close event is handled, which may come a moment after a
  // command already failed on it.
  const downBy = Date.now() + 1000;
  while (s.healthy && Date.now() < downBy) await sleep(10);
  t.notOk(s.healthy, 'not healthy while down (within a second)');
  try {
    await s.lookup(AOR);
  } catch (err) {
    t.match((err as Error).message, new RegExp(`127\\.0\\.0\\.1:${redis.port}`), 'message names the server');
  }

  await redis.restart();
  const deadline = Date.now() + 5000;
  let recovered = false;
  while (Date.now() < deadline) {
    try {
      await s.updateAor(AOR, () => ({ bindings: [binding('k2')], result: null }));
      recovered = true;
      break;
    } catch (err) {
      t.ok(err instanceof StoreUnavailableError, 'only StoreUnavailableError while reconnecting');
      await sleep(100);
    }
  }
  t.ok(recovered, 'the same store instance works again after Redis restarted');
  t.ok(s.healthy);
  t.same(keys(await s.lookup(AOR)), ['k2'], 'Redis restarted empty (no persistence); new writes work');
});

t.test('Redis not answering (SIGSTOP): calls time out with StoreUnavailableError after commandTimeoutMs', async (t) => {
  const redis = await startRedis(t);
  const s = await store(t, config(redis, { commandTimeoutMs: 300 }), { sweepIntervalMs: 0 });
  await s.updateAor(AOR, () => ({ bindings: [binding('k1')], result: null }));
  redis.process.signal('SIGSTOP');
  t.teardown(() => redis.process.signal('SIGCONT'));
  const started = Date.now();
  await t.rejects(s.lookup(AOR), StoreUnavailableError);
  await t.rejects(s.updateAor(AOR, () => ({ bindings: [], result: null })), StoreUnavailableError);
  const took = Date.now() - started;
  t.ok(took >= 250 && took < 1500, `timed out, did not hang (${took} ms for two calls)`);
  redis.process.signal('SIGCONT');
  const deadline = Date.now() + 3000;
  let back: Binding[] | undefined;
  while (!back && Date.now() < deadline) {
    back = await s.lookup(AOR).catch(() => undefined);
    if (!back) await sleep(50);
  }
  t.same(back && keys(back), ['k1'], 'answers again once Redis resumes; the failed write did not happen');
});

t.test('connect() does not hang and the store answers when Redis is unreachable at start', async (t) => {
  const port = await freePort('tcp');
  const cfg = config({ host: '127.0.0.1', port }, { commandTimeoutMs: 300 });
  const started = Date.now();
  const s = await createRegistrationStore({ type: 'redis', redis: cfg }, { sweepIntervalMs: 0 });
  t.teardown(() => s.close());
  t.ok(Date.now() - started < 1000, 'connect() returned after about commandTimeoutMs');
  t.equal(s.kind, 'redis');
  t.notOk((s as RedisRegistrationStore).healthy);
  const t0 = Date.now();
  await t.rejects(s.lookup(AOR), StoreUnavailableError);
  t.ok(Date.now() - t0 < 500, 'fails fast');
});

t.test('Sentinel mode: the store finds the master through a sentinel', async (t) => {
  const redis = await redisReady;
  const dir = makeTempDir(t);
  const port = await freePort('tcp');
  const conf = `${dir}/sentinel.conf`;
  writeFileSync(conf, `port ${port}\nbind 127.0.0.1\nsentinel monitor sipedge-test 127.0.0.1 ${redis.port} 1\n`);
  const sentinel = startProcess(t, 'redis-server', [conf, '--sentinel'], { debianPackage: 'redis-server' });
  await waitForListening(port, ['tcp'], { abortIf: () => (sentinel.exitInfo ? sentinel.output() : null) });
  const cfg = config({ host: 'unused', port: 1 }, { sentinels: [`127.0.0.1:${port}`], sentinelName: 'sipedge-test' });
  const s = await store(t, cfg, { sweepIntervalMs: 0 });
  t.ok(s.healthy, 'connected to the master');
  await s.updateAor(AOR, () => ({ bindings: [binding('k1')], result: null }));
  const raw = rawClient(t, redis);
  t.equal(await raw.exists(`${cfg.keyPrefix}aor:{${AOR}}`), 1, 'written to the monitored master');
  t.same(keys(await s.lookup(AOR)), ['k1']);
});

t.test('createRegistrationStore picks the implementation', async (t) => {
  const redis = await redisReady;
  const m = await createRegistrationStore({ type: 'memory', redis: config(redis) });
  t.teardown(() => m.close());
  t.equal(m.kind, 'memory');
  const r = await createRegistrationStore({ type: 'redis', redis: config(redis) }, { sweepIntervalMs: 0 });
  t.teardown(() => r.close());
  t.equal(r.kind, 'redis');
  t.ok((r as RedisRegistrationStore).healthy, 'connected before it is returned');
});

t.test('helpers: host:port parsing and reconnect backoff', async (t) => {
  t.same(parseHostPort('10.0.0.1:26380', 26379), { host: '10.0.0.1', port: 26380 });
  t.same(parseHostPort('sentinel-a', 26379), { host: 'sentinel-a', port: 26379 });
  t.same(parseHostPort('[::1]:7000', 6379), { host: '::1', port: 7000 });
  t.throws(() => parseHostPort('', 1));
  t.same([1, 2, 3, 4, 5, 6, 50].map(retryDelay), [100, 200, 400, 800, 1600, 2000, 2000]);
});

t.test('throughput: concurrent registrations on distinct AORs (auto-pipelined)', async (t) => {
  const redis = await redisReady;
  const s = await store(t, config(redis), { sweepIntervalMs: 0 });
  const n = 5000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const aor = `sip:user${i}@example.com`;
      return s.updateAor(aor, (cur) => ({ bindings: [...cur, binding(`k${i}`, { aor, connectionId: `tcp:192.0.2.1:${i}` })], result: null }));
    }),
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.comment(`updateAor: ${n} in ${ms.toFixed(0)} ms = ${Math.round((n / ms) * 1000)}/s`);
  const t1 = process.hrtime.bigint();
  const found = await Promise.all(Array.from({ length: n }, (_, i) => s.lookup(`sip:user${i}@example.com`)));
  const ms2 = Number(process.hrtime.bigint() - t1) / 1e6;
  t.comment(`lookup: ${n} in ${ms2.toFixed(0)} ms = ${Math.round((n / ms2) * 1000)}/s`);
  t.equal(found.filter((f) => f.length === 1).length, n);
});
