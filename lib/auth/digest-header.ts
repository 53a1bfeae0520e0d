/**
 * The Digest scheme's header syntax (RFC 3261 25.1 / 22.4, RFC 7616 3.3-3.4): parsing the credentials of an
 * Authorization / Proxy-Authorization value, and formatting a WWW-Authenticate / Proxy-Authenticate challenge.
 */

/** The parameters of one Digest credentials value that the server uses; values are unquoted and unescaped. */
export interface DigestCredentials {
  /**
   * From `username`, or decoded from `username*` (RFC 7616 3.4.4, RFC 8187: names a quoted string cannot carry).
   * With `userhash`, the hex H(user ":" realm) instead of the name.
   */
  username: string;
  /** RFC 7616 3.4.4: `userhash=true`, the username is hashed. */
  userhash?: boolean;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  /** As sent (any case); absent means MD5 (RFC 7616 3.4). */
  algorithm?: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

const REQUIRED = ['realm', 'nonce', 'uri', 'response'] as const;
const OPTIONAL = ['algorithm', 'qop', 'nc', 'cnonce', 'opaque'] as const;

// RFC 3261 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"). A table by char
// code: these run once per character of every Authorization header.
const TOKEN_CHAR = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~") TOKEN_CHAR[c.charCodeAt(0)] = 1;
const isToken = (code: number): boolean => code < 128 && TOKEN_CHAR[code] === 1;
const isWs = (code: number): boolean => code === 0x20 || code === 0x09;
const COMMA = 0x2c;

/**
 * Parses `Digest username="alice", realm="r", ...`. Scheme and parameter names are case-insensitive; a value is a
 * token or a quoted string with backslash escapes (RFC 3261 25.1 quoted-pair). Empty list elements and extra
 * whitespace are tolerated; unknown parameters (auth-param extensions) are ignored. Returns undefined for anything
 * malformed: another scheme, bad syntax, a repeated parameter (RFC 7235 2.1), a missing required one, both or
 * neither of `username` and `username*`, an undecodable `username*`, or `username*` with `userhash=true`
 * (RFC 7616 3.4.4).
 */
export function parseDigestCredentials(value: string): DigestCredentials | undefined {
  const scheme = /^[ \t]*digest(?:[ \t]+|$)/i.exec(value);
  if (scheme === null) return undefined;
  const params = parseParams(value, scheme[0].length);
  if (params === undefined) return undefined;
  const creds: Partial<Record<Exclude<keyof DigestCredentials, 'userhash'>, string>> = {};
  for (const name of REQUIRED) {
    const v = params.get(name);
    if (v === undefined) return undefined;
    creds[name] = v;
  }
  for (const name of OPTIONAL) {
    const v = params.get(name);
    if (v !== undefined) creds[name] = v;
  }
  const userhashParam = params.get('userhash')?.toLowerCase();
  if (userhashParam !== undefined && userhashParam !== 'true' && userhashParam !== 'false') return undefined;
  const userhash = userhashParam === 'true';
  const plain = params.get('username');
  const extended = params.get('username*');
  if ((plain === undefined) === (extended === undefined)) return undefined;
  if (extended !== undefined) {
    if (userhash) return undefined;
    creds.username = decodeExtValue(extended);
    if (creds.username === undefined) return undefined;
  } else {
    creds.username = plain;
  }
  const out = creds as DigestCredentials;
  if (userhash) out.userhash = true;
  return out;
}

/**
 * RFC 8187 3.2 ext-value: `charset'[language]'pct-encoded-value`, charset UTF-8 (required) or ISO-8859-1. Undefined
 * when malformed or when the bytes are not valid in the charset.
 */
export function decodeExtValue(v: string): string | undefined {
  const m = /^([A-Za-z0-9!#$%&+^_`{}~-]+)'[A-Za-z0-9-]*'((?:[A-Za-z0-9!#$&+.^_`|~-]|%[0-9A-Fa-f]{2})*)$/.exec(v);
  if (m === null) return undefined;
  const charset = m[1]!.toLowerCase();
  const bytes = Buffer.from(m[2]!.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  if (charset === 'iso-8859-1') return bytes.toString('latin1');
  if (charset !== 'utf-8') return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** name=value pairs from `pos` to the end, names lower-cased; undefined on a syntax error or a repeated name. */
function parseParams(s: string, pos: number): Map<string, string> | undefined {
  const params = new Map<string, string>();
  let i = pos;
  const skipWs = () => {
    while (i < s.length && isWs(s.charCodeAt(i))) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && isToken(s.charCodeAt(i))) i++;
    return s.slice(start, i);
  };
  for (;;) {
    // Separators: any run of commas and whitespace (RFC 7230 7 #rule: empty elements are allowed).
    while (i < s.length && (s.charCodeAt(i) === COMMA || isWs(s.charCodeAt(i)))) i++;
    if (i >= s.length) return params;
    const name = token().toLowerCase();
    if (name === '') return undefined;
    skipWs();
    if (s[i] !== '=') return undefined;
    i++;
    skipWs();
    let v: string;
    if (s[i] === '"') {
      const q = quotedString(s, i);
      if (q === undefined) return undefined;
      v = q.value;
      i = q.end;
    } else {
      v = token();
      if (v === '') return undefined;
    }
    if (params.has(name)) return undefined;
    params.set(name, v);
    skipWs();
    if (i < s.length && s[i] !== ',') return undefined;
  }
}

/** The quoted string starting at `start` (its opening quote): the unescaped value and the index after it. */
function quotedString(s: string, start: number): { value: string; end: number } | undefined {
  // Almost every value has no escapes and no line break: one slice instead of a string built char by char.
  const close = s.indexOf('"', start + 1);
  if (close > start) {
    const value = s.slice(start + 1, close);
    if (!value.includes('\\') && !value.includes('\r') && !value.includes('\n')) return { value, end: close + 1 };
  }
  let out = '';
  for (let i = start + 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') return { value: out, end: i + 1 };
    if (c === '\r' || c === '\n') return undefined;
    if (c === '\\') {
      i++;
      if (i >= s.length || s[i] === '\r' || s[i] === '\n') return undefined;
      out += s[i];
    } else {
      out += c;
    }
  }
  return undefined;
}

/** Quotes a value as an RFC 3261 25.1 quoted-string, escaping `"` and `\`. */
export function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: string;
  /** Set when the credentials carried a valid response under an expired nonce (RFC 7616 3.3). */
  stale?: boolean;
  opaque?: string;
  /** RFC 7616 3.3: tells the client it may hash its user name (userhash=true). */
  userhash?: boolean;
}

/**
 * `Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth"[, stale=true][, opaque="..."][, userhash=true]`. qop
 * is always offered as "auth" (quoted in challenges, RFC 7616 3.3); auth-int is not supported.
 */
export function formatDigestChallenge(c: DigestChallenge): string {
  let v = `Digest realm=${quote(c.realm)}, nonce=${quote(c.nonce)}, algorithm=${c.algorithm}, qop="auth"`;
  if (c.stale) v += ', stale=true';
  if (c.opaque !== undefined) v += `, opaque=${quote(c.opaque)}`;
  if (c.userhash) v += ', userhash=true';
  return v;
}
