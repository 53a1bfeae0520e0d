// Just enough SIP text handling for test peers: parse a message, frame a byte stream by
// Content-Length, and build simple requests and responses. Deliberately independent of
// lib/engine, which is what the tests check.
import { randomBytes } from 'node:crypto';

export interface SipMessageBase {
  /** Lower-case full header names (compact forms expanded) -> values in order. */
  headers: Map<string, string[]>;
  body: string;
  raw: string;
}

export interface SipRequest extends SipMessageBase {
  kind: 'request';
  method: string;
  uri: string;
}

export interface SipResponse extends SipMessageBase {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

const COMPACT: Readonly<Record<string, string>> = {
  v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length',
  c: 'content-type', k: 'supported', s: 'subject', e: 'content-encoding', o: 'event',
  r: 'refer-to', u: 'allow-events', x: 'session-expires', b: 'referred-by', a: 'accept-contact',
};

export function canonicalHeaderName(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT[lower] ?? lower;
}

/** Parses one complete SIP message. Throws on a malformed start line. */
export function parseSipMessage(raw: string): SipMessage {
  const split = raw.indexOf('\r\n\r\n');
  const head = split >= 0 ? raw.slice(0, split) : raw;
  const body = split >= 0 ? raw.slice(split + 4) : '';
  // Header folding (continuation lines starting with whitespace) is joined first.
  const lines = head.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
  const start = lines.shift() ?? '';
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = canonicalHeaderName(line.slice(0, colon));
    const list = headers.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    headers.set(name, list);
  }
  const status = start.match(/^SIP\/2\.0\s+(\d{3})\s*(.*)$/);
  if (status) return { kind: 'response', status: Number(status[1]), reason: status[2] ?? '', headers, body, raw };
  const req = start.match(/^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0$/);
  if (req) return { kind: 'request', method: (req[1] as string).toUpperCase(), uri: req[2] as string, headers, body, raw };
  throw new Error(`not a SIP message: ${JSON.stringify(start.slice(0, 80))}`);
}

export function headerValues(msg: SipMessageBase, name: string): string[] {
  return msg.headers.get(canonicalHeaderName(name)) ?? [];
}

export function headerValue(msg: SipMessageBase, name: string): string | undefined {
  return headerValues(msg, name)[0];
}

/** CSeq number and method of a message (method upper-cased). */
export function cseqOf(msg: SipMessageBase): { seq: number; method: string } {
  const v = headerValue(msg, 'cseq') ?? '';
  const m = v.match(/^(\d+)\s+(\S+)/);
  if (!m) throw new Error(`bad or missing CSeq: ${JSON.stringify(v)}`);
  return { seq: Number(m[1]), method: (m[2] as string).toUpperCase() };
}

/** Key that pairs a response with its request over one connection. */
export function transactionKey(msg: SipMessageBase): string {
  const { seq, method } = cseqOf(msg);
  return `${headerValue(msg, 'call-id') ?? ''}\n${seq}\n${method}`;
}

/**
 * Splits a SIP byte stream into messages using Content-Length (RFC 3261 18.3).
 * Bare CRLFs between messages (keep-alives, RFC 5626) are counted and dropped.
 */
export class SipStreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** CRLF keep-alive sequences seen between messages. */
  keepAlives = 0;

  constructor(private readonly maxMessageBytes = 1 << 20) {}

  push(chunk: Buffer): string[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: string[] = [];
    for (;;) {
      let skip = 0;
      while (skip + 1 < this.buf.length && this.buf[skip] === 0x0d && this.buf[skip + 1] === 0x0a) skip += 2;
      if (skip > 0) {
        this.keepAlives += 1;
        this.buf = this.buf.subarray(skip);
      }
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buf.length > this.maxMessageBytes) throw new Error('SIP header section too large');
        break;
      }
      const head = this.buf.subarray(0, end).toString('latin1');
      const m = head.match(/\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)/i);
      const bodyLen = m ? Number(m[1]) : 0;
      const total = end + 4 + bodyLen;
      if (total > this.maxMessageBytes) throw new Error(`SIP message too large (${total} bytes)`);
      if (this.buf.length < total) break;
      out.push(this.buf.subarray(0, total).toString('utf8'));
      this.buf = this.buf.subarray(total);
    }
    return out;
  }

  /** Bytes received but not yet part of a complete message. */
  get pending(): number {
    return this.buf.length;
  }
}

export function randomToken(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}

export function newBranch(): string {
  return `z9hG4bK${randomToken()}`;
}

export type HeaderList = ReadonlyArray<readonly [string, string]>;

export interface RequestSpec {
  method: string;
  uri: string;
  /** Transport token for the Via (UDP, TCP, TLS). */
  transport: string;
  /** host:port placed in the Via sent-by. */
  sentBy: string;
  branch?: string;
  from: string;
  fromTag?: string;
  to: string;
  toTag?: string;
  callId?: string;
  cseq?: number;
  contact?: string;
  maxForwards?: number;
  headers?: HeaderList;
  body?: string;
  contentType?: string;
}

/** Builds request text with the mandatory headers and a correct Content-Length. */
export function buildRequest(spec: RequestSpec): string {
  const body = spec.body ?? '';
  const lines = [
    `${spec.method} ${spec.uri} SIP/2.0`,
    `Via: SIP/2.0/${spec.transport.toUpperCase()} ${spec.sentBy};branch=${spec.branch ?? newBranch()};rport`,
    `Max-Forwards: ${spec.maxForwards ?? 70}`,
    `From: ${spec.from};tag=${spec.fromTag ?? randomToken(4)}`,
    `To: ${spec.to}${spec.toTag ? `;tag=${spec.toTag}` : ''}`,
    `Call-ID: ${spec.callId ?? `${randomToken()}@test`}`,
    `CSeq: ${spec.cseq ?? 1} ${spec.method}`,
  ];
  if (spec.contact) lines.push(`Contact: ${spec.contact}`);
  for (const [name, value] of spec.headers ?? []) lines.push(`${name}: ${value}`);
  if (body) lines.push(`Content-Type: ${spec.contentType ?? 'application/sdp'}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

export interface ResponseSpec {
  /** Added to To when the request's To has no tag (required on final responses, RFC 3261 8.2.6.2). */
  toTag?: string;
  headers?: HeaderList;
  body?: string;
  contentType?: string;
}

/** Builds a response to `req`, copying Via, From, To, Call-ID and CSeq. */
export function buildResponse(req: SipRequest, status: number, reason: string, spec: ResponseSpec = {}): string {
  const body = spec.body ?? '';
  let to = headerValue(req, 'to') ?? '';
  if (spec.toTag && !/;\s*tag=/i.test(to)) to += `;tag=${spec.toTag}`;
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const via of headerValues(req, 'via')) lines.push(`Via: ${via}`);
  for (const rr of headerValues(req, 'record-route')) lines.push(`Record-Route: ${rr}`);
  lines.push(`From: ${headerValue(req, 'from') ?? ''}`, `To: ${to}`, `Call-ID: ${headerValue(req, 'call-id') ?? ''}`,
    `CSeq: ${headerValue(req, 'cseq') ?? ''}`);
  for (const [name, value] of spec.headers ?? []) lines.push(`${name}: ${value}`);
  if (body) lines.push(`Content-Type: ${spec.contentType ?? 'application/sdp'}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
