/**
 * Syntax-level checks that decide whether a parsed message may enter the
 * engine (RFC 3261 8.2 / 16.3 "reasonable syntax", RFC 4475 section 3.1.2).
 * They also fill the message's cached views, so validated messages never
 * parse their Via / CSeq / From / To twice.
 */
import type { NameAddr, Via } from './types.js';
import type { HeaderIndex, SipMessage, SipRequest, SipResponse } from './message.js';
import { firstListElement, parseBoundedInt, splitCommaList, trimmedSlice } from './lexical.js';
import { parseCSeqOrError } from './cseq.js';
import { tryParseNameAddr } from './name-addr.js';
import { tryParseVia } from './via.js';
import { tryParseUri } from './uri.js';

export interface Refusal {
  status: number;
  reason: string;
}

function refuse(reason: string, status = 400): Refusal {
  return { status, reason };
}

/** RFC 3261 7.3 / 20: each of these must appear exactly once in a request (RFC 4475 multi01, insuf). */
const REQUIRED_ONCE: ReadonlyArray<readonly [string, string]> = [
  ['to', 'To'],
  ['from', 'From'],
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
];

/** Parse every Via value; undefined if any element is empty or malformed (RFC 4475 badinv01). */
export function parseAllVias(msg: SipMessage, idx: HeaderIndex): Via[] | undefined {
  const at = idx.get('via');
  const out: Via[] = [];
  if (at === undefined) return out;
  const parts: string[] = [];
  for (const i of at) {
    if (splitCommaList(msg._headers[i]!.value, parts) === undefined) return undefined;
  }
  for (const p of parts) {
    const via = p.length === 0 ? undefined : tryParseVia(p);
    if (via === undefined) return undefined;
    out.push(via);
  }
  return out;
}

/**
 * The top Via, for deciding whether a refused request can still be answered.
 * Broken parameters are forgiven here (RFC 4475 badinv01): sent-protocol and
 * sent-by are enough to send a 400 back.
 */
export function firstUsableVia(msg: SipMessage, idx: HeaderIndex): Via | undefined {
  const at = idx.get('via');
  if (at === undefined) return undefined;
  const first = firstListElement(msg._headers[at[0]!]!.value);
  if (first === undefined) return undefined;
  const via = tryParseVia(first);
  if (via !== undefined) return via;
  const semi = first.indexOf(';');
  return semi < 0 ? undefined : tryParseVia(first.slice(0, semi));
}

function value(msg: SipMessage, idx: HeaderIndex, key: string): string | undefined {
  const at = idx.get(key);
  return at === undefined ? undefined : msg._headers[at[0]!]!.value;
}

function checkNameAddr(msg: SipMessage, idx: HeaderIndex, key: string, label: string): NameAddr | Refusal {
  const raw = value(msg, idx, key);
  if (raw === undefined) return refuse(`Missing ${label} header`);
  const na = tryParseNameAddr(raw);
  if (na === undefined || na.uri === '*') return refuse(`Malformed ${label} header`);
  return na;
}

/** Checks shared by requests and responses: singletons, Via, Call-ID, CSeq, From, To. */
function checkCommon(msg: SipMessage, idx: HeaderIndex): Refusal | undefined {
  for (const [key, label] of REQUIRED_ONCE) {
    const at = idx.get(key);
    if (at !== undefined && at.length > 1) return refuse(`Multiple ${label} headers`);
  }
  const ct = idx.get('content-type');
  if (ct !== undefined && ct.length > 1) return refuse('Multiple Content-Type headers');
  if (!idx.has('via')) return refuse('Missing Via header');
  for (const [key, label] of REQUIRED_ONCE) {
    if (!idx.has(key)) return refuse(`Missing ${label} header`);
  }
  const vias = parseAllVias(msg, idx);
  if (vias === undefined || vias.length === 0) return refuse('Malformed Via header');
  msg._vias = vias;
  msg._topVia = vias[0];

  const rawCallId = value(msg, idx, 'call-id')!;
  const callId = trimmedSlice(rawCallId, 0, rawCallId.length);
  if (callId.length === 0) return refuse('Malformed Call-ID header');
  for (let i = 0; i < callId.length; i++) {
    const c = callId.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return refuse('Malformed Call-ID header'); // RFC 3261 25.1 callid = word ["@" word]
  }
  msg._callId = callId;

  const cseq = parseCSeqOrError(value(msg, idx, 'cseq')!);
  if (typeof cseq === 'string') return refuse(cseq);
  msg._cseq = cseq;

  const from = checkNameAddr(msg, idx, 'from', 'From');
  if ('status' in from) return from;
  msg._from = from;
  const to = checkNameAddr(msg, idx, 'to', 'To');
  if ('status' in to) return to;
  msg._to = to;
  return undefined;
}

/** RFC 3261 20.10: every Contact element must be a valid name-addr / addr-spec, or a lone '*'. */
function checkContacts(msg: SipMessage, idx: HeaderIndex): Refusal | undefined {
  const at = idx.get('contact');
  if (at === undefined) return undefined;
  const parts: string[] = [];
  for (const i of at) {
    if (splitCommaList(msg._headers[i]!.value, parts) === undefined) return refuse('Malformed Contact header');
  }
  for (const p of parts) {
    if (p.length === 0 || tryParseNameAddr(p) === undefined) return refuse('Malformed Contact header');
  }
  return undefined;
}

export function validateRequest(req: SipRequest, idx: HeaderIndex): Refusal | undefined {
  const common = checkCommon(req, idx);
  if (common !== undefined) return common;
  // RFC 3261 8.2.1 / 12.2.1.1: the CSeq method must match the request method (RFC 4475 mismatch01/02)
  if (req._cseq!.method !== req.method) return refuse('CSeq method does not match request method');
  // Max-Forwards is optional for RFC 2543 peers (RFC 4475 inv2543), but 0-255 when present (RFC 3261 20.22)
  const mfAt = idx.get('max-forwards');
  if (mfAt !== undefined) {
    if (mfAt.length > 1) return refuse('Multiple Max-Forwards headers');
    const mf = req._headers[mfAt[0]!]!.value;
    if (parseBoundedInt(trimmedSlice(mf, 0, mf.length), 255) < 0) return refuse('Bad Max-Forwards');
  }
  const scheme = schemeOf(req.uri);
  if (scheme === 'sip' || scheme === 'sips') {
    const uri = tryParseUri(req.uri);
    if (uri === undefined) return refuse('Malformed Request-URI');
    // RFC 3261 19.1.1 table: URI headers are not allowed in a Request-URI (RFC 4475 escruri)
    if (uri.headers.size > 0) return refuse('Request-URI must not contain headers');
    req._parsedUri = uri;
  }
  return checkContacts(req, idx);
}

export function validateResponse(res: SipResponse, idx: HeaderIndex): Refusal | undefined {
  // Contact is not checked here: dropping a final response for an odd Contact would hurt more than it protects.
  return checkCommon(res, idx);
}

/** Lower-case scheme of a URI text, '' if it has none. */
export function schemeOf(uri: string): string {
  const colon = uri.indexOf(':');
  return colon <= 0 ? '' : uri.slice(0, colon).toLowerCase();
}
