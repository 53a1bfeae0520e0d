/**
 * Parse one SIP message (a UDP datagram, or one message already framed from
 * a stream) - RFC 3261 section 7 and 18.3, RFC 4475 for the hard cases.
 * One pass over the header block; the body stays raw bytes. Never throws.
 */
import type { ParseFailure, ParseSuccess, RawHeader } from './types.js';
import { SipRequest, SipResponse, type HeaderIndex, type SipMessage } from './message.js';
import { headerKey } from './header-names.js';
import { isToken, isTokenChar, isWs, trimmedSlice } from './lexical.js';
import { firstUsableVia, validateRequest, validateResponse, type Refusal } from './validation.js';

export interface ParseOptions {
  /** Refuse messages with more header lines than this (after unfolding). Default 256. */
  maxHeaders?: number;
}

export const DEFAULT_MAX_HEADERS = 256;

/** Reason given only if the parser itself threw (a bug); exported so tests can assert it never happens. */
export const INTERNAL_ERROR_REASON = 'Unparseable message';

/** Largest Content-Length we will even consider; a UDP datagram or framed message is far smaller. */
const MAX_CONTENT_LENGTH = 0x7fffffff;

type StartLine =
  | { kind: 'request'; method: string; uri: string; error?: Refusal }
  | { kind: 'response'; status: number; reason: string; error?: Refusal };

function fail(reason: string, status = 400, answerable?: SipRequest): ParseFailure {
  const f: ParseFailure = { ok: false, reason, status };
  if (answerable !== undefined) f.answerable = answerable;
  return f;
}

/** 'SIP/2.0' exactly (case-insensitive name, RFC 3261 7.1). */
function isSip20(v: string): boolean {
  return v.length === 7 && (v.charCodeAt(0) | 0x20) === 0x73 && (v.charCodeAt(1) | 0x20) === 0x69 &&
    (v.charCodeAt(2) | 0x20) === 0x70 && v.charCodeAt(3) === 0x2f && v.charCodeAt(4) === 0x32 &&
    v.charCodeAt(5) === 0x2e && v.charCodeAt(6) === 0x30;
}

/** 'SIP/<digits>.<digits>', any version (so that another version gets 505, not 400). */
function isSipVersion(v: string): boolean {
  if (v.length < 7 || v.slice(0, 4).toUpperCase() !== 'SIP/') return false;
  const dot = v.indexOf('.', 4);
  if (dot <= 4 || dot === v.length - 1) return false;
  for (let i = 4; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (i !== dot && (c < 0x30 || c > 0x39)) return false;
  }
  return true;
}

function parseStatusLine(line: string): StartLine {
  // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 7.2)
  const sp1 = line.indexOf(' ');
  if (sp1 < 0) return { kind: 'response', status: 0, reason: '', error: { status: 400, reason: 'Malformed Status-Line' } };
  const version = line.slice(0, sp1);
  let sp2 = line.indexOf(' ', sp1 + 1);
  if (sp2 < 0) sp2 = line.length; // tolerate a missing SP before an empty reason
  const code = line.slice(sp1 + 1, sp2);
  const reason = sp2 < line.length ? line.slice(sp2 + 1) : '';
  let status = 0;
  if (code.length === 3) {
    for (let i = 0; i < 3; i++) {
      const c = code.charCodeAt(i);
      if (c < 0x30 || c > 0x39) {
        status = -1;
        break;
      }
      status = status * 10 + (c - 0x30);
    }
  }
  if (status < 100 || status > 699) return { kind: 'response', status: 0, reason, error: { status: 400, reason: 'Bad status code' } };
  if (!isSip20(version)) return { kind: 'response', status, reason, error: { status: 505, reason: 'Version Not Supported' } };
  return { kind: 'response', status, reason };
}

function parseRequestLine(line: string): StartLine {
  // Request-Line = Method SP Request-URI SP SIP-Version, single SPs only (RFC 3261 7.1, 25.1; RFC 4475 lwsstart, trws, lwsruri)
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  const strict = sp1 > 0 && sp2 > sp1 + 1 && sp2 < line.length - 1 && line.indexOf(' ', sp2 + 1) < 0;
  if (!strict) {
    // best effort, only so that the 400 can still be sent
    const words = line.split(/[ \t]+/).filter((w) => w.length > 0);
    const method = words[0] ?? '';
    return { kind: 'request', method, uri: words[1] ?? '', error: { status: 400, reason: 'Malformed Request-Line' } };
  }
  const method = line.slice(0, sp1);
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!isToken(method)) return { kind: 'request', method, uri, error: { status: 400, reason: 'Malformed method' } };
  if (!isSip20(version)) {
    return isSipVersion(version)
      ? { kind: 'request', method, uri, error: { status: 505, reason: 'Version Not Supported' } }
      : { kind: 'request', method, uri, error: { status: 400, reason: 'Malformed Request-Line' } };
  }
  // RFC 3261 25.1: the Request-URI is never enclosed in '<>' and holds no whitespace (RFC 4475 ltgtruri)
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c === 0x3c || c === 0x3e) return { kind: 'request', method, uri, error: { status: 400, reason: 'Request-URI in angle brackets' } };
    if (c < 0x21 || c === 0x7f || c === 0x22) return { kind: 'request', method, uri, error: { status: 400, reason: 'Malformed Request-URI' } };
  }
  return { kind: 'request', method, uri };
}

/** True if line[0..] starts with 'SIP/' in any case: a Status-Line (a method cannot contain '/'). */
function looksLikeStatusLine(line: string): boolean {
  return line.length >= 4 && (line.charCodeAt(0) | 0x20) === 0x73 && (line.charCodeAt(1) | 0x20) === 0x69 &&
    (line.charCodeAt(2) | 0x20) === 0x70 && line.charCodeAt(3) === 0x2f;
}

/** Header lines of the header block, unfolded (RFC 3261 7.3.1). */
interface HeaderBlock {
  headers: RawHeader[];
  index: HeaderIndex;
  error?: string;
  /** A line ended in a bare LF: keep going, but do not reuse the bytes as they are. */
  bareLf: boolean;
}

function splitHeaders(head: string, from: number, maxHeaders: number): HeaderBlock {
  const headers: RawHeader[] = [];
  const index: HeaderIndex = new Map();
  const block: HeaderBlock = { headers, index, bareLf: false };
  const n = head.length;
  let pos = from;
  let name = '';
  let value = '';
  let open = false; // a header is being accumulated (folding may extend it)
  const flush = (): boolean => {
    if (!open) return true;
    open = false;
    if (headers.length >= maxHeaders) {
      block.error ??= 'Too many headers';
      return false;
    }
    const key = headerKey(name);
    const at = index.get(key);
    if (at === undefined) index.set(key, [headers.length]);
    else at.push(headers.length);
    headers.push({ name, value });
    return true;
  };
  while (pos < n) {
    let lf = head.indexOf('\n', pos);
    if (lf < 0) lf = n;
    let end = lf;
    if (end > pos && head.charCodeAt(end - 1) === 0x0d) end--;
    else if (lf < n) block.bareLf = true;
    const c0 = head.charCodeAt(pos);
    if (c0 === 0x20 || c0 === 0x09) {
      // continuation line: LWS folding is equivalent to a single SP (RFC 3261 7.3.1)
      if (!open) {
        block.error ??= 'Malformed header folding';
      } else {
        const cont = trimmedSlice(head, pos, end);
        if (cont.length > 0) value = value.length > 0 ? value + ' ' + cont : cont;
      }
    } else if (end > pos) {
      if (!flush()) break;
      const colon = head.indexOf(':', pos);
      if (colon < 0 || colon >= end) {
        block.error ??= 'Malformed header line';
      } else {
        // header name = token; SP/HT before ':' is allowed (RFC 3261 7.3.1, RFC 4475 wsinv / longreq)
        let ne = colon;
        while (ne > pos && isWs(head.charCodeAt(ne - 1))) ne--;
        let okName = ne > pos;
        for (let i = pos; okName && i < ne; i++) if (!isTokenChar(head.charCodeAt(i))) okName = false;
        if (!okName) {
          block.error ??= 'Malformed header name';
        } else {
          name = head.slice(pos, ne);
          value = trimmedSlice(head, colon + 1, end);
          open = true;
        }
      }
    }
    pos = lf + 1;
  }
  flush();
  return block;
}

/** Result of locating the empty line that ends the header block, in bytes. */
interface Framing {
  /** End of the header block (exclusive, before the empty line). */
  headEnd: number;
  /** First body byte, or -1 when no empty line was found. */
  bodyStart: number;
}

function frame(data: Buffer, start: number): Framing {
  const len = data.length;
  let pos = start;
  for (;;) {
    const lf = data.indexOf(10, pos);
    if (lf < 0) return { headEnd: len, bodyStart: -1 };
    const nx = lf + 1;
    if (nx < len && data[nx] === 10) return { headEnd: nx, bodyStart: nx + 1 };
    if (nx + 1 < len && data[nx] === 13 && data[nx + 1] === 10) return { headEnd: nx, bodyStart: nx + 2 };
    pos = nx;
  }
}

/** Content-Length value(s): -1 absent, -2 malformed, -3 conflicting, else the length (RFC 3261 20.14). */
function contentLength(headers: readonly RawHeader[], index: HeaderIndex): number {
  const at = index.get('content-length');
  if (at === undefined) return -1;
  let len = -1;
  for (const i of at) {
    const v = headers[i]!.value;
    const t = trimmedSlice(v, 0, v.length);
    let n = 0;
    if (t.length === 0 || t.length > 10) return -2;
    for (let k = 0; k < t.length; k++) {
      const c = t.charCodeAt(k);
      if (c < 0x30 || c > 0x39) return -2; // '-999' is refused, never used as a length (RFC 4475 ncl)
      n = n * 10 + (c - 0x30);
    }
    if (n > MAX_CONTENT_LENGTH) return -2;
    if (len >= 0 && n !== len) return -3; // RFC 4475 mcl01
    len = n;
  }
  return len;
}

function buildAnswerable(start: StartLine, block: HeaderBlock): SipRequest | undefined {
  if (start.kind !== 'request' || !isToken(start.method)) return undefined;
  const req = new SipRequest(start.method, start.uri);
  req._headers = block.headers;
  req._index = block.index;
  return firstUsableVia(req, block.index) === undefined ? undefined : req;
}

function parseUnsafe(data: Buffer, maxHeaders: number): ParseSuccess<SipRequest | SipResponse> | ParseFailure {
  const len = data.length;
  let start = 0;
  // RFC 3261 7.5: ignore CRLFs before the start line (keep-alives, stray line ends)
  while (start < len && (data[start] === 13 || data[start] === 10)) start++;
  if (start >= len) return fail('Empty message');
  const { headEnd, bodyStart } = frame(data, start);
  const head = data.toString('utf8', start, headEnd);

  let lineEnd = head.indexOf('\n');
  if (lineEnd < 0) lineEnd = head.length;
  const firstLine = head.slice(0, lineEnd > 0 && head.charCodeAt(lineEnd - 1) === 0x0d ? lineEnd - 1 : lineEnd);
  const startLine = looksLikeStatusLine(firstLine) ? parseStatusLine(firstLine) : parseRequestLine(firstLine);
  const block = splitHeaders(head, lineEnd + 1, maxHeaders);

  const refuse = (r: Refusal): ParseFailure => fail(r.reason, r.status, buildAnswerable(startLine, block));
  if (startLine.error !== undefined) return refuse(startLine.error);
  if (bodyStart < 0) return refuse({ status: 400, reason: 'Missing empty line after headers' });
  if (block.error !== undefined) return refuse({ status: 400, reason: block.error });

  let msg: SipMessage;
  let refusal: Refusal | undefined;
  if (startLine.kind === 'request') {
    const req = new SipRequest(startLine.method, startLine.uri);
    req._headers = block.headers;
    req._index = block.index;
    refusal = validateRequest(req, block.index);
    msg = req;
  } else {
    const res = new SipResponse(startLine.status, startLine.reason);
    res._headers = block.headers;
    res._index = block.index;
    refusal = validateResponse(res, block.index);
    msg = res;
  }
  if (refusal !== undefined) return refuse(refusal);

  // body framing (RFC 3261 18.3, 20.14)
  const available = len - bodyStart;
  const cl = contentLength(block.headers, block.index);
  if (cl === -2) return refuse({ status: 400, reason: 'Bad Content-Length' });
  if (cl === -3) return refuse({ status: 400, reason: 'Conflicting Content-Length headers' });
  if (cl > available) return refuse({ status: 400, reason: 'Content-Length larger than body' }); // RFC 4475 clerr
  // no Content-Length on a datagram: the body is the rest (RFC 3261 18.3, RFC 4475 inv2543); extra octets are ignored (dblreq)
  const bodyLen = cl < 0 ? available : cl;
  msg.body = bodyLen === 0 ? Buffer.alloc(0) : data.subarray(bodyStart, bodyStart + bodyLen);
  // The received bytes can stand for the message only with exactly one right Content-Length and CRLF line ends.
  if (cl >= 0 && block.index.get('content-length')!.length === 1 && !block.bareLf) {
    msg._wire = start === 0 && bodyStart + bodyLen === len ? data : data.subarray(start, bodyStart + bodyLen);
  }
  return { ok: true, message: msg as SipRequest | SipResponse };
}

/**
 * Parse one message. On success the message is syntactically valid: it has
 * exactly one To, From, Call-ID and CSeq and at least one Via, all parseable
 * (so their getters never throw), and a consistent body length. On failure
 * `reason` is a short reason phrase, `status` the status to answer with, and
 * `answerable` is set for requests that still have a usable Via.
 */
export function parseMessage(data: Buffer, opts?: ParseOptions): ParseSuccess<SipRequest | SipResponse> | ParseFailure {
  try {
    return parseUnsafe(data, opts?.maxHeaders ?? DEFAULT_MAX_HEADERS);
  } catch {
    // defensive only: no input is known to get here (the fuzz test asserts this reason never shows up),
    // but a parser bug must not take the transport down
    return fail(INTERNAL_ERROR_REASON);
  }
}
