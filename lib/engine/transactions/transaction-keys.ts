/**
 * Transaction identifiers, built once per message as a single string so map
 * look-ups cost one concatenation (RFC 3261 17.1.3, 17.2.3).
 */
import type { SipRequest } from '../messages/message.js';
import type { Via } from '../messages/types.js';

/** RFC 3261 8.1.1.7: branches of RFC 3261 elements start with this cookie. */
export const MAGIC_COOKIE = 'z9hG4bK';

/**
 * RFC 3261 17.2.3: only a branch with the cookie is trusted to be unique; a
 * bare cookie ("badbranch") carries no uniqueness, so it counts as RFC 2543.
 */
export function isRfc3261Branch(branch: string | undefined): branch is string {
  return branch !== undefined && branch.length > MAGIC_COOKIE.length && branch.startsWith(MAGIC_COOKIE);
}

/** RFC 3261 17.1.3: a response matches by top Via branch + CSeq method. */
export function clientTransactionKey(branch: string, method: string): string {
  return branch + '\n' + method;
}

/** RFC 3261 17.2.3: ACK belongs to the INVITE transaction it acknowledges. */
function matchingMethod(method: string): string {
  return method === 'ACK' ? 'INVITE' : method;
}

/** RFC 3261 17.2.3: branch + sent-by + method (ACK as INVITE). `via.branch` must pass isRfc3261Branch. */
export function serverTransactionKey(via: Via, method: string): string {
  return via.branch + '\n' + via.host + ':' + (via.port ?? '') + '\n' + matchingMethod(method);
}

/**
 * RFC 3261 17.2.3 (RFC 2543 compatibility): Request-URI, From tag, Call-ID,
 * CSeq number and top Via, plus the method class. The To tag is compared after
 * the look-up because for ACK it must equal the tag of the response we sent.
 */
export function rfc2543TransactionKey(req: SipRequest, method: string = req.method): string {
  const via = req.via;
  return (
    '2543\n' +
    req.uri +
    '\n' +
    (req.from.tag ?? '') +
    '\n' +
    req.callId +
    '\n' +
    req.cseq.seq +
    '\n' +
    via.transport +
    ' ' +
    via.host +
    ':' +
    (via.port ?? '') +
    ';' +
    (via.branch ?? '') +
    '\n' +
    matchingMethod(method)
  );
}
