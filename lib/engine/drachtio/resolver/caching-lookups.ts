/**
 * A DnsLookups wrapper that remembers answers for a while and shares
 * in-flight queries, so a burst of calls to one domain (800 B2BUA calls/s)
 * costs one DNS round trip instead of one per call. node's resolver does no
 * caching of its own. TTLs are fixed (SRV/NAPTR answers from node carry none).
 */
import type { Clock } from '../../timers/clock.js';
import type { DnsLookups, NaptrRecord, SrvRecord } from './dns-lookups.js';

export interface CacheOptions {
  /** How long an answer with records is reused (ms, default 30 s). */
  ttlMs?: number;
  /** How long "no records" / a failure is reused (ms, default 5 s; RFC 2308 negative caching). */
  negativeTtlMs?: number;
  /** Entries kept at most; the oldest are dropped first (default 10 000). */
  maxEntries?: number;
}

interface Entry {
  expires: number;
  value: Promise<unknown[]>;
}

export class CachingLookups implements DnsLookups {
  private readonly entries = new Map<string, Entry>();
  private readonly ttl: number;
  private readonly negativeTtl: number;
  private readonly max: number;

  constructor(private readonly inner: DnsLookups, private readonly clock: Clock, opts: CacheOptions = {}) {
    this.ttl = opts.ttlMs ?? 30_000;
    this.negativeTtl = opts.negativeTtlMs ?? 5_000;
    this.max = opts.maxEntries ?? 10_000;
  }

  resolveNaptr(name: string): Promise<NaptrRecord[]> {
    return this.cached('N', name, () => this.inner.resolveNaptr(name));
  }

  resolveSrv(name: string): Promise<SrvRecord[]> {
    return this.cached('S', name, () => this.inner.resolveSrv(name));
  }

  resolve4(name: string): Promise<string[]> {
    return this.cached('4', name, () => this.inner.resolve4(name));
  }

  resolve6(name: string): Promise<string[]> {
    return this.cached('6', name, () => this.inner.resolve6(name));
  }

  /** Number of cached answers (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  private cached<T>(type: string, name: string, query: () => Promise<T[]>): Promise<T[]> {
    const key = type + name.toLowerCase();
    const now = this.clock.now();
    const hit = this.entries.get(key);
    // Answers are shared, not copied: DnsResolver only reads them (orderSrv and filter work on copies).
    if (hit !== undefined && hit.expires > now) return hit.value as Promise<T[]>;
    // Errors become [] so one failure is cached (negatively) like an empty answer.
    const value = query().then(
      (records) => records,
      () => [] as T[],
    );
    // While in flight the entry lives for the positive TTL; settle() shortens it for empty answers.
    const entry: Entry = { expires: now + this.ttl, value };
    if (hit !== undefined) this.entries.delete(key);
    else if (this.entries.size >= this.max) this.dropOldest();
    this.entries.set(key, entry);
    void value.then((records) => {
      if (records.length === 0) entry.expires = this.clock.now() + this.negativeTtl;
    });
    return value;
  }

  private dropOldest(): void {
    const first = this.entries.keys().next();
    if (first.done !== true) this.entries.delete(first.value);
  }
}
