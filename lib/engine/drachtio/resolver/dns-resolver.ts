/**
 * RFC 3263 section 4 next-hop resolution: a sip:/sips: URI becomes an ordered
 * list of (transport, address, port) targets. The caller walks the list for
 * failover (RFC 3263 4.3); this module only orders it.
 */
import type { Logger } from 'pino';
import type { TransportName } from '../../messages/types.js';
import type { SipUri } from '../../messages/types.js';
import { tryParseUri } from '../../messages/uri.js';
import type { SendTarget } from '../../transport/types.js';
import type { NextHopResolver } from '../contracts.js';
import { systemDnsLookups, type DnsLookups, type NaptrRecord, type SrvRecord } from './dns-lookups.js';
import { orderSrv, type RandomSource } from '../../../common/srv-order.js';
import { isIpLiteral, stripBrackets } from './ip-literal.js';
import { CachingLookups, type CacheOptions } from './caching-lookups.js';
import { systemClock, type Clock } from '../../timers/clock.js';

export interface DnsResolverOptions {
  /** Where DNS answers come from (default: node:dns/promises). */
  lookups?: DnsLookups;
  /** Random source for the RFC 2782 weighted ordering (default Math.random). */
  random?: RandomSource;
  /** Transports the engine can dial; NAPTR/SRV results for others are skipped (default all three). */
  transports?: readonly TransportName[];
  logger?: Logger;
  /**
   * Answer caching (caching-lookups.ts). Default: on for system DNS, off for
   * injected lookups; `false` turns it off, an object turns it on with those settings.
   */
  cache?: CacheOptions | false;
  /** Clock for cache expiry (default the system clock). */
  clock?: Clock;
}

/** RFC 3263 4.1 NAPTR service fields, and the SRV prefix for each transport (RFC 3263 4.1, RFC 3261 19.1.2). */
const NAPTR_SERVICE: Readonly<Record<string, TransportName>> = {
  'SIP+D2U': 'udp',
  'SIP+D2T': 'tcp',
  'SIPS+D2T': 'tls',
};
const SRV_PREFIX: Readonly<Record<TransportName, string>> = {
  udp: '_sip._udp.',
  tcp: '_sip._tcp.',
  tls: '_sips._tcp.',
};
/** SRV probing order when nothing says which transport (RFC 3263 4.1: "those transport protocols it supports"). */
const PROBE_ORDER: readonly TransportName[] = ['udp', 'tcp', 'tls'];

/** RFC 3261 19.1.2: 5060 for sip over udp/tcp, 5061 for TLS. */
export function defaultPort(transport: TransportName): number {
  return transport === 'tls' ? 5061 : 5060;
}

function transportParam(value: string | null | undefined): TransportName | 'unsupported' | undefined {
  if (typeof value !== 'string') return undefined;
  const t = value.toLowerCase();
  if (t === 'udp' || t === 'tcp' || t === 'tls') return t;
  return 'unsupported'; // ws, wss, sctp: cannot be dialled (spec 14.3)
}

/** Accept a bare `host[:port]` (spec 6.1 routeUrl) as a sip: URI, and srf's `sip:sips:` mangling (spec 19.19). */
function parseTargetUri(text: string): SipUri | undefined {
  let c = text.slice(0, 9).toLowerCase();
  if (c === 'sip:sips:') {
    text = text.slice(4);
    c = c.slice(4);
  }
  const full = c.startsWith('sip:') || c.startsWith('sips:') ? text : 'sip:' + text;
  const uri = tryParseUri(full);
  if (uri === undefined || (uri.scheme !== 'sip' && uri.scheme !== 'sips')) return undefined;
  return uri;
}

async function safe<T>(p: Promise<T[]>): Promise<T[]> {
  try {
    return await p;
  } catch {
    return []; // ENOTFOUND / ENODATA / SERVFAIL: no records of that type (RFC 3263 4.1 moves on)
  }
}

export class DnsResolver implements NextHopResolver {
  private readonly lookups: DnsLookups;
  private readonly random: RandomSource;
  private readonly allowed: ReadonlySet<TransportName>;
  private readonly log: Logger | undefined;
  private readonly plainDefault: TransportName;

  constructor(opts: DnsResolverOptions = {}) {
    const base = opts.lookups ?? systemDnsLookups;
    const cache = opts.cache ?? (opts.lookups === undefined ? {} : false);
    this.lookups = cache === false ? base : new CachingLookups(base, opts.clock ?? systemClock, cache);
    this.random = opts.random ?? Math.random;
    this.allowed = new Set(opts.transports ?? PROBE_ORDER);
    // RFC 3263 4.1: UDP for a sip URI with nothing else to go on; TCP when this engine has no UDP.
    this.plainDefault = this.allowed.has('udp') || !this.allowed.has('tcp') ? 'udp' : 'tcp';
    this.log = opts.logger;
  }

  /**
   * Ordered targets for a URI (RFC 3263 4.1 transport, 4.2 address and port).
   * `opts.transport` overrides the URI's `;transport=`. Returns [] when the
   * URI is not sip/sips, asks for a transport that cannot be dialled, or
   * nothing resolves.
   */
  async resolve(uriText: string, opts?: { transport?: TransportName }): Promise<SendTarget[]> {
    const uri = parseTargetUri(uriText);
    if (uri === undefined) return [];
    const secure = uri.scheme === 'sips';
    const maddr = uri.params.get('maddr');
    // RFC 3261 19.1.1 / RFC 3263 4: maddr replaces the host as the target, the URI's port still applies.
    const host = typeof maddr === 'string' && maddr.length > 0 ? maddr : uri.host;
    const port = uri.port;

    let transport: TransportName | undefined = opts?.transport;
    if (transport === undefined) {
      const p = transportParam(uri.params.get('transport'));
      if (p === 'unsupported') return [];
      transport = p;
    }
    // sips: is always TLS over TCP (RFC 3263 4.1; spec 13.1).
    if (secure) transport = 'tls';
    if (transport !== undefined && !this.allowed.has(transport)) return [];

    if (isIpLiteral(host)) {
      // RFC 3263 4.1/4.2: numeric target -> UDP for sip, TLS for sips, the given or default port.
      const t = transport ?? this.plainDefault;
      return [{ transport: t, host: stripBrackets(host), port: port ?? defaultPort(t) }];
    }
    if (port !== undefined) {
      // RFC 3263 4.2: an explicit port means A/AAAA only.
      return this.addressTargets(host, transport ?? this.plainDefault, port);
    }
    if (transport !== undefined) {
      const viaSrv = await this.srvTargets(SRV_PREFIX[transport] + host, transport);
      return viaSrv.length > 0 ? viaSrv : this.addressTargets(host, transport, defaultPort(transport));
    }

    const viaNaptr = await this.naptrTargets(host, secure);
    if (viaNaptr.length > 0) return viaNaptr;
    const viaProbe = await this.probeSrv(host, secure);
    if (viaProbe.length > 0) return viaProbe;
    const t: TransportName = secure ? 'tls' : this.plainDefault;
    return this.addressTargets(host, t, defaultPort(t));
  }

  /** RFC 3263 4.1: NAPTR records with an `s` flag and a service we can dial, by order then preference. */
  private async naptrTargets(host: string, secure: boolean): Promise<SendTarget[]> {
    const records = await safe(this.lookups.resolveNaptr(host));
    if (records.length === 0) return [];
    const usable: Array<{ rec: NaptrRecord; transport: TransportName }> = [];
    for (const rec of records) {
      const t = NAPTR_SERVICE[rec.service.toUpperCase()];
      if (t === undefined || !this.allowed.has(t)) continue;
      if (secure && t !== 'tls') continue; // a sips URI may only use SIPS+D2T (RFC 3263 4.1)
      if (rec.flags.toLowerCase().indexOf('s') < 0 || rec.replacement.length === 0) continue;
      usable.push({ rec, transport: t });
    }
    usable.sort((a, b) => a.rec.order - b.rec.order || a.rec.preference - b.rec.preference);
    const lists = await Promise.all(usable.map((u) => this.srvTargets(u.rec.replacement, u.transport)));
    this.log?.debug({ host, naptr: usable.length }, 'resolver: NAPTR');
    return lists.flat();
  }

  /** RFC 3263 4.1: no NAPTR, so query SRV for each transport we support, in our preference order. */
  private async probeSrv(host: string, secure: boolean): Promise<SendTarget[]> {
    const transports = secure ? (['tls'] as const) : PROBE_ORDER;
    const wanted = transports.filter((t) => this.allowed.has(t));
    const lists = await Promise.all(wanted.map((t) => this.srvTargets(SRV_PREFIX[t] + host, t)));
    return lists.flat();
  }

  /** SRV records ordered per RFC 2782, each target expanded to its A then AAAA addresses. */
  private async srvTargets(name: string, transport: TransportName): Promise<SendTarget[]> {
    const records = await safe(this.lookups.resolveSrv(name));
    if (records.length === 0) return [];
    // RFC 2782: a single record with target "." means the service is decidedly not available.
    const live = records.filter((r: SrvRecord) => r.name !== '.' && r.name !== '');
    if (live.length === 0) return [];
    const ordered = orderSrv(live, this.random);
    const lists = await Promise.all(ordered.map((r) => this.addressTargets(r.name, transport, r.port)));
    return lists.flat();
  }

  /** A then AAAA records of a name (RFC 3263 4.2); an IP literal SRV target is used as is. */
  private async addressTargets(name: string, transport: TransportName, port: number): Promise<SendTarget[]> {
    if (isIpLiteral(name)) return [{ transport, host: stripBrackets(name), port }];
    const [v4, v6] = await Promise.all([safe(this.lookups.resolve4(name)), safe(this.lookups.resolve6(name))]);
    const out: SendTarget[] = [];
    for (const a of v4) out.push({ transport, host: a, port });
    for (const a of v6) out.push({ transport, host: a, port });
    return out;
  }
}
