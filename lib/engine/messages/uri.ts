/**
 * SIP, SIPS and tel URIs (RFC 3261 19.1, RFC 3966); other schemes are kept
 * opaque. Components stay %-escaped as received (RFC 3261 19.1.2) so that a
 * forwarded URI is byte-identical; unescapeUriComponent() decodes on demand.
 */
import type { Params, SipUri } from './types.js';

/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 3.1, RFC 3261 25.1). */
function schemeEnd(text: string): number {
  const n = text.length;
  if (n === 0) return -1;
  const c0 = text.charCodeAt(0) | 0x20;
  if (c0 < 0x61 || c0 > 0x7a) return -1;
  for (let i = 1; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3a) return i;
    const l = c | 0x20;
    if ((l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) continue;
    return -1;
  }
  return -1;
}

/** Characters that can never appear unescaped in any URI we accept (whitespace, brackets, quotes, controls). */
function hasForbiddenChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x3c || c === 0x3e || c === 0x22) return true;
  }
  return false;
}

/** hostname / IPv4address chars (RFC 3261 25.1 hostname); '_' tolerated as many stacks emit it. */
function isHostChar(c: number): boolean {
  const l = c | 0x20;
  return (l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f;
}

function isIpv6Char(c: number): boolean {
  const l = c | 0x20;
  return (l >= 0x61 && l <= 0x66) || (c >= 0x30 && c <= 0x39) || c === 0x3a || c === 0x2e;
}

/**
 * `;name[=value]` URI parameters from `start` up to `end` (RFC 3261 19.1.1).
 * Returns the index after them, or -1 on an empty parameter name.
 */
function parseUriParams(text: string, start: number, end: number, into: Params): number {
  let i = start;
  while (i < end && text.charCodeAt(i) === 0x3b) {
    const nameStart = i + 1;
    let j = nameStart;
    let eq = -1;
    while (j < end) {
      const c = text.charCodeAt(j);
      if (c === 0x3b) break;
      if (c === 0x3d && eq < 0) eq = j;
      j++;
    }
    const nameEnd = eq < 0 ? j : eq;
    if (nameEnd === nameStart) return -1;
    const name = text.slice(nameStart, nameEnd).toLowerCase();
    const value = eq < 0 ? null : text.slice(eq + 1, j);
    if (!into.has(name)) into.set(name, value);
    i = j;
  }
  return i;
}

/** `?a=b&c=d` URI headers (RFC 3261 19.1.1), names and values kept escaped. */
function parseUriHeaders(text: string, start: number, into: Map<string, string>): boolean {
  let i = start;
  const n = text.length;
  while (i < n) {
    let j = text.indexOf('&', i);
    if (j < 0) j = n;
    const eq = text.indexOf('=', i);
    if (eq < 0 || eq >= j || eq === i) return false;
    into.set(text.slice(i, eq), text.slice(eq + 1, j));
    i = j + 1;
  }
  return true;
}

function parseSipUri(text: string, scheme: string, rest: number): SipUri | undefined {
  const n = text.length;
  const params: Params = new Map();
  const headers = new Map<string, string>();
  let user: string | undefined;
  let password: string | undefined;
  let i = rest;
  // '@' cannot appear unescaped anywhere else in a SIP URI, while ';' and '?' can appear in the user part (RFC 4475 semiuri, intmeth).
  const at = text.indexOf('@', rest);
  if (at >= 0) {
    const colon = text.indexOf(':', rest);
    if (colon >= 0 && colon < at) {
      user = text.slice(rest, colon);
      password = text.slice(colon + 1, at);
    } else {
      user = text.slice(rest, at);
    }
    if (user.length === 0) return undefined;
    i = at + 1;
  }
  const hostStart = i;
  if (i < n && text.charCodeAt(i) === 0x5b) {
    // IPv6reference keeps its brackets (RFC 3261 25.1)
    i++;
    while (i < n && isIpv6Char(text.charCodeAt(i))) i++;
    if (i >= n || text.charCodeAt(i) !== 0x5d || i === hostStart + 1) return undefined;
    i++;
  } else {
    while (i < n && isHostChar(text.charCodeAt(i))) i++;
  }
  if (i === hostStart) return undefined;
  const host = text.slice(hostStart, i);
  let port: number | undefined;
  if (i < n && text.charCodeAt(i) === 0x3a) {
    i++;
    const pStart = i;
    let p = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      p = p * 10 + (c - 0x30);
      if (p > 65535) return undefined;
      i++;
    }
    if (i === pStart) return undefined;
    port = p;
  }
  let q = text.indexOf('?', i);
  if (q < 0) q = n;
  if (i < q) {
    if (text.charCodeAt(i) !== 0x3b) return undefined; // junk after hostport
    i = parseUriParams(text, i, q, params);
    if (i !== q) return undefined;
  }
  if (q < n && !parseUriHeaders(text, q + 1, headers)) return undefined;
  const uri: SipUri = { scheme, host, params, headers, raw: text };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  return uri;
}

/** tel:number;params (RFC 3966): the number goes in `user`, as in sip:number@host;user=phone. */
function parseTelUri(text: string, rest: number): SipUri | undefined {
  const semi = text.indexOf(';', rest);
  const end = semi < 0 ? text.length : semi;
  if (end === rest) return undefined;
  const params: Params = new Map();
  if (semi >= 0 && parseUriParams(text, semi, text.length, params) !== text.length) return undefined;
  return { scheme: 'tel', user: text.slice(rest, end), host: '', params, headers: new Map(), raw: text };
}

/** Parse a URI; undefined when it is malformed (never throws). */
export function tryParseUri(text: string): SipUri | undefined {
  const se = schemeEnd(text);
  if (se < 0 || hasForbiddenChar(text)) return undefined;
  const scheme = text.slice(0, se).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(text, scheme, se + 1);
  if (scheme === 'tel') return parseTelUri(text, se + 1);
  if (se + 1 >= text.length) return undefined;
  return { scheme, host: '', params: new Map(), headers: new Map(), raw: text, opaque: text.slice(se + 1) };
}

/** Parse a URI; throws an Error naming the text when it is malformed. */
export function parseUri(text: string): SipUri {
  const uri = tryParseUri(text);
  if (uri === undefined) throw new Error(`Malformed URI: ${JSON.stringify(text)}`);
  return uri;
}

/** The text of a URI built from its fields (use `raw` to reproduce a received URI exactly). */
export function formatUri(uri: SipUri): string {
  if (uri.opaque !== undefined) return `${uri.scheme}:${uri.opaque}`;
  let out = uri.scheme + ':';
  if (uri.scheme === 'tel') {
    out += uri.user ?? '';
  } else {
    if (uri.user !== undefined) {
      out += uri.user;
      if (uri.password !== undefined) out += ':' + uri.password;
      out += '@';
    }
    out += uri.host;
    if (uri.port !== undefined) out += ':' + uri.port;
  }
  for (const [k, v] of uri.params) out += v === null ? `;${k}` : `;${k}=${v}`;
  let sep = '?';
  for (const [k, v] of uri.headers) {
    out += `${sep}${k}=${v}`;
    sep = '&';
  }
  return out;
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/**
 * Decode %HH escapes exactly once (RFC 3261 19.1.2, RFC 3986 2.1): the result
 * is never decoded again ('%25%34%31' -> '%41', RFC 4475 esc01) and %00 yields
 * a NUL character rather than ending the string (RFC 4475 escnull). Decoded
 * octets are read as UTF-8; a '%' not followed by two hex digits stays literal.
 */
export function unescapeUriComponent(s: string): string {
  const first = s.indexOf('%');
  if (first < 0) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length) {
      const h = hexVal(s.charCodeAt(i + 1));
      const l = hexVal(s.charCodeAt(i + 2));
      if (h >= 0 && l >= 0) {
        bytes.push((h << 4) | l);
        i += 2;
        continue;
      }
    }
    if (c < 0x80) {
      bytes.push(c);
    } else {
      // non-ASCII text (not valid in a URI, but be safe): keep it as its UTF-8 octets
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
