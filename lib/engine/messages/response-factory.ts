/**
 * Messages derived from a request: responses (RFC 3261 8.2.6), the ACK for a
 * non-2xx final response (17.1.1.3) and CANCEL (9.1).
 */
import type { RawHeader } from './types.js';
import { SipRequest, SipResponse } from './message.js';
import { reasonPhrase } from './status-reasons.js';
import { firstListElement } from './lexical.js';
import { tryParseNameAddr } from './name-addr.js';
import { tryParseCSeq } from './cseq.js';

export interface ResponseOptions {
  /** To tag to add when the request's To has none (RFC 3261 8.2.6.2). */
  toTag?: string;
  /** Extra header lines, appended after the copied ones. */
  headers?: RawHeader[];
  body?: Buffer;
}

/** Append the header lines of `msg` with lookup key `key`, in order (lines are immutable, so sharing them is safe). */
function linesOf(msg: SipRequest | SipResponse, key: string, into: RawHeader[]): void {
  const at = msg._idx().get(key);
  if (at === undefined) return;
  for (const i of at) into.push(msg._headers[i]!);
}

/**
 * A response to `req` (RFC 3261 8.2.6.2): every Via in order, From, To (with
 * `toTag` added if To has no tag yet), Call-ID and CSeq are copied; a 100
 * also echoes Timestamp (8.2.6.1). Missing or malformed headers are tolerated,
 * so a 400 can be built for a request the parser refused.
 */
export function createResponse(req: SipRequest, status: number, reason?: string, opts?: ResponseOptions): SipResponse {
  const headers: RawHeader[] = [];
  linesOf(req, 'via', headers);
  linesOf(req, 'from', headers);
  const toAt = req._idx().get('to');
  if (toAt !== undefined) {
    const line = req._headers[toAt[0]!]!;
    const tag = opts?.toTag;
    if (tag !== undefined && status > 100) {
      // cached view when available; otherwise a best-effort parse (the request may be malformed)
      const to = req._to ?? tryParseNameAddr(line.value);
      headers.push(to === undefined || to.tag !== undefined ? line : { name: line.name, value: `${line.value};tag=${tag}` });
    } else {
      headers.push(line);
    }
  }
  linesOf(req, 'call-id', headers);
  linesOf(req, 'cseq', headers);
  if (status === 100) linesOf(req, 'timestamp', headers);
  if (opts?.headers !== undefined) for (const h of opts.headers) headers.push(h);
  const res = new SipResponse(status, reason ?? reasonPhrase(status), undefined, opts?.body);
  res._headers = headers;
  return res;
}

function cseqNumber(req: SipRequest): string {
  if (req._cseq !== undefined) return String(req._cseq.seq);
  const raw = req.get('cseq');
  const c = raw === undefined ? undefined : tryParseCSeq(raw);
  if (c === undefined) throw new Error('Request has no valid CSeq header');
  return String(c.seq);
}

function topViaLine(invite: SipRequest): RawHeader {
  const at = invite._idx().get('via');
  if (at === undefined) throw new Error('Request has no Via header');
  const line = invite._headers[at[0]!]!;
  const first = firstListElement(line.value);
  if (first === undefined || first.length === 0) throw new Error('Request has a malformed Via header');
  return first === line.value ? line : { name: line.name, value: first };
}

function required(msg: SipRequest | SipResponse, key: string, label: string): RawHeader {
  const at = msg._idx().get(key);
  if (at === undefined) throw new Error(`Missing ${label} header`);
  return msg._headers[at[0]!]!;
}

/**
 * The ACK a client transaction sends for a non-2xx final response to an
 * INVITE (RFC 3261 17.1.1.3): same Request-URI, Call-ID and From as the
 * INVITE, To of the response (with its tag), CSeq number with method ACK,
 * only the INVITE's top Via, its Route headers, Max-Forwards 70, no body.
 */
export function createAckForNonSuccess(invite: SipRequest, response: SipResponse): SipRequest {
  const headers: RawHeader[] = [topViaLine(invite)];
  linesOf(invite, 'route', headers);
  headers.push({ name: 'Max-Forwards', value: '70' });
  headers.push(required(invite, 'from', 'From'));
  headers.push(required(response, 'to', 'To'));
  headers.push(required(invite, 'call-id', 'Call-ID'));
  headers.push({ name: 'CSeq', value: `${cseqNumber(invite)} ACK` });
  const ack = new SipRequest('ACK', invite.uri);
  ack._headers = headers;
  return ack;
}

/**
 * A CANCEL for a pending request (RFC 3261 9.1): same Request-URI, Call-ID,
 * To, From and CSeq number (method CANCEL), the request's top Via only (so
 * it carries the same branch), its Route headers, Max-Forwards 70, no body.
 */
export function createCancel(invite: SipRequest): SipRequest {
  const headers: RawHeader[] = [topViaLine(invite)];
  linesOf(invite, 'route', headers);
  headers.push({ name: 'Max-Forwards', value: '70' });
  headers.push(required(invite, 'from', 'From'));
  headers.push(required(invite, 'to', 'To'));
  headers.push(required(invite, 'call-id', 'Call-ID'));
  headers.push({ name: 'CSeq', value: `${cseqNumber(invite)} CANCEL` });
  const cancel = new SipRequest('CANCEL', invite.uri);
  cancel._headers = headers;
  return cancel;
}
