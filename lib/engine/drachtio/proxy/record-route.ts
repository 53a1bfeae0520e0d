/**
 * Staying on the path of a proxied dialog (spec 9.3 remainInDialog): Record-Route
 * (RFC 3261 16.6 step 4), or Path + `Require: path` for REGISTER (RFC 3327 5.1).
 */
import type { SipRequest } from '../../messages/message.js';
import type { TransportName } from '../../messages/types.js';
import type { LocalAddresses } from '../contracts.js';

/** `<sip:host:port;transport=x;lr>` for one of our listening points, or undefined when not listening on it. */
export function ourRouteValue(local: LocalAddresses, transport: TransportName): string | undefined {
  const l = local.listener(transport);
  return l === undefined ? undefined : `<sip:${l.host}:${l.port};transport=${transport};lr>`;
}

/**
 * Insert our route at the top. When the two sides use different transports both listening points are
 * recorded (double record-routing, RFC 5658): the downstream-facing one on top, as the UAS reads the list in order.
 */
export function addRecordRoute(req: SipRequest, local: LocalAddresses, inbound: TransportName, outbound: TransportName): void {
  const isRegister = req.method === 'REGISTER';
  const name = isRegister ? 'Path' : 'Record-Route';
  if (inbound !== outbound) {
    const up = ourRouteValue(local, inbound);
    if (up !== undefined) req.prepend(name, up);
  }
  const down = ourRouteValue(local, outbound);
  if (down !== undefined) req.prepend(name, down);
  if (isRegister && !requiresPath(req)) req.append('Require', 'path');
}

function requiresPath(req: SipRequest): boolean {
  for (const v of req.getList('require')) if (v.toLowerCase() === 'path') return true;
  return false;
}
