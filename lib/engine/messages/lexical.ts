/**
 * Character classes and small scanners for the RFC 3261 section 25.1 grammar,
 * written as charCode loops because they run for every received message.
 */

/** token chars: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" (RFC 3261 25.1). */
const TOKEN = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;
for (const ch of "-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;

export function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN[code] === 1;
}

/** True when s is a non-empty token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] !== 1) return false;
  }
  return true;
}

/** SP or HTAB (RFC 3261 25.1 WSP). CR/LF never survive unfolding, but are treated as space for safety. */
export function isWs(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0a;
}

export function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** Trailing end index after dropping whitespace before `end`. */
export function trimEnd(s: string, start: number, end: number): number {
  while (end > start && isWs(s.charCodeAt(end - 1))) end--;
  return end;
}

/** All digits, non-empty. */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * Decimal value of an all-digit string, or -1 when it is not digits or above
 * `max`. Leading zeros are fine ('0009'); never overflows, whatever the length.
 */
export function parseBoundedInt(s: string, max: number): number {
  if (s.length === 0) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
    if (n > max) return -1;
  }
  return n;
}

/**
 * Index just past the closing quote of a quoted-string whose opening quote is
 * at `start`, honouring quoted-pairs (RFC 3261 25.1); -1 if it never closes.
 */
export function endOfQuoted(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) i++; // '\' escapes the next char, even '"'
    else if (c === 0x22) return i + 1;
  }
  return -1;
}

/** Contents of a quoted-string (quotes removed, quoted-pairs resolved). */
export function unquote(s: string): string {
  const start = s.charCodeAt(0) === 0x22 ? 1 : 0;
  const end = s.length > start && s.charCodeAt(s.length - 1) === 0x22 ? s.length - 1 : s.length;
  if (s.indexOf('\\', start) < 0) return s.slice(start, end);
  let out = '';
  for (let i = start; i < end; i++) {
    const ch = s[i]!;
    if (ch === '\\' && i + 1 < end) out += s[++i];
    else out += ch;
  }
  return out;
}

/** A quoted-string for `s`, escaping '"' and '\' (RFC 3261 25.1 quoted-pair). */
export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '"' || ch === '\\') out += '\\';
    out += ch;
  }
  return out + '"';
}

/**
 * Split a comma-separated header value into trimmed elements (RFC 3261 7.3.1),
 * ignoring commas inside quoted-strings and inside <...>. Empty elements are
 * kept as '' so validators can see them; returns undefined if a quote or '<'
 * is never closed.
 */
export function splitCommaList(value: string, out: string[] = []): string[] | undefined {
  let start = 0;
  let i = 0;
  const n = value.length;
  while (i < n) {
    const c = value.charCodeAt(i);
    if (c === 0x22) {
      const e = endOfQuoted(value, i);
      if (e < 0) return undefined;
      i = e;
      continue;
    }
    if (c === 0x3c) {
      const e = value.indexOf('>', i + 1);
      if (e < 0) return undefined;
      i = e + 1;
      continue;
    }
    if (c === 0x2c) {
      out.push(trimmedSlice(value, start, i));
      start = i + 1;
    }
    i++;
  }
  out.push(trimmedSlice(value, start, n));
  return out;
}

/** First element of a comma list (see splitCommaList), without splitting the rest. */
export function firstListElement(value: string): string | undefined {
  let i = 0;
  const n = value.length;
  while (i < n) {
    const c = value.charCodeAt(i);
    if (c === 0x22) {
      const e = endOfQuoted(value, i);
      if (e < 0) return undefined;
      i = e;
      continue;
    }
    if (c === 0x3c) {
      const e = value.indexOf('>', i + 1);
      if (e < 0) return undefined;
      i = e + 1;
      continue;
    }
    if (c === 0x2c) return trimmedSlice(value, 0, i);
    i++;
  }
  return trimmedSlice(value, 0, n);
}

export function trimmedSlice(s: string, start: number, end: number): string {
  while (start < end && isWs(s.charCodeAt(start))) start++;
  while (end > start && isWs(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}
