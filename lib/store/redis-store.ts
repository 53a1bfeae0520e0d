/**
 * The Redis registration store: the cluster's shared source of truth (standalone, Sentinel or Cluster).
 * Key layout, atomicity and expiry: docs/store.md.
 *
 * - Every ioredis failure becomes StoreUnavailableError; with the offline queue off and few retries per request,
 *   calls fail fast while Redis is down, and the client reconnects by itself (capped backoff) when it returns.
 * - Auto-pipelining batches the commands issued in one event-loop tick into one round trip.
 * - updateAor is an optimistic read (HGETALL) + versioned compare-and-set (Lua), retried on conflict. Calls for
 *   one AOR on this instance are queued locally so that only other nodes can cause conflicts.
 */
import { randomBytes } from 'node:crypto';
import { Redis, Cluster, type RedisOptions, type ClusterOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisStoreConfig } from '../config/config-schema.js';
import {
  settleDigestStepwise,
  StoreUnavailableError,
  type AorChange,
  type AorReadAhead,
  type Binding,
  type DigestAttempt,
  type DigestVerdict,
  type RegistrationStore,
} from './registration-store.js';
import { batchWrites } from '../common/tick-batcher.js';
import { ACCEPT_NC, CAS_AOR, CONN_INDEX, DROP_BINDINGS, RECORD_FAILURE, SETTLE_DIGEST, ZREM_EXPIRED } from './redis-scripts.js';

export interface RedisStoreOptions {
  /** Clock (epoch ms); injectable for tests. Binding TTLs are computed relative to it. */
  now?: () => number;
  logger?: Logger;
  /** Period of the expired-binding sweep (ms); 0 disables the timer. Default 15 s. */
  sweepIntervalMs?: number;
  /** Expiry-index members handled per sweep batch. Default 100. */
  sweepBatch?: number;
  /** Compare-and-set attempts of one updateAor before giving up with StoreUnavailableError. Default 25. */
  maxAttempts?: number;
}

type Client = Redis | Cluster;
type Arg = string | number;

/** The commands added with defineCommand. */
interface ScriptCommands {
  sipedgeCasAor(numKeys: number, ...args: Arg[]): Promise<number>;
  sipedgeConnIndex(key: string, ttl: number, ops: string): Promise<number>;
  sipedgeDropBindings(aorKey: string, expKey: string, connKey: string, ...args: Arg[]): Promise<number>;
  sipedgeZremExpired(key: string, now: number, ...members: string[]): Promise<number>;
  sipedgeAcceptNc(key: string, nc: number, ttl: number): Promise<number>;
  sipedgeRecordFailure(key: string, windowMs: number): Promise<number>;
  sipedgeSettleDigest(userKey: string, sourceKey: string, ncKey: string, ...args: Arg[]): Promise<string>;
}

/** A started HGETALL of an AOR; undefined once it failed (the update then reads for itself). */
interface RedisReadAhead extends AorReadAhead {
  readonly raw: Promise<Record<string, string> | undefined>;
}

const SEP = '\n';
/** Connection sets looked at per round trip by connectionsBound. */
const CONNECTION_SLICE = 500;
const VERSION_FIELD = '_v';
const VERDICTS: ReadonlySet<string> = new Set<DigestVerdict>(['throttled', 'failed', 'stale', 'replay', 'accepted']);

/** Parses "host:port" / "[v6]:port" (port defaulting to `defPort`). */
export function parseHostPort(s: string, defPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m || !m[1]) throw new Error(`invalid host:port '${s}'`);
  return { host: m[1], port: m[2] ? Number(m[2]) : defPort };
}

/** Reconnect delay: 100 ms doubling up to 2 s, forever. */
export function retryDelay(times: number): number {
  return Math.min(100 * 2 ** Math.max(0, times - 1), 2000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface ConnOps {
  index: number;
  ttl: number;
  rem: string[];
  add: string[];
}

export class RedisRegistrationStore implements RegistrationStore {
  readonly kind = 'redis' as const;
  private readonly client: Client;
  private readonly scripts: ScriptCommands;
  private readonly now: () => number;
  private readonly logger: Logger | undefined;
  private readonly prefix: string;
  private readonly isCluster: boolean;
  private readonly target: string;
  private readonly maxAttempts: number;
  private readonly sweepBatch: number;
  private readonly chains = new Map<string, Promise<void>>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private closed = false;
  private lastErrorLog = 0;
  /** Compare-and-set conflicts seen (another writer changed the AOR in between); for tests and metrics. */
  conflicts = 0;
  /** The unique part of the versions this instance writes: random per instance, then a sequence (no randomness per write). */
  private readonly versionTag = randomBytes(4).toString('hex');
  private versionSeq = 0;

  constructor(
    private readonly cfg: RedisStoreConfig,
    opts: RedisStoreOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger;
    this.prefix = cfg.keyPrefix;
    // Generous: under CPU starvation 50 writers racing on one AOR needed more than 10 (a test saw it); each retry
    // backs off up to 20 ms, so this still gives up within about a quarter of a second on average.
    this.maxAttempts = opts.maxAttempts ?? 25;
    this.sweepBatch = opts.sweepBatch ?? 100;
    const common: RedisOptions = {
      password: cfg.password,
      commandTimeout: cfg.commandTimeoutMs,
      connectTimeout: Math.max(1000, 2 * cfg.commandTimeoutMs),
      maxRetriesPerRequest: 1,
      // No auto-pipelining: its per-tick Pipeline objects (one pipeline in flight at a time, commands queued
      // behind it) made a quarter of the registrar's store CPU and 4x its GC pause time in a micro-benchmark.
      // The commands of one tick still leave in one write: see batched() below.
      enableAutoPipelining: false,
      lazyConnect: false,
    };
    if (cfg.clusterNodes.length > 0) {
      this.isCluster = true;
      this.target = `cluster ${cfg.clusterNodes.join(',')}`;
      const clusterOpts: ClusterOptions = {
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        clusterRetryStrategy: (times: number) => retryDelay(times),
        redisOptions: {
          password: common.password,
          commandTimeout: common.commandTimeout,
          connectTimeout: common.connectTimeout,
          maxRetriesPerRequest: common.maxRetriesPerRequest,
        },
      };
      this.client = new Cluster(
        cfg.clusterNodes.map((n) => parseHostPort(n, 6379)),
        clusterOpts,
      );
    } else {
      this.isCluster = false;
      const base: RedisOptions = {
        ...common,
        db: cfg.db,
        enableOfflineQueue: false,
        retryStrategy: retryDelay,
      };
      if (cfg.sentinels.length > 0) {
        this.target = `sentinel ${cfg.sentinelName}@${cfg.sentinels.join(',')}`;
        this.client = new Redis({
          ...base,
          sentinels: cfg.sentinels.map((s) => parseHostPort(s, 26379)),
          name: cfg.sentinelName,
          sentinelPassword: cfg.password,
          sentinelRetryStrategy: retryDelay,
        });
      } else {
        this.target = `${cfg.host}:${cfg.port}`;
        this.client = new Redis({ ...base, host: cfg.host, port: cfg.port });
      }
    }
    this.client.defineCommand('sipedgeCasAor', { lua: CAS_AOR });
    this.client.defineCommand('sipedgeConnIndex', { lua: CONN_INDEX, numberOfKeys: 1 });
    this.client.defineCommand('sipedgeDropBindings', { lua: DROP_BINDINGS, numberOfKeys: 3 });
    this.client.defineCommand('sipedgeZremExpired', { lua: ZREM_EXPIRED, numberOfKeys: 1 });
    this.client.defineCommand('sipedgeAcceptNc', { lua: ACCEPT_NC, numberOfKeys: 1 });
    this.client.defineCommand('sipedgeRecordFailure', { lua: RECORD_FAILURE, numberOfKeys: 1 });
    this.client.defineCommand('sipedgeSettleDigest', { lua: SETTLE_DIGEST, numberOfKeys: 3 });
    this.scripts = this.client as unknown as ScriptCommands;
    // Without a listener an 'error' event would crash the process; reconnecting is ioredis's job.
    this.client.on('error', (err: Error) => {
      const t = Date.now();
      if (t - this.lastErrorLog > 5000) {
        this.lastErrorLog = t;
        this.logger?.warn({ err: err.message, redis: this.target }, 'redis store connection error');
      }
    });
    this.client.on('ready', () => this.logger?.info({ redis: this.target }, 'redis store ready'));
    const interval = opts.sweepIntervalMs ?? 15_000;
    if (interval > 0) {
      this.sweepTimer = setInterval(() => void this.runSweep(), interval);
      this.sweepTimer.unref();
    }
  }

  /** True while the connection is up and ready for commands. */
  get healthy(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * Waits until the client is ready, at most commandTimeoutMs. Never rejects: if Redis is unreachable the store
   * stays usable (calls fail with StoreUnavailableError) and keeps reconnecting in the background.
   */
  async connect(): Promise<void> {
    if (this.healthy || this.closed) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.logger?.warn({ redis: this.target }, 'redis store not ready yet; continuing, reconnecting in background');
        done();
      }, this.cfg.commandTimeoutMs);
      this.client.on('ready', done);
    });
  }

  // ---- keys ----

  aorKey(aor: string): string {
    return `${this.prefix}aor:{${aor}}`;
  }
  expKey(): string {
    return `${this.prefix}exp`;
  }
  connKey(nodeId: string, connectionId: string): string {
    return `${this.prefix}conn:{${nodeId}:${connectionId}}`;
  }
  nonceKey(nonce: string): string {
    return `${this.prefix}nc:{${nonce}}`;
  }
  failKey(key: string): string {
    return `${this.prefix}fail:${key}`;
  }

  // ---- interface ----

  async lookup(aor: string): Promise<Binding[]> {
    const raw = await this.call('lookup', () => this.client.hgetall(this.aorKey(aor)));
    const now = this.now();
    const out: Binding[] = [];
    for (const b of this.parse(raw).bindings.values()) if (b && b.expiresAt > now) out.push(b);
    return out;
  }

  async updateAor<T>(aor: string, decide: (current: Binding[]) => AorChange<T>, readAhead?: AorReadAhead): Promise<T> {
    const ahead = readAhead !== undefined && readAhead.aor === aor ? (readAhead as RedisReadAhead).raw : undefined;
    return this.serialized(aor, () =>
      this.casLoop(
        aor,
        (all, now) => {
          const change = decide(all.filter((b) => b.expiresAt > now));
          return { write: change.bindings, result: change.result };
        },
        ahead,
      ),
    );
  }

  readAhead(aor: string): AorReadAhead | undefined {
    if (this.closed || !this.healthy) return undefined;
    this.batched();
    // Caught here: a read-ahead nobody uses (the request was refused) must not become an unhandled rejection.
    const raw = this.client.hgetall(this.aorKey(aor)).catch(() => undefined);
    const ahead: RedisReadAhead = { aor, raw };
    return ahead;
  }

  async dropConnection(nodeId: string, connectionId: string, markUnreachable: boolean): Promise<number> {
    const members = await this.call('dropConnection', () => this.client.smembers(this.connKey(nodeId, connectionId)));
    const perAor = new Map<string, Set<string>>();
    for (const m of members) {
      const i = m.indexOf(SEP);
      if (i < 0) continue;
      const aor = m.slice(0, i);
      let keys = perAor.get(aor);
      if (!keys) perAor.set(aor, (keys = new Set()));
      keys.add(m.slice(i + 1));
    }
    if (!this.isCluster && !markUnreachable) {
      // One script per AOR instead of a read and a compare-and-set: closing connections is as frequent as
      // registering when devices connect per registration.
      const connKey = this.connKey(nodeId, connectionId);
      const counts = await Promise.all(
        [...perAor].map(([aor, keys]) =>
          this.serialized(aor, () =>
            this.call('dropConnection', () =>
              this.scripts.sipedgeDropBindings(
                this.aorKey(aor),
                this.expKey(),
                connKey,
                nodeId,
                connectionId,
                this.now(),
                this.versionWriterPart(),
                aor + SEP,
                ...keys,
              ),
            ),
          ),
        ),
      );
      return counts.reduce((a, b) => a + Number(b), 0);
    }
    const counts = await Promise.all(
      [...perAor].map(([aor, keys]) =>
        this.serialized(aor, () =>
          this.casLoop(aor, (all, now) => {
            let affected = 0;
            const next: Binding[] = [];
            for (const b of all) {
              if (b.expiresAt <= now) continue;
              const onIt = keys.has(b.key) && b.nodeId === nodeId && b.connectionId === connectionId;
              if (!onIt) next.push(b);
              else if (markUnreachable) {
                if (b.reachable) affected++;
                next.push({ ...b, reachable: false });
              } else affected++;
            }
            return { write: affected > 0 ? next : undefined, result: affected };
          }),
        ),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async connectionsBound(nodeId: string, connectionIds: readonly string[]): Promise<boolean[]> {
    const out: boolean[] = [];
    // In slices, so that a node with many connections does not queue them all in front of registrations at once.
    for (let i = 0; i < connectionIds.length; i += CONNECTION_SLICE) {
      const slice = connectionIds.slice(i, i + CONNECTION_SLICE);
      const counts = await Promise.all(
        slice.map((id) => this.call('connectionsBound', () => this.client.scard(this.connKey(nodeId, id)))),
      );
      for (const n of counts) out.push(n > 0);
    }
    return out;
  }

  async acceptNonceCount(nonce: string, nc: number, ttlMs: number): Promise<boolean> {
    const r = await this.call('acceptNonceCount', () =>
      this.scripts.sipedgeAcceptNc(this.nonceKey(nonce), nc, Math.max(1, Math.ceil(ttlMs))),
    );
    return Number(r) === 1;
  }

  async recordFailure(key: string, windowMs: number): Promise<number> {
    const r = await this.call('recordFailure', () =>
      this.scripts.sipedgeRecordFailure(this.failKey(key), Math.max(1, Math.ceil(windowMs))),
    );
    return Number(r);
  }

  async failureCount(key: string): Promise<number> {
    const r = await this.call('failureCount', () => this.client.get(this.failKey(key)));
    return r === null ? 0 : Number(r) || 0;
  }

  async clearFailures(key: string): Promise<void> {
    await this.call('clearFailures', () => this.client.del(this.failKey(key)));
  }

  async settleDigest(a: DigestAttempt): Promise<DigestVerdict> {
    // In a Cluster the three keys live in different slots, so no one script can touch them all.
    if (this.isCluster) return settleDigestStepwise(this, a);
    const verdict = await this.call('settleDigest', () =>
      this.scripts.sipedgeSettleDigest(
        this.failKey(a.userKey),
        this.failKey(a.sourceKey),
        this.nonceKey(a.nonce),
        a.maxFailures,
        Math.max(1, Math.ceil(a.windowMs)),
        a.check,
        a.nc,
        Math.max(1, Math.ceil(a.ncTtlMs)),
      ),
    );
    if (!VERDICTS.has(verdict)) throw this.unavailable('settleDigest', new Error(`unexpected reply ${String(verdict)}`));
    return verdict as DigestVerdict;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
      } catch {
        // fall through to disconnect
      }
    }
    this.client.disconnect();
  }

  /**
   * One sweep: finds expired members of the expiry index (in batches), rewrites their AORs without the expired
   * bindings (versioned like any write), then drops index members still expired. Returns members handled.
   * Run by the timer; public for tests.
   */
  async sweep(maxBatches = 10): Promise<number> {
    let handled = 0;
    for (let batch = 0; batch < maxBatches; batch++) {
      const now = this.now();
      const members = await this.call('sweep', () =>
        this.client.zrangebyscore(this.expKey(), '-inf', now, 'LIMIT', 0, this.sweepBatch),
      );
      if (members.length === 0) break;
      const aors = new Set<string>();
      for (const m of members) {
        const i = m.indexOf(SEP);
        if (i > 0) aors.add(m.slice(0, i));
      }
      await Promise.all(
        [...aors].map((aor) =>
          this.serialized(aor, () =>
            this.casLoop(aor, (all, t) => {
              const live = all.filter((b) => b.expiresAt > t);
              return { write: live.length < all.length ? live : undefined, result: undefined };
            }),
          ),
        ),
      );
      await this.call('sweep', () => this.scripts.sipedgeZremExpired(this.expKey(), now, ...members));
      handled += members.length;
      if (members.length < this.sweepBatch) break;
    }
    return handled;
  }

  // ---- internals ----

  private async runSweep(): Promise<void> {
    if (this.sweeping || this.closed || !this.healthy) return;
    this.sweeping = true;
    try {
      await this.sweep();
    } catch (err) {
      this.logger?.debug({ err: (err as Error).message }, 'redis store sweep failed');
    } finally {
      this.sweeping = false;
    }
  }

  private unavailable(op: string, err: unknown): StoreUnavailableError {
    if (err instanceof StoreUnavailableError) return err;
    const msg = err instanceof Error ? err.message : String(err);
    return new StoreUnavailableError(`registration store (redis ${this.target}) unavailable: ${op}: ${msg}`, {
      cause: err,
    });
  }

  /**
   * Commands issued until the end of this tick leave in one write (ioredis writes each command apart). Cluster
   * clients keep ioredis's own auto-pipelining, per node.
   */
  private batched(): void {
    if (!this.isCluster) batchWrites((this.client as Redis).stream);
  }

  /** Runs one Redis operation, turning any failure into StoreUnavailableError. */
  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError(`registration store (redis ${this.target}) is closed`);
    this.batched();
    try {
      return await fn();
    } catch (err) {
      throw this.unavailable(op, err);
    }
  }

  /** Queues operations on one AOR within this instance (no self-inflicted compare-and-set conflicts). */
  private async serialized<T>(aor: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(aor) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.chains.set(aor, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.chains.get(aor) === tail) this.chains.delete(aor);
    }
  }

  /** Bindings of a raw HGETALL reply by key (null: a field that does not parse), and the version. */
  private parse(raw: Record<string, string>): { version: string; bindings: Map<string, Binding | null> } {
    const bindings = new Map<string, Binding | null>();
    let version = '';
    for (const [field, value] of Object.entries(raw)) {
      if (field === VERSION_FIELD) {
        version = value;
        continue;
      }
      try {
        bindings.set(field, JSON.parse(value) as Binding);
      } catch {
        bindings.set(field, null);
      }
    }
    return { version, bindings };
  }

  /**
   * Read, decide, compare-and-set; on conflict re-read and decide again. `decide` sees every parsed binding,
   * expired ones included, and the clock value used for this attempt.
   */
  private async casLoop<T>(
    aor: string,
    decide: (all: Binding[], now: number) => { write: Binding[] | undefined; result: T },
    readAhead?: Promise<Record<string, string> | undefined>,
  ): Promise<T> {
    const key = this.aorKey(aor);
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      // A read made ahead may be older than another local write queued before this one: the compare-and-set
      // then fails and the retry reads afresh.
      const ahead = attempt === 0 && readAhead !== undefined ? await readAhead : undefined;
      const raw = ahead ?? (await this.call('updateAor read', () => this.client.hgetall(key)));
      const { version, bindings: old } = this.parse(raw);
      const now = this.now();
      const all: Binding[] = [];
      for (const b of old.values()) if (b) all.push(b);
      const d = decide(all, now);
      if (d.write === undefined) return d.result;
      if (await this.commit(aor, version, old, d.write, now)) return d.result;
      this.conflicts++;
      await sleep(Math.random() * Math.min(2 ** attempt, 20));
    }
    throw new StoreUnavailableError(
      `registration store (redis ${this.target}): AOR ${aor} still changing after ${this.maxAttempts} attempts`,
    );
  }

  /** The part of a new version no other write ever used: this instance's tag and write sequence. */
  private versionWriterPart(): string {
    return `${this.versionTag}${(++this.versionSeq).toString(36)}`;
  }

  /** Writes `next` over `old` if the version is still `version`. False on conflict. */
  private async commit(
    aor: string,
    version: string,
    old: Map<string, Binding | null>,
    next: readonly Binding[],
    now: number,
  ): Promise<boolean> {
    const fresh = new Map<string, Binding>();
    for (const b of next) if (b.expiresAt > now) fresh.set(b.key, b);
    const member = (k: string): string => `${aor}${SEP}${k}`;
    const del: string[] = [];
    const zrem: string[] = [];
    const set: string[] = [];
    const zadd: string[] = [];
    const connKeys: string[] = [];
    const conn = new Map<string, ConnOps>();
    const connOps = (nodeId: string, connectionId: string): ConnOps => {
      const k = this.connKey(nodeId, connectionId);
      let c = conn.get(k);
      if (!c) {
        // KEYS[1] = AOR hash, KEYS[2] = expiry index, connection sets from KEYS[3] (Lua indexes from 1).
        c = { index: 3 + connKeys.length, ttl: 0, rem: [], add: [] };
        conn.set(k, c);
        connKeys.push(k);
      }
      return c;
    };
    for (const [k, b] of old) {
      const n = fresh.get(k);
      if (!n) {
        del.push(k);
        zrem.push(member(k));
      }
      if (b && (!n || n.nodeId !== b.nodeId || n.connectionId !== b.connectionId)) {
        connOps(b.nodeId, b.connectionId).rem.push(member(k));
      }
    }
    let maxExp = 0;
    for (const [k, b] of fresh) {
      set.push(k, JSON.stringify(b));
      zadd.push(String(b.expiresAt), member(k));
      const c = connOps(b.nodeId, b.connectionId);
      c.add.push(member(k));
      c.ttl = Math.max(c.ttl, b.expiresAt - now);
      maxExp = Math.max(maxExp, b.expiresAt);
    }
    const ttl = fresh.size > 0 ? Math.max(1, Math.ceil(maxExp - now)) : 0;
    const counter = Number.parseInt(version, 10) || 0;
    const newVersion = `${counter + 1}.${this.versionWriterPart()}`;
    const conns = [...conn.values()];
    const ops = JSON.stringify({
      del,
      set,
      zrem,
      zadd,
      conn: conns.map((c) => [c.index, Math.max(1, Math.ceil(c.ttl)), c.rem, c.add]),
    });
    const aorKey = this.aorKey(aor);
    if (!this.isCluster) {
      const keys = [aorKey, this.expKey(), ...connKeys];
      const r = await this.call('updateAor write', () =>
        this.scripts.sipedgeCasAor(keys.length, ...keys, version, newVersion, ttl, ops),
      );
      return Number(r) === 1;
    }
    // Cluster: the index keys live in other slots, so the compare-and-set covers the AOR hash only and the
    // indexes follow as separate (idempotent) commands. Readers verify index entries against the hash.
    const r = await this.call('updateAor write', () =>
      this.scripts.sipedgeCasAor(1, aorKey, version, newVersion, ttl, ops),
    );
    if (Number(r) !== 1) return false;
    try {
      const work: Promise<unknown>[] = [];
      if (zrem.length) work.push(this.client.zrem(this.expKey(), ...zrem));
      if (zadd.length) work.push(this.client.zadd(this.expKey(), ...zadd));
      connKeys.forEach((k, i) => {
        const c = conns[i]!;
        work.push(this.scripts.sipedgeConnIndex(k, Math.max(1, Math.ceil(c.ttl)), JSON.stringify([c.rem, c.add])));
      });
      await Promise.all(work);
    } catch (err) {
      this.logger?.warn({ err: (err as Error).message, aor }, 'redis store: index update after write failed');
    }
    return true;
  }
}
