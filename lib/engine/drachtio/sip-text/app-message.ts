/**
 * Reading the SIP text an app sends after a `sip` command leader (spec 6.3).
 *
 * srf's text is sloppy: mixed-case and compact header names, bare LF line ends,
 * a Content-Length counted in UTF-16 units, no Via in responses. This parser
 * accepts all of that and returns the raw pieces; the header rules
 * (header-rules.ts) and the UA rebuild the real message from engine state.
 */
import type { RawHeader } from '../../messages/types.js';
import { isToken } from '../../messages/lexical.js';
import { tryParseUri } from '../../messages/uri.js';
import { headerKey } from '../../messages/header-names.js';

export type AppSipMessage =
  | { kind: 'request'; method: string; uri: string; headers: RawHeader[]; body: Buffer }
  | { kind: 'response'; status: number; reason: string; headers: RawHeader[]; body: Buffer };

const EMPTY_BODY = Buffer.alloc(0);

/** Index just past the line terminator at `i` (CRLF, bare LF or bare CR all count as one; spec 6.3). */
function skipEol(text: string, i: number): number {
  if (text.charCodeAt(i) === 0x0d && text.charCodeAt(i + 1) === 0x0a) return i + 2;
  return i + 1;
}

/**
 * Finds line ends with native indexOf, remembering the next CR and LF so a
 * whole message is scanned once even when it uses bare LF (no CR at all).
 */
class LineScanner {
  private cr = -1;
  private lf = -1;
  constructor(private readonly text: string) {}

  /** Index of the next CR or LF at or after `from`, or text.length. */
  end(from: number): number {
    const text = this.text;
    const n = text.length;
    if (this.cr < from && this.cr !== n) {
      const i = text.indexOf('\r', from);
      this.cr = i < 0 ? n : i;
    }
    if (this.lf < from && this.lf !== n) {
      const i = text.indexOf('\n', from);
      this.lf = i < 0 ? n : i;
    }
    return this.cr < this.lf ? this.cr : this.lf;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function trim(s: string): string {
  const n = s.length;
  if (n === 0 || (!isSpace(s.charCodeAt(0)) && !isSpace(s.charCodeAt(n - 1)))) return s;
  return s.trim();
}

/** `SIP/2.0`, case-insensitively (RFC 3261 7.1 says case-sensitive; be lenient with apps). */
function isSipVersion(s: string): boolean {
  return s.length === 7 && s.toUpperCase() === 'SIP/2.0';
}

type StartLine =
  | { kind: 'request'; method: string; uri: string }
  | { kind: 'response'; status: number; reason: string }
  | undefined;

function parseStartLine(line: string): StartLine {
  const sp1 = line.indexOf(' ');
  if (sp1 <= 0) return undefined;
  const first = line.slice(0, sp1);
  if (isSipVersion(first)) {
    // SIP/2.0 <3 digits> <reason> (RFC 3261 7.2); reason may be empty
    const codeText = line.slice(sp1 + 1, sp1 + 4);
    if (codeText.length !== 3) return undefined;
    let status = 0;
    for (let i = 0; i < 3; i++) {
      const d = codeText.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) return undefined;
      status = status * 10 + d;
    }
    if (status < 100 || status > 699) return undefined;
    const after = line.charCodeAt(sp1 + 4);
    if (sp1 + 4 < line.length && !isSpace(after)) return undefined;
    return { kind: 'response', status, reason: trim(line.slice(sp1 + 4)) };
  }
  // METHOD SP Request-URI SP SIP/2.0 (RFC 3261 7.1)
  if (!isToken(first)) return undefined;
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp2 < 0) return undefined;
  const uri = line.slice(sp1 + 1, sp2);
  if (!isSipVersion(trim(line.slice(sp2 + 1)))) return undefined;
  if (uri.length === 0 || tryParseUri(uri) === undefined) return undefined;
  return { kind: 'request', method: first, uri };
}

/** Content-Length or its compact form `l`; the length test spares a key lookup for other names. */
function isContentLength(name: string): boolean {
  return (name.length === 14 || name.length === 1) && headerKey(name) === 'content-length';
}

/**
 * Parse the SIP text of a `sip` command (spec 6.3). Header lines are kept as
 * given (names not normalised, comma-joined values kept as one line), except
 * Content-Length, which is dropped: the engine recomputes it from the body
 * bytes. The body is everything after the first blank line, as UTF-8 bytes.
 * A bad start line gives `invalid request-uri: <start line>` (spec 6.5).
 */
export function parseAppSipText(text: string): AppSipMessage | { error: string } {
  const n = text.length;
  let pos = 0;
  // RFC 3261 7.5: ignore empty lines before the start line.
  while (pos < n) {
    const c = text.charCodeAt(pos);
    if (c !== 0x0d && c !== 0x0a) break;
    pos++;
  }
  const lines = new LineScanner(text);
  const startEnd = lines.end(pos);
  const startText = text.slice(pos, startEnd);
  const start = parseStartLine(startText);
  if (start === undefined) return { error: `invalid request-uri: ${startText}` };

  const headers: RawHeader[] = [];
  let body = EMPTY_BODY;
  pos = startEnd < n ? skipEol(text, startEnd) : n;
  while (pos < n) {
    const end = lines.end(pos);
    if (end === pos) {
      // blank line: the body is the rest, whatever the app's Content-Length said
      const bodyStart = skipEol(text, pos);
      if (bodyStart < n) body = Buffer.from(text.slice(bodyStart), 'utf8');
      break;
    }
    const c0 = text.charCodeAt(pos);
    if (isSpace(c0) && headers.length > 0) {
      // folded continuation line (RFC 3261 7.3.1): join with one space
      const prev = headers[headers.length - 1]!;
      prev.value = trim(prev.value + ' ' + trim(text.slice(pos, end)));
    } else {
      const colon = text.indexOf(':', pos);
      if (colon >= 0 && colon < end) {
        const name = trim(text.slice(pos, colon));
        // Content-Length from srf counts UTF-16 units (spec 6.3): never trust it.
        if (name.length > 0 && !isContentLength(name)) {
          headers.push({ name, value: trim(text.slice(colon + 1, end)) });
        }
      }
      // a line without ':' is not a header (spec 6.4): skip it
    }
    pos = end < n ? skipEol(text, end) : n;
  }

  if (start.kind === 'request') {
    return { kind: 'request', method: start.method, uri: start.uri, headers, body };
  }
  return { kind: 'response', status: start.status, reason: start.reason, headers, body };
}
