/**
 * Call detail records for the UAS and UAC halves (spec 10). Each record goes to one app connection that
 * routed its `cdr:*` verb, round-robin like requests. Most apps route none, so the router is asked first and
 * the SIP message is only serialized when someone will receive it.
 */
import type { SipRequest, SipResponse } from '../../messages/message.js';
import { serializeMessage } from '../../messages/serializer.js';
import type { AppRouter } from '../contracts.js';
import { cdrFrame } from '../wire/frames.js';

export type CdrType = 'cdr:attempt' | 'cdr:start' | 'cdr:stop';
export type CdrSource = 'network' | 'application';

/**
 * Sends one CDR frame carrying `msg` as it is on the wire. `extra` is the role (start) or reason (stop);
 * undefined for attempt, which has no such field.
 */
export function emitCdr(
  router: AppRouter,
  type: CdrType,
  source: CdrSource,
  extra: string | undefined,
  msg: SipRequest | SipResponse,
): void {
  const conn = router.pickCdr(type);
  if (conn === undefined) return;
  conn.sendFrame(cdrFrame(type, source, extra, serializeMessage(msg).toString('utf8')));
}

/** spec 10: why a call attempt ended with a final status >= 300 (487 means the caller gave up). */
export function rejectReason(status: number): 'call-canceled' | 'call-rejected' {
  return status === 487 ? 'call-canceled' : 'call-rejected';
}
