/**
 * Element-level checks the engine applies to a request after it parsed
 * (RFC 3261 8.2.1-8.2.3, 16.3, 10.3). Pure functions: each returns the
 * response to send, or undefined when the request passes.
 */
import type { RawHeader } from './types.js';
import type { SipRequest } from './message.js';
import { schemeOf } from './validation.js';
import { parseBoundedInt, trimmedSlice } from './lexical.js';
import { tryParseNameAddr } from './name-addr.js';

export interface CheckFailure {
  status: number;
  reason: string;
  /** Header lines the response must carry (Unsupported, Accept...). */
  headers?: RawHeader[];
}

/** URI schemes a SIP element can route by default. */
export const DEFAULT_URI_SCHEMES: ReadonlySet<string> = new Set(['sip', 'sips']);

/**
 * RFC 3261 8.2.2.1 / 16.3 step 1: a Request-URI scheme the element does not
 * understand gets 416 (RFC 4475 unkscm, novelsc).
 */
export function checkUriScheme(req: SipRequest, schemes: ReadonlySet<string> = DEFAULT_URI_SCHEMES): CheckFailure | undefined {
  return schemes.has(schemeOf(req.uri)) ? undefined : { status: 416, reason: 'Unsupported URI Scheme' };
}

function unsupportedTags(req: SipRequest, header: string, supported: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const tag of req.getList(header)) {
    // option tags compare case-sensitively (RFC 3261 19.2 / 20.32 say tokens; 8.2.2.3 compares them as-is)
    if (!supported.has(tag) && !out.includes(tag)) out.push(tag);
  }
  return out;
}

function badExtension(tags: string[]): CheckFailure | undefined {
  if (tags.length === 0) return undefined;
  return { status: 420, reason: 'Bad Extension', headers: [{ name: 'Unsupported', value: tags.join(', ') }] };
}

/**
 * RFC 3261 8.2.2.3: a UAS answers 420 listing the Require option tags it does
 * not support (RFC 4475 bext01). Not applied to ACK or CANCEL.
 */
export function checkRequire(req: SipRequest, supported: ReadonlySet<string>): CheckFailure | undefined {
  if (req.method === 'ACK' || req.method === 'CANCEL') return undefined;
  return badExtension(unsupportedTags(req, 'require', supported));
}

/** RFC 3261 16.3 step 5: a proxy answers 420 listing the Proxy-Require option tags it does not support. */
export function checkProxyRequire(req: SipRequest, supported: ReadonlySet<string>): CheckFailure | undefined {
  if (req.method === 'ACK' || req.method === 'CANCEL') return undefined;
  return badExtension(unsupportedTags(req, 'proxy-require', supported));
}

/** RFC 3261 16.3 step 2: a proxy must not forward a request with Max-Forwards 0: 483 (RFC 4475 zeromf). */
export function checkMaxForwards(req: SipRequest): CheckFailure | undefined {
  const v = req.get('max-forwards');
  if (v === undefined) return undefined;
  return parseBoundedInt(trimmedSlice(v, 0, v.length), 255) === 0 ? { status: 483, reason: 'Too Many Hops' } : undefined;
}

/** media type of a Content-Type / Accept element, lower-case, without parameters. */
function mediaType(value: string): string {
  const semi = value.indexOf(';');
  return trimmedSlice(value, 0, semi < 0 ? value.length : semi).toLowerCase();
}

/**
 * RFC 3261 8.2.3: a UAS answers 415 to a body whose Content-Type it does not
 * accept, listing what it accepts (RFC 4475 invut). `accepted` holds
 * lower-case media types such as 'application/sdp'.
 */
export function checkContentType(req: SipRequest, accepted: ReadonlySet<string>): CheckFailure | undefined {
  if (req.body.length === 0) return undefined;
  const ct = req.get('content-type');
  if (ct !== undefined && accepted.has(mediaType(ct))) return undefined;
  return {
    status: 415,
    reason: 'Unsupported Media Type',
    headers: [{ name: 'Accept', value: [...accepted].join(', ') }],
  };
}

/** True when an Accept element (type/subtype, type/* or * / *) allows `type`. */
function accepts(range: string, type: string): boolean {
  const r = mediaType(range);
  if (r === type || r === '*/*') return true;
  return r.endsWith('/*') && type.startsWith(r.slice(0, r.length - 1));
}

/**
 * RFC 3261 21.4.7 / 20.1: an INVITE offering SDP whose Accept header does not
 * allow application/sdp cannot get an SDP answer: 406 (RFC 4475 sdp01). With
 * no Accept header, application/sdp is implied.
 */
export function checkAcceptsSdp(req: SipRequest): CheckFailure | undefined {
  if (req.method !== 'INVITE' || req.body.length === 0) return undefined;
  const ct = req.get('content-type');
  if (ct === undefined || mediaType(ct) !== 'application/sdp') return undefined;
  if (!req.has('accept')) return undefined;
  for (const range of req.getList('accept')) if (accepts(range, 'application/sdp')) return undefined;
  return { status: 406, reason: 'Not Acceptable' };
}

/** RFC 3261 10.3 step 5 / 10.2: a registrar needs a sip: or sips: address-of-record in To (RFC 4475 unksm2). */
export function checkRegisterAor(req: SipRequest): CheckFailure | undefined {
  if (req.method !== 'REGISTER') return undefined;
  const raw = req.get('to');
  const to = raw === undefined ? undefined : tryParseNameAddr(raw);
  if (to === undefined) return { status: 400, reason: 'Malformed To header' };
  const scheme = schemeOf(to.uri);
  return scheme === 'sip' || scheme === 'sips' ? undefined : { status: 400, reason: 'Invalid address-of-record URI scheme' };
}
