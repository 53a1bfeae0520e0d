/**
 * The media facts of each side of a call (lib/media decides anchor or bypass from them): a device is "behind NAT"
 * when the address it put in its Via or Contact is not the address its packets came from.
 */
import type Srf from 'drachtio-srf';
import type { MediaParty } from '../media/media-contract.js';
import type { Binding } from '../store/registration-store.js';
import { safeParseUri } from '../registrar/register-input.js';

export const CALL_SERVER_PARTY: MediaParty = Object.freeze({ side: 'callserver' });

/** A device that sent `req` (an INVITE from the Internet side). */
export function deviceOfRequest(req: Srf.SrfRequest, user: string | undefined): MediaParty {
  const source = req.source_address;
  let natted = false;
  try {
    const via = req.getParsedHeader('Via')[0];
    if (via !== undefined && bare(via.host) !== bare(source)) natted = true;
    const contact = req.getParsedHeader('Contact')[0];
    const host = contact === undefined ? undefined : safeParseUri(contact.uri)?.host;
    if (host !== undefined && bare(host) !== bare(source)) natted = true;
  } catch {
    natted = true; // unparsable Via/Contact: assume the worst (anchor)
  }
  return { side: 'device', ...(user === undefined ? {} : { user }), sourceAddress: source, natted };
}

/** A registered device, from its binding (the REGISTER's source address against its Contact). */
export function deviceOfBinding(b: Binding, user: string | undefined): MediaParty {
  const u = safeParseUri(b.uri) as { host?: string; port?: string | number | null } | undefined;
  // srf gives NaN for a Contact without a port: then it is the default 5060 (RFC 3263), not a mismatch.
  const given = u?.port === undefined || u.port === null || u.port === '' ? NaN : Number(u.port);
  const contactPort = Number.isFinite(given) ? given : 5060;
  // Over TCP/TLS the source port is an ephemeral one whatever the Contact says; only UDP ports tell NAT.
  const natted = u?.host === undefined || bare(u.host) !== bare(b.address) || (b.transport === 'udp' && contactPort !== b.port);
  return { side: 'device', ...(user === undefined ? {} : { user }), sourceAddress: b.address, natted };
}

/** IPv6 references lose their brackets, so that a Contact host compares with a socket address. */
function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1).toLowerCase() : host.toLowerCase();
}
