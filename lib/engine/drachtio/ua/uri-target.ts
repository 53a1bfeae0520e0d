/**
 * Next hop of a URI without DNS (spec 13.1, RFC 3263 4 for IP literals): transport from `;transport=`
 * (sips -> tls), port from the URI or the transport's default. Hostnames go to the NextHopResolver.
 */
import { isIP } from 'node:net';
import type { SipUri, TransportName } from '../../messages/types.js';
import type { NextHopResolver } from '../contracts.js';
import type { SendTarget } from '../../transport/types.js';

/** `;transport=` of a URI (udp/tcp/tls; ws/wss map to tcp/tls like the real server's reporting, spec 7.1). */
export function uriTransport(uri: SipUri): TransportName | undefined {
  const t = uri.params.get('transport');
  if (typeof t === 'string') {
    const l = t.toLowerCase();
    if (l === 'udp') return 'udp';
    if (l === 'tcp' || l === 'ws') return 'tcp';
    if (l === 'tls' || l === 'wss') return 'tls';
  }
  return uri.scheme === 'sips' ? 'tls' : undefined;
}

function bare(host: string): string {
  return host.length > 1 && host.charCodeAt(0) === 0x5b ? host.slice(1, -1) : host;
}

/** The target of an IP-literal URI, or undefined when the host needs DNS. */
export function literalTarget(uri: SipUri, fallback: TransportName = 'udp'): SendTarget | undefined {
  const host = bare(uri.host);
  if (isIP(host) === 0) return undefined;
  const transport = uriTransport(uri) ?? fallback;
  return { transport, host, port: uri.port ?? (transport === 'tls' ? 5061 : 5060) };
}

/** Literal targets synchronously, else via the resolver (first target); undefined when nothing is reachable. */
export async function resolveTarget(uri: SipUri, resolver: NextHopResolver | undefined): Promise<SendTarget | undefined> {
  const lit = literalTarget(uri);
  if (lit !== undefined) return lit;
  if (resolver === undefined) return undefined;
  const t = uriTransport(uri);
  const targets = await resolver.resolve(uri.raw, t === undefined ? undefined : { transport: t });
  return targets[0];
}
