/**
 * RFC 3261 18.2.1 / RFC 3581 4: record in a received request's top Via where
 * it really came from, so responses can find their way back. Requests that
 * need no change are left untouched (and keep their zero-copy wire bytes).
 */
import type { SipRequest } from '../messages/message.js';
import type { Via } from '../messages/types.js';
import { formatVia } from '../messages/via.js';
import { splitCommaList } from '../messages/lexical.js';
import { hostMatchesAddress } from './address.js';

/** Adds received= / rport= to the top Via when needed; returns whether the request changed. */
export function stampVia(req: SipRequest, sourceAddress: string, sourcePort: number): boolean {
  const via = req.via;
  const wantsRport = via.rport === null;
  // RFC 3581 4: with rport, received is added even when sent-by matches.
  const needsReceived = wantsRport || !hostMatchesAddress(via.host, sourceAddress);
  if (!needsReceived || (!wantsRport && via.received === sourceAddress)) return false;
  const stamped: Via = { ...via, received: sourceAddress };
  if (wantsRport) stamped.rport = sourcePort;
  replaceTopVia(req, formatVia(stamped));
  return true;
}

/** Replace the first element of the first Via line, keeping the other lines as they are. */
function replaceTopVia(req: SipRequest, top: string): void {
  const lines = req.getAll('via');
  const first = splitCommaList(lines[0] as string);
  let line = top;
  if (first !== undefined && first.length > 1) {
    first[0] = top;
    line = first.join(', ');
  }
  req.set('Via', line);
  for (let i = 1; i < lines.length; i++) req.append('Via', lines[i] as string);
}
