/**
 * Rules applied to the headers an app supplies (spec 6.4, 13.1): which lines
 * are refused, which headers the app may not set, "localhost" rewriting, and
 * how header names are spelled on the wire.
 */
import type { RawHeader } from '../../messages/types.js';
import { isToken, splitCommaList } from '../../messages/lexical.js';
import { headerKey, knownHeaderName } from '../../messages/header-names.js';
import { formatNameAddr, tryParseNameAddr } from '../../messages/name-addr.js';

export interface HeaderRulesContext {
  /** The engine's host:port (external IP when configured) for the transport in use; replaces `localhost`. */
  localHostport: string;
  /** Header names re-emitted exactly as the app wrote them (the real server's "preserve header names" list). */
  preserve?: readonly string[];
}

/** Headers the engine always builds itself; an app's copy is dropped silently (spec 6.4). */
const IMMUTABLE: ReadonlySet<string> = new Set(['via', 'route', 'record-route', 'rseq', 'content-length']);

/** Headers whose URI may name `localhost`, meaning "the engine itself" (spec 6.4, 19.13). */
const LOCALHOST_REWRITTEN: ReadonlySet<string> = new Set(['from', 'to', 'contact', 'p-asserted-identity']);

/** Hot-path cache of computed output names (app spelling -> wire spelling). Bounded against hostile apps. */
const nameCache = new Map<string, string>();
const NAME_CACHE_LIMIT = 1024;

/** Capitalise the first letter of each dash-separated word, keeping the rest as typed (spec 6.4). */
function capitaliseWords(name: string): string {
  let out = '';
  let upper = true;
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    out += upper ? ch.toUpperCase() : ch;
    upper = ch === '-';
  }
  return out;
}

function startsWithX(name: string): boolean {
  return name.length > 1 && name.charCodeAt(1) === 0x2d && (name.charCodeAt(0) | 0x20) === 0x78;
}

/**
 * Wire spelling of an app-supplied header name (spec 6.4): known headers
 * (compact forms too) get their canonical name, `X-`/`x-` names stay exactly,
 * others are capitalised per dash-separated word.
 */
export function appHeaderName(name: string): string {
  const hit = nameCache.get(name);
  if (hit !== undefined) return hit;
  let out: string;
  if (startsWithX(name)) out = name;
  else out = knownHeaderName(name) ?? capitaliseWords(name);
  if (nameCache.size < NAME_CACHE_LIMIT) nameCache.set(name, out);
  return out;
}

/** Lower-cased preserve lists, built once per list object. */
const preserveSets = new WeakMap<readonly string[], ReadonlySet<string>>();

function preserveSet(list: readonly string[]): ReadonlySet<string> {
  let set = preserveSets.get(list);
  if (set === undefined) {
    set = new Set(list.map((n) => n.toLowerCase()));
    preserveSets.set(list, set);
  }
  return set;
}

function hasLineBreak(value: string): boolean {
  return value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0;
}

const LOCALHOST = 'localhost';

/**
 * Index of `@localhost` as a whole host (followed by end, ':', ';', '?', '>',
 * ',' or space), case-insensitive; -1 if none. Walks the '@'s without
 * allocating: this runs on From/To/Contact of every app message.
 */
function findLocalhost(value: string, from = 0): number {
  const n = value.length;
  let at = value.indexOf('@', from);
  while (at >= 0) {
    const after = at + 1 + LOCALHOST.length;
    if (after > n) return -1;
    let same = true;
    for (let k = 0; k < LOCALHOST.length; k++) {
      if ((value.charCodeAt(at + 1 + k) | 0x20) !== LOCALHOST.charCodeAt(k)) {
        same = false;
        break;
      }
    }
    if (same) {
      if (after === n) return at;
      const c = value.charCodeAt(after);
      if (c === 0x3a || c === 0x3b || c === 0x3f || c === 0x3e || c === 0x2c || c === 0x20) return at;
    }
    at = value.indexOf('@', at + 1);
  }
  return -1;
}

/** Replace `localhost[:port]` in a URI text (known to hold `@localhost` at `at`) with hostport. */
function replaceHostport(uri: string, at: number, hostport: string): string {
  let end = at + 10;
  if (uri.charCodeAt(end) === 0x3a) {
    end++;
    while (end < uri.length) {
      const c = uri.charCodeAt(end);
      if (c < 0x30 || c > 0x39) break;
      end++;
    }
  }
  return uri.slice(0, at + 1) + hostport + uri.slice(end);
}

function rewriteElement(element: string, hostport: string): string {
  if (findLocalhost(element) < 0) return element;
  const na = tryParseNameAddr(element);
  if (na === undefined) return element; // unparseable: leave it to the far end to judge
  const at = findLocalhost(na.uri);
  if (at < 0) return element; // '@localhost' sat in a display name or parameter, not in the URI
  na.uri = replaceHostport(na.uri, at, hostport);
  return formatNameAddr(na);
}

/**
 * "localhost" rewriting (spec 6.4): every URI in the value whose host is
 * `localhost` gets `hostport` as host:port, and that element is re-emitted in
 * name-addr form (`"Name" <sip:user@host:port>;params`). Elements of a
 * comma-joined list are handled one by one; others are left untouched.
 */
export function rewriteLocalhost(value: string, hostport: string): string {
  if (findLocalhost(value) < 0) return value;
  const parts = value.indexOf(',') >= 0 ? splitCommaList(value) : undefined;
  if (parts === undefined || parts.length === 1) return rewriteElement(value, hostport);
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out += ', ';
    out += rewriteElement(parts[i]!, hostport);
  }
  return out;
}

/**
 * Apply spec 6.4 to app-supplied headers, keeping their order: skip lines
 * whose name is not an RFC 3261 token or whose value holds CR/LF, drop the
 * immutable Via, Route, Record-Route, RSeq and Content-Length, rewrite
 * `localhost` in From, To, Contact and P-Asserted-Identity, and spell names
 * the way the real server does (preserve list first, then `X-` as is, then
 * canonical names, then per-word capitals). Returns a new list.
 */
export function applyHeaderRules(headers: readonly RawHeader[], ctx: HeaderRulesContext): RawHeader[] {
  const preserve = ctx.preserve !== undefined && ctx.preserve.length > 0 ? preserveSet(ctx.preserve) : undefined;
  const out: RawHeader[] = [];
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    const name = h.name;
    if (!isToken(name) || hasLineBreak(h.value)) continue;
    const key = headerKey(name);
    if (IMMUTABLE.has(key)) continue;
    const value = LOCALHOST_REWRITTEN.has(key) ? rewriteLocalhost(h.value, ctx.localHostport) : h.value;
    const wireName = preserve !== undefined && preserve.has(name.toLowerCase()) ? name : appHeaderName(name);
    out.push({ name: wireName, value });
  }
  return out;
}

/** First value of a header among app headers (any case, compact forms too). */
export function findAppHeader(headers: readonly RawHeader[], key: string): string | undefined {
  for (let i = 0; i < headers.length; i++) {
    if (headerKey(headers[i]!.name) === key) return headers[i]!.value;
  }
  return undefined;
}

/** `v=0` at the start of the body: an SDP offer/answer (RFC 8866 5). */
function looksLikeSdp(body: Buffer): boolean {
  return body.length >= 3 && body[0] === 0x76 && body[1] === 0x3d && body[2] === 0x30;
}

/**
 * The Content-Type a message from an app should carry (spec 6.4).
 * `contentType` is the app's own value when it gave one, else the inferred
 * one (`inferred: true`, the caller must add the header); a request body
 * with no type and no SDP gives `error: 'missing content-type'`. A response
 * body may go without a type; an empty body needs none.
 */
export function contentTypeFor(
  body: Buffer,
  headers: readonly RawHeader[],
  kind: 'request' | 'response',
): { contentType?: string; inferred?: true; error?: string } {
  const given = findAppHeader(headers, 'content-type');
  if (given !== undefined && given.length > 0) return { contentType: given };
  if (body.length === 0) return {};
  if (looksLikeSdp(body)) return { contentType: 'application/sdp', inferred: true };
  if (kind === 'request') return { error: 'missing content-type' };
  return {};
}
