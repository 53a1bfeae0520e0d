/**
 * Small helpers for the IP addresses sockets report, so that flows, table
 * keys and Via checks all compare the same spelling.
 */

const MAPPED_PREFIX = '::ffff:';

/** A dual-stack socket reports IPv4 peers as '::ffff:a.b.c.d'; SIP wants 'a.b.c.d'. */
export function normalizeAddress(address: string | undefined): string {
  if (address === undefined) return '';
  if (address.length > 7 && address.charCodeAt(0) === 0x3a && address.startsWith(MAPPED_PREFIX) && address.includes('.', 7)) {
    return address.slice(7);
  }
  return address;
}

/**
 * Whether a Via sent-by host names the given source IP (RFC 3261 18.2.1).
 * IPv6 references in SIP carry brackets; socket addresses do not.
 */
export function hostMatchesAddress(host: string, address: string): boolean {
  if (host.charCodeAt(0) === 0x5b) {
    const inner = host.charCodeAt(host.length - 1) === 0x5d ? host.slice(1, -1) : host.slice(1);
    return inner.toLowerCase() === address.toLowerCase();
  }
  return host === address || host.toLowerCase() === address.toLowerCase();
}
