/**
 * Map-backed DnsLookups: fixed records for tests and for hosts defined in the
 * configuration. Names are matched case-insensitively, with or without a
 * trailing dot. A name with no entry of that type falls through to
 * `fallback` when one is given, else has no records.
 */
import type { DnsLookups, NaptrRecord, SrvRecord } from './dns-lookups.js';

export interface StaticRecords {
  naptr?: Record<string, NaptrRecord[]>;
  srv?: Record<string, SrvRecord[]>;
  a?: Record<string, string[]>;
  aaaa?: Record<string, string[]>;
}

function normalise(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function toMap<T>(rec: Record<string, T[]> | undefined): Map<string, T[]> {
  const m = new Map<string, T[]>();
  if (rec !== undefined) for (const [k, v] of Object.entries(rec)) m.set(normalise(k), v);
  return m;
}

export class StaticLookups implements DnsLookups {
  private readonly naptr: Map<string, NaptrRecord[]>;
  private readonly srv: Map<string, SrvRecord[]>;
  private readonly a: Map<string, string[]>;
  private readonly aaaa: Map<string, string[]>;

  /** Every query made ('A example.com'), only when constructed with `trace` (tests check which lookups ran). */
  readonly queries: string[] | undefined;

  constructor(records: StaticRecords, private readonly fallback?: DnsLookups, trace = false) {
    this.queries = trace ? [] : undefined;
    this.naptr = toMap(records.naptr);
    this.srv = toMap(records.srv);
    this.a = toMap(records.a);
    this.aaaa = toMap(records.aaaa);
  }

  resolveNaptr(name: string): Promise<NaptrRecord[]> {
    return this.lookup('NAPTR', this.naptr, name, (f) => f.resolveNaptr(name));
  }

  resolveSrv(name: string): Promise<SrvRecord[]> {
    return this.lookup('SRV', this.srv, name, (f) => f.resolveSrv(name));
  }

  resolve4(name: string): Promise<string[]> {
    return this.lookup('A', this.a, name, (f) => f.resolve4(name));
  }

  resolve6(name: string): Promise<string[]> {
    return this.lookup('AAAA', this.aaaa, name, (f) => f.resolve6(name));
  }

  private lookup<T>(type: string, map: Map<string, T[]>, name: string, viaFallback: (f: DnsLookups) => Promise<T[]>): Promise<T[]> {
    this.queries?.push(`${type} ${name}`);
    const hit = map.get(normalise(name));
    if (hit !== undefined) return Promise.resolve(hit.slice());
    if (this.fallback !== undefined) return viaFallback(this.fallback);
    return Promise.resolve([]);
  }
}
