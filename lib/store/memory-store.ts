/**
 * The in-memory registration store: a single node's state in Maps. Every method runs to completion without
 * yielding between its read and its write, so updateAor is atomic by construction and calls `decide` once.
 * Expired entries are left out on read and removed by a periodic sweep (an unref'd timer stopped by close()).
 */
import { settleDigestStepwise, type AorChange, type AorReadAhead, type Binding, type DigestAttempt, type DigestVerdict, type RegistrationStore } from './registration-store.js';

export interface MemoryStoreOptions {
  /** Clock (epoch ms); injectable for tests. */
  now?: () => number;
  /** How often expired bindings, nonce records and failure counters are swept (ms). Default 30 s. */
  sweepIntervalMs?: number;
}

interface Expiring {
  value: number;
  expiresAt: number;
}

const SEP = '\n';

function cloneBinding(b: Binding): Binding {
  const c: Binding = { ...b };
  if (b.path) c.path = [...b.path];
  return c;
}

function connKey(nodeId: string, connectionId: string): string {
  return `${nodeId}${SEP}${connectionId}`;
}

export class MemoryRegistrationStore implements RegistrationStore {
  readonly kind = 'memory' as const;
  private readonly now: () => number;
  /** aor -> binding key -> binding. */
  private readonly aors = new Map<string, Map<string, Binding>>();
  /** `nodeId\nconnectionId` -> set of `aor\nkey`. */
  private readonly byConnection = new Map<string, Set<string>>();
  private readonly nonces = new Map<string, Expiring>();
  private readonly failures = new Map<string, Expiring>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(opts: MemoryStoreOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.timer = setInterval(() => this.sweep(), opts.sweepIntervalMs ?? 30_000);
    this.timer.unref();
  }

  /** Number of AORs held (expired ones included until swept); for tests and metrics. */
  get aorCount(): number {
    return this.aors.size;
  }

  /** Number of connections indexed; for tests and metrics. */
  get connectionCount(): number {
    return this.byConnection.size;
  }

  async lookup(aor: string): Promise<Binding[]> {
    return this.current(aor, this.now());
  }

  async updateAor<T>(aor: string, decide: (current: Binding[]) => AorChange<T>): Promise<T> {
    const now = this.now();
    const change = decide(this.current(aor, now));
    if (change.bindings !== undefined) this.write(aor, change.bindings, now);
    return change.result;
  }

  async connectionsBound(nodeId: string, connectionIds: readonly string[]): Promise<boolean[]> {
    const now = this.now();
    return connectionIds.map((connectionId) => {
      for (const m of this.byConnection.get(connKey(nodeId, connectionId)) ?? []) {
        const i = m.indexOf(SEP);
        const b = this.aors.get(m.slice(0, i))?.get(m.slice(i + 1));
        if (b !== undefined && b.expiresAt > now && b.nodeId === nodeId && b.connectionId === connectionId) return true;
      }
      return false;
    });
  }

  async dropConnection(nodeId: string, connectionId: string, markUnreachable: boolean): Promise<number> {
    const ck = connKey(nodeId, connectionId);
    const members = this.byConnection.get(ck);
    if (!members) return 0;
    const now = this.now();
    const perAor = new Map<string, Set<string>>();
    for (const m of members) {
      const i = m.indexOf(SEP);
      const aor = m.slice(0, i);
      let keys = perAor.get(aor);
      if (!keys) perAor.set(aor, (keys = new Set()));
      keys.add(m.slice(i + 1));
    }
    let affected = 0;
    for (const [aor, keys] of perAor) {
      const next: Binding[] = [];
      let changed = false;
      for (const b of this.current(aor, now)) {
        const onIt = keys.has(b.key) && b.nodeId === nodeId && b.connectionId === connectionId;
        if (!onIt) {
          next.push(b);
        } else if (markUnreachable) {
          if (b.reachable) {
            affected++;
            changed = true;
          }
          next.push({ ...b, reachable: false });
        } else {
          affected++;
          changed = true;
        }
      }
      if (changed) this.write(aor, next, now);
    }
    if (!markUnreachable) this.byConnection.delete(ck);
    return affected;
  }

  async acceptNonceCount(nonce: string, nc: number, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const seen = this.nonces.get(nonce);
    if (seen && seen.expiresAt > now && seen.value >= nc) return false;
    this.nonces.set(nonce, { value: nc, expiresAt: now + ttlMs });
    return true;
  }

  async recordFailure(key: string, windowMs: number): Promise<number> {
    const now = this.now();
    const f = this.failures.get(key);
    if (f && f.expiresAt > now) {
      f.value++;
      return f.value;
    }
    this.failures.set(key, { value: 1, expiresAt: now + windowMs });
    return 1;
  }

  async failureCount(key: string): Promise<number> {
    const f = this.failures.get(key);
    return f && f.expiresAt > this.now() ? f.value : 0;
  }

  async clearFailures(key: string): Promise<void> {
    this.failures.delete(key);
  }

  settleDigest(attempt: DigestAttempt): Promise<DigestVerdict> {
    return settleDigestStepwise(this, attempt);
  }

  /** Reads cost nothing here. */
  readAhead(): AorReadAhead | undefined {
    return undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Removes everything expired at `now` (run by the timer; public for tests). */
  sweep(now = this.now()): void {
    for (const [aor, map] of this.aors) {
      let expired = false;
      for (const b of map.values()) {
        if (b.expiresAt <= now) {
          expired = true;
          break;
        }
      }
      if (expired) this.write(aor, this.current(aor, now), now);
    }
    for (const [k, v] of this.nonces) if (v.expiresAt <= now) this.nonces.delete(k);
    for (const [k, v] of this.failures) if (v.expiresAt <= now) this.failures.delete(k);
  }

  private current(aor: string, now: number): Binding[] {
    const map = this.aors.get(aor);
    if (!map) return [];
    const out: Binding[] = [];
    for (const b of map.values()) if (b.expiresAt > now) out.push(cloneBinding(b));
    return out;
  }

  /** Replaces the AOR's bindings with `bindings` (already-expired ones dropped), keeping the index in step. */
  private write(aor: string, bindings: readonly Binding[], now: number): void {
    const old = this.aors.get(aor);
    if (old) {
      for (const b of old.values()) {
        const ck = connKey(b.nodeId, b.connectionId);
        const set = this.byConnection.get(ck);
        if (set) {
          set.delete(`${aor}${SEP}${b.key}`);
          if (set.size === 0) this.byConnection.delete(ck);
        }
      }
    }
    const next = new Map<string, Binding>();
    for (const b of bindings) if (b.expiresAt > now) next.set(b.key, cloneBinding(b));
    if (next.size === 0) {
      this.aors.delete(aor);
      return;
    }
    this.aors.set(aor, next);
    for (const b of next.values()) {
      const ck = connKey(b.nodeId, b.connectionId);
      let set = this.byConnection.get(ck);
      if (!set) this.byConnection.set(ck, (set = new Set()));
      set.add(`${aor}${SEP}${b.key}`);
    }
  }
}
