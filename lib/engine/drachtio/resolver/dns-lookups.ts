/**
 * The DNS queries RFC 3263 resolution needs, as an injectable interface so
 * tests and config-defined hosts never touch real DNS.
 */
import * as dns from 'node:dns/promises';

export interface NaptrRecord {
  flags: string;
  service: string;
  regexp: string;
  replacement: string;
  order: number;
  preference: number;
}

export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** Each query resolves to [] (or rejects, which callers treat as []) when the name has no such records. */
export interface DnsLookups {
  resolveNaptr(name: string): Promise<NaptrRecord[]>;
  resolveSrv(name: string): Promise<SrvRecord[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

/**
 * dns.resolve4/6 query DNS servers only; names from /etc/hosts (such as
 * 'localhost' or container names) need getaddrinfo, tried when DNS has nothing.
 */
async function addresses(name: string, family: 4 | 6): Promise<string[]> {
  try {
    const found = family === 4 ? await dns.resolve4(name) : await dns.resolve6(name);
    if (found.length > 0) return found;
  } catch {
    // fall through to the hosts file
  }
  try {
    const hosts = await dns.lookup(name, { family, all: true });
    return hosts.map((h) => h.address);
  } catch {
    return [];
  }
}

/** Real DNS through node:dns/promises (the system's configured servers), A/AAAA falling back to the hosts file. */
export const systemDnsLookups: DnsLookups = {
  resolveNaptr: (name) => dns.resolveNaptr(name),
  resolveSrv: (name) => dns.resolveSrv(name),
  resolve4: (name) => addresses(name, 4),
  resolve6: (name) => addresses(name, 6),
};
