/**
 * The copy of a request a proxy forwards to one target (RFC 3261 16.6, spec 9.3).
 */
import type { SipRequest } from '../../messages/message.js';
import type { RawHeader, TransportName } from '../../messages/types.js';
import { generateBranch } from '../../messages/ids.js';
import { headerKey } from '../../messages/header-names.js';
import type { LocalAddresses } from '../contracts.js';
import { addRecordRoute } from './record-route.js';

/**
 * The Max-Forwards value to forward (16.6 step 3: decrement, or 70 when absent);
 * undefined when the incoming value is 0 or less: the request must be refused with 483 (16.3 step 2).
 */
export function nextMaxForwards(req: SipRequest): number | undefined {
  const raw = req.get('max-forwards');
  if (raw === undefined) return 70;
  const n = Number.parseInt(raw.trim(), 10);
  if (!Number.isFinite(n)) return 70;
  return n <= 0 ? undefined : n - 1;
}

/** Our Via for a hop: `SIP/2.0/<PROTO> host:port;branch=<branch>;rport` (RFC 3581). */
export function ourVia(local: LocalAddresses, transport: TransportName, branch: string): string | undefined {
  const l = local.listener(transport);
  return l === undefined ? undefined : `SIP/2.0/${transport.toUpperCase()} ${l.host}:${l.port};branch=${branch};rport`;
}

export interface ForwardCopyOptions {
  /** Set when the Request-URI points at us: it becomes the target (spec 9.3). */
  newRequestUri?: string;
  maxForwards: number;
  transport: TransportName;
  inboundTransport: TransportName;
  recordRoute: boolean;
  /** The app's extra headers, already filtered by the header rules (spec 6.4). */
  extraHeaders: readonly RawHeader[];
  local: LocalAddresses;
}

/** The forwarded copy with our Via on top, or undefined when we do not listen on the transport. */
export function buildForwardCopy(orig: SipRequest, o: ForwardCopyOptions): SipRequest | undefined {
  const via = ourVia(o.local, o.transport, generateBranch());
  if (via === undefined) return undefined;
  const req = orig.clone();
  if (o.newRequestUri !== undefined) req.uri = o.newRequestUri;
  req.set('Max-Forwards', String(o.maxForwards));
  // spec 9.3: Routes the UAC preloaded (they lead to us) are dropped.
  req.remove('route');
  if (o.recordRoute) addRecordRoute(req, o.local, o.inboundTransport, o.transport);
  applyExtraHeaders(req, o.extraHeaders);
  req.prepend('Via', via);
  return req;
}

/** The first line of a name replaces what the request has; further lines of the same name are added. */
function applyExtraHeaders(req: SipRequest, extra: readonly RawHeader[]): void {
  if (extra.length === 0) return;
  const seen = new Set<string>();
  for (const h of extra) {
    const key = headerKey(h.name);
    if (seen.has(key)) req.append(h.name, h.value);
    else {
      seen.add(key);
      req.set(h.name, h.value);
    }
  }
}
