/**
 * Proxy destinations (spec 9.1 fields 9+): URI parsing, transport choice and
 * next-hop resolution (RFC 3263 through the resolver when the host is a name).
 */
import { isIP } from 'node:net';
import type { SipUri, TransportName } from '../../messages/types.js';
import { tryParseUri } from '../../messages/uri.js';
import type { SendTarget } from '../../transport/types.js';
import type { LocalAddresses, NextHopResolver } from '../contracts.js';

export interface ProxyTarget {
  /** The destination URI as it goes into the Request-URI when that is rewritten. */
  uri: string;
  parsed: SipUri;
  transport: TransportName;
  /** The URI named its transport (`;transport=`, or sips:), so no fallback to another one. */
  explicitTransport: boolean;
}

/** srf prefixes 'sip:' to anything not starting with 'sip'/'tel', which turns 'sips:x' into 'sip:sips:x' (spec 9.1). */
export function normalizeDestination(dest: string): string {
  const d = dest.trim();
  const lower = d.slice(0, 9).toLowerCase();
  if (lower.startsWith('sip:sips:') || lower.startsWith('sip:sip:')) return d.slice(4);
  return d;
}

function transportParam(uri: SipUri): TransportName | undefined {
  const t = uri.params.get('transport');
  if (typeof t !== 'string') return undefined;
  const l = t.toLowerCase();
  return l === 'udp' || l === 'tcp' || l === 'tls' ? l : undefined;
}

/**
 * Transport from `;transport=` (sips: means TLS); otherwise UDP, as RFC 3263 4.1 says for a sip: URI without one
 * (spec 14.3: the first configured transport), falling back to TCP when we do not listen on UDP (spec 9.3).
 * A named transport we do not listen on makes the target unusable (spec 14.3 step 4).
 */
export function chooseTransport(uri: SipUri, local: LocalAddresses): { transport: TransportName; explicit: boolean } | undefined {
  const named = transportParam(uri) ?? (uri.scheme === 'sips' ? 'tls' : undefined);
  if (named !== undefined) return local.listener(named) ? { transport: named, explicit: true } : undefined;
  if (local.listener('udp')) return { transport: 'udp', explicit: false };
  if (local.listener('tcp')) return { transport: 'tcp', explicit: false };
  return undefined;
}

/** A destination string as a target, or undefined when it is not a usable sip/sips URI. */
export function parseTarget(dest: string, local: LocalAddresses): ProxyTarget | undefined {
  const uri = normalizeDestination(dest);
  const parsed = tryParseUri(uri);
  if (parsed === undefined || (parsed.scheme !== 'sip' && parsed.scheme !== 'sips') || parsed.host.length === 0) return undefined;
  const choice = chooseTransport(parsed, local);
  if (choice === undefined) return undefined;
  return { uri, parsed, transport: choice.transport, explicitTransport: choice.explicit };
}

function bareHost(host: string): string {
  return host.charCodeAt(0) === 0x5b ? host.slice(1, -1) : host;
}

/** RFC 3263 4.2: an IP literal without a port uses the transport's default port. */
export function defaultPort(transport: TransportName): number {
  return transport === 'tls' ? 5061 : 5060;
}

/** The hop for a URI: an IP literal directly, a name through the resolver (or the OS resolver at send time without one). */
export async function resolveHop(
  uri: SipUri,
  transport: TransportName,
  explicitTransport: boolean,
  resolver: NextHopResolver | undefined,
): Promise<SendTarget[]> {
  const host = bareHost(uri.host);
  if (isIP(host) !== 0 || resolver === undefined) {
    return [{ transport, host, port: uri.port ?? defaultPort(transport) }];
  }
  const hops = await resolver.resolve(uri.raw, explicitTransport ? { transport } : undefined);
  return hops;
}
