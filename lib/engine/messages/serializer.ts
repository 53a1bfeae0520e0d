/**
 * Message -> bytes (RFC 3261 7). Header lines keep their names as given;
 * Content-Length is always rewritten to the real body length (RFC 3261 18.3,
 * 20.14), because a stale value would break stream framing downstream.
 */
import type { SipRequest, SipResponse } from './message.js';
import { headerKey } from './header-names.js';

/**
 * The bytes of a message. Unmodified parsed messages (and messages serialized
 * before and not changed since) return their stored bytes without copying;
 * the result is remembered for retransmissions. Do not mutate the returned Buffer.
 */
export function serializeMessage(msg: SipRequest | SipResponse): Buffer {
  const cached = msg._wire;
  if (cached !== undefined) return cached;
  let head = msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0\r\n` : `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  const body = msg.body;
  let wroteLength = false;
  for (const h of msg.headers) {
    const name = h.name;
    // cheap pre-filter before the key lookup: only names starting with 'c'/'l' can be Content-Length
    const c0 = name.charCodeAt(0) | 0x20;
    if ((c0 === 0x6c || c0 === 0x63) && headerKey(name) === 'content-length') {
      if (wroteLength) continue; // duplicates collapse into the first one
      wroteLength = true;
      head += `${name}: ${body.length}\r\n`;
      continue;
    }
    head += `${name}: ${h.value}\r\n`;
  }
  if (!wroteLength) head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  let out: Buffer;
  if (body.length === 0) {
    out = Buffer.from(head, 'utf8');
  } else {
    const headLen = Buffer.byteLength(head, 'utf8');
    out = Buffer.allocUnsafe(headLen + body.length);
    out.write(head, 0, 'utf8');
    body.copy(out, headLen);
  }
  msg._wire = out;
  return out;
}

/** The message as text, for logs and tests (the body is decoded as UTF-8, lossy for binary bodies). */
export function messageToString(msg: SipRequest | SipResponse): string {
  return serializeMessage(msg).toString('utf8');
}
