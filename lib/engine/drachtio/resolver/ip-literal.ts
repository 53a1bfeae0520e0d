/** IP literal hosts as they appear in SIP URIs (RFC 3261 25.1 IPv4address / IPv6reference). */
import { isIP } from 'node:net';

/** True for a dotted IPv4 address, a bracketed IPv6 reference, or a bare IPv6 address (SRV/maddr values). */
export function isIpLiteral(host: string): boolean {
  if (host.length === 0) return false;
  const c0 = host.charCodeAt(0);
  if (c0 === 0x5b) return host.charCodeAt(host.length - 1) === 0x5d && isIP(host.slice(1, -1)) === 6;
  // a name never starts with a digit followed by only digits and dots; cheap pre-check before isIP
  if ((c0 >= 0x30 && c0 <= 0x39) || host.indexOf(':') >= 0) return isIP(host) !== 0;
  return false;
}

/** '[2001:db8::1]' -> '2001:db8::1' (sockets want the bare address); other hosts unchanged. */
export function stripBrackets(host: string): string {
  return host.charCodeAt(0) === 0x5b && host.charCodeAt(host.length - 1) === 0x5d ? host.slice(1, -1) : host;
}
