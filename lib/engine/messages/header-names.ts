/**
 * Header name knowledge: compact forms, lookup keys, canonical spelling,
 * which headers are comma lists and which may appear only once.
 */

/** RFC 3261 7.3.3 and the IANA registry: one-letter compact form -> lower-case long name. */
const COMPACT: Readonly<Record<string, string>> = {
  i: 'call-id', // RFC 3261 20.8
  m: 'contact', // RFC 3261 20.10
  e: 'content-encoding', // RFC 3261 20.12
  l: 'content-length', // RFC 3261 20.14
  c: 'content-type', // RFC 3261 20.15
  f: 'from', // RFC 3261 20.20
  s: 'subject', // RFC 3261 20.36
  k: 'supported', // RFC 3261 20.37
  t: 'to', // RFC 3261 20.39
  v: 'via', // RFC 3261 20.42
  o: 'event', // RFC 6665 8.2.1
  r: 'refer-to', // RFC 3515 2.1
  b: 'referred-by', // RFC 3892
  u: 'allow-events', // RFC 6665
  x: 'session-expires', // RFC 4028
  a: 'accept-contact', // RFC 3841
  j: 'reject-contact', // RFC 3841
  d: 'request-disposition', // RFC 3841
  y: 'identity', // RFC 8224
  n: 'identity-info', // RFC 4474
};

/**
 * Conventional spellings of known SIP headers (RFC 3261 20 and extension RFCs), keyed by lower-case long name:
 * the one table of header spellings (canonical names here, app header rules in the drachtio layer).
 */
const KNOWN_SPELLINGS: ReadonlyMap<string, string> = new Map(
  [
    'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Accept-Resource-Priority', 'Alert-Info',
    'Allow', 'Allow-Events', 'Answer-Mode', 'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info',
    'Contact', 'Content-Disposition', 'Content-Encoding', 'Content-ID', 'Content-Language', 'Content-Length',
    'Content-Type', 'CSeq', 'Date', 'Diversion', 'Error-Info', 'Event', 'Expires', 'Feature-Caps', 'Flow-Timer',
    'From', 'Geolocation', 'Geolocation-Error', 'Geolocation-Routing', 'History-Info', 'Identity', 'Identity-Info',
    'Info-Package', 'In-Reply-To', 'Join', 'Max-Breadth', 'Max-Forwards', 'MIME-Version', 'Min-Expires',
    'Min-SE', 'Organization', 'P-Access-Network-Info', 'P-Answer-State', 'P-Asserted-Identity',
    'P-Asserted-Service', 'P-Associated-URI', 'P-Called-Party-ID', 'P-Charging-Function-Addresses',
    'P-Charging-Vector', 'P-Early-Media', 'P-Media-Authorization', 'P-Preferred-Identity', 'P-Preferred-Service',
    'P-Profile-Key', 'P-Served-User', 'P-Visited-Network-ID', 'Path', 'Permission-Missing', 'Policy-Contact',
    'Policy-ID', 'Priority', 'Privacy', 'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Require', 'RAck',
    'Reason', 'Record-Route', 'Recv-Info', 'Refer-Sub', 'Refer-To', 'Referred-By', 'Reject-Contact', 'Remote-Party-ID',
    'Replaces', 'Reply-To', 'Request-Disposition', 'Require', 'Resource-Priority', 'Retry-After', 'Route', 'RSeq',
    'Security-Client', 'Security-Server', 'Security-Verify', 'Server', 'Service-Route', 'Session-Expires',
    'Session-ID', 'SIP-ETag', 'SIP-If-Match', 'Subject', 'Subscription-State', 'Supported', 'Suppress-If-Match',
    'Target-Dialog', 'Timestamp', 'To', 'Trigger-Consent', 'Unsupported', 'User-Agent', 'User-To-User', 'Via',
    'Warning', 'WWW-Authenticate',
  ].map((name) => [name.toLowerCase(), name]),
);

/**
 * Headers whose value is a comma-separated list (RFC 3261 7.3.1): several
 * lines of them are equivalent to one line with the values joined by ','.
 * Headers such as WWW-Authenticate or Date contain commas but are not lists.
 */
const LIST_HEADERS: ReadonlySet<string> = new Set([
  'via', 'contact', 'route', 'record-route', 'path', 'service-route',
  'allow', 'allow-events', 'supported', 'require', 'proxy-require', 'unsupported',
  'accept', 'accept-encoding', 'accept-language', 'content-encoding', 'content-language',
  'alert-info', 'call-info', 'error-info', 'in-reply-to', 'warning',
  'p-asserted-identity', 'p-preferred-identity', 'accept-contact', 'reject-contact',
  'request-disposition', 'security-client', 'security-server', 'security-verify',
  'history-info', 'reason', 'privacy',
]);

/** Headers that must appear at most once (RFC 3261 7.3 / 20 tables): a second one makes the message malformed. */
const SINGLETON_HEADERS: ReadonlySet<string> = new Set([
  'to', 'from', 'call-id', 'cseq', 'max-forwards', 'content-length', 'content-type',
]);

/** Hot-path cache: exact spelling seen on the wire -> key. Bounded so hostile traffic cannot grow it forever. */
const keyCache = new Map<string, string>();
const KEY_CACHE_LIMIT = 2048;

for (const [c, long] of Object.entries(COMPACT)) {
  keyCache.set(c, long);
  keyCache.set(c.toUpperCase(), long);
}

/**
 * The lookup key of a header name: lower-case long form ('v', 'V', 'VIA',
 * 'Via' -> 'via'). Used for every case-insensitive comparison.
 */
export function headerKey(name: string): string {
  const hit = keyCache.get(name);
  if (hit !== undefined) return hit;
  const lower = name.toLowerCase();
  const key = lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
  if (keyCache.size < KEY_CACHE_LIMIT) keyCache.set(name, key);
  return key;
}

/** The long form of a compact header name (or undefined if it is not one). */
export function expandCompact(name: string): string | undefined {
  return name.length === 1 ? COMPACT[name.toLowerCase()] : undefined;
}

/** Conventional spelling of a header name: 'call-id' -> 'Call-ID', 'v' -> 'Via', 'x-foo' -> 'X-Foo'. */
export function canonicalName(name: string): string {
  const key = headerKey(name);
  const known = KNOWN_SPELLINGS.get(key);
  if (known !== undefined) return known;
  let out = '';
  let upper = true;
  for (let i = 0; i < key.length; i++) {
    const ch = key[i]!;
    out += upper ? ch.toUpperCase() : ch;
    upper = ch === '-';
  }
  return out;
}

/** The conventional spelling of a known SIP header (any spelling, compact forms too), or undefined. */
export function knownHeaderName(name: string): string | undefined {
  return KNOWN_SPELLINGS.get(headerKey(name));
}

/** True when the header (any spelling) is a comma-separated list header. */
export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(headerKey(name));
}

/** True when the header (any spelling) may appear at most once in a message. */
export function isSingletonHeader(name: string): boolean {
  return SINGLETON_HEADERS.has(headerKey(name));
}
