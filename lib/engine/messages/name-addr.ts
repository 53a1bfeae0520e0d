/**
 * name-addr / addr-spec values of From, To, Contact, Route, Record-Route,
 * Reply-To, Refer-To... (RFC 3261 20.10, 25.1).
 */
import type { NameAddr, Params } from './types.js';
import { endOfQuoted, isTokenChar, isWs, quote, skipWs, trimEnd, unquote } from './lexical.js';
import { formatParams, parseHeaderParams } from './params.js';

/** A URI as it may appear inside a header: `scheme:` followed by text without whitespace, quotes or brackets. */
function isPlausibleUri(s: string, start: number, end: number): boolean {
  if (end <= start) return false;
  let i = start;
  const c0 = s.charCodeAt(i) | 0x20;
  if (c0 < 0x61 || c0 > 0x7a) return false;
  let sawColon = false;
  for (i = start + 1; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x3c || c === 0x3e || c === 0x22) return false;
    if (!sawColon) {
      if (c === 0x3a) {
        if (i + 1 >= end) return false; // 'sip:' alone
        sawColon = true;
        continue;
      }
      const l = c | 0x20;
      if (!((l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) return false;
    }
  }
  return sawColon;
}

function build(displayName: string | undefined, uri: string, params: Params): NameAddr {
  const na: NameAddr = { uri, params };
  if (displayName !== undefined && displayName.length > 0) na.displayName = displayName;
  const tag = params.get('tag');
  if (typeof tag === 'string') na.tag = tag;
  return na;
}

/**
 * Parse one name-addr or addr-spec (one element of a list header). Returns
 * undefined when malformed: unbalanced quotes (RFC 4475 quotbal), unquoted
 * display names with non-token characters such as ',' (baddn), spaces inside
 * '<...>' (badaspec), '?' ',' or ';' in a bracket-less URI (regbadct), empty
 * parameters (badinv01). `*` (Contact: *) parses as uri '*'.
 */
export function tryParseNameAddr(text: string): NameAddr | undefined {
  const n = trimEnd(text, 0, text.length);
  let i = skipWs(text, 0);
  if (i >= n) return undefined;
  if (n - i === 1 && text.charCodeAt(i) === 0x2a) return { uri: '*', params: new Map() };
  let displayName: string | undefined;
  const c0 = text.charCodeAt(i);
  if (c0 === 0x22) {
    const e = endOfQuoted(text, i);
    if (e < 0 || e > n) return undefined;
    displayName = unquote(text.slice(i, e));
    i = skipWs(text, e);
    if (i >= n || text.charCodeAt(i) !== 0x3c) return undefined;
  } else if (c0 !== 0x3c) {
    // token display name (*(token LWS)) up to '<'; no LWS before '<' is tolerated (RFC 4475 lwsdisp)
    let j = i;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (!isTokenChar(c) && !isWs(c)) break;
      j++;
    }
    if (j < n && text.charCodeAt(j) === 0x3c) {
      displayName = text.slice(i, trimEnd(text, i, j));
      i = j;
    } else {
      // addr-spec form: every ';param' after the URI is a header parameter (RFC 3261 20.10)
      let e = i;
      while (e < n) {
        const c = text.charCodeAt(e);
        if (c === 0x3b || isWs(c)) break;
        if (c === 0x2c || c === 0x3f) return undefined; // must have used <> (RFC 3261 20.10; RFC 4475 regbadct)
        e++;
      }
      if (!isPlausibleUri(text, i, e)) return undefined;
      const params = parseHeaderParams(text, e);
      if (params === undefined) return undefined;
      return build(undefined, text.slice(i, e), params);
    }
  }
  // at '<'
  const close = text.indexOf('>', i + 1);
  if (close < 0 || close >= n) return undefined;
  if (!isPlausibleUri(text, i + 1, close)) return undefined; // also refuses '< sip:x >' (RFC 4475 badaspec)
  const params = parseHeaderParams(text, close + 1);
  if (params === undefined) return undefined;
  return build(displayName, text.slice(i + 1, close), params);
}

/** Parse one name-addr / addr-spec; throws when malformed. */
export function parseNameAddr(text: string): NameAddr {
  const na = tryParseNameAddr(text);
  if (na === undefined) throw new Error(`Malformed name-addr: ${JSON.stringify(text)}`);
  return na;
}

/** Always the `"Display" <uri>;params` form, which is valid whatever the URI holds. */
export function formatNameAddr(na: NameAddr): string {
  if (na.uri === '*') return '*';
  const params = na.tag !== undefined && na.params.get('tag') !== na.tag ? new Map(na.params).set('tag', na.tag) : na.params;
  const dn = na.displayName !== undefined && na.displayName.length > 0 ? quote(na.displayName) + ' ' : '';
  return `${dn}<${na.uri}>${formatParams(params)}`;
}
