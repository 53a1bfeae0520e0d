/**
 * Where a server transaction sends its responses (RFC 3261 18.2.2, RFC 3581).
 */
import type { TransportName } from '../messages/types.js';
import type { Flow } from '../transport/types.js';

/** RFC 3261 18: UDP is the only unreliable transport we carry. */
export function isReliableTransport(transport: TransportName): boolean {
  return transport !== 'udp';
}

/**
 * Reliable: back over the connection the request came on (18.2.2; the Flow
 * carries its connectionId). Unreliable: to the request's source address and
 * port (RFC 3581 4, received/rport), which is the request's Flow too. We answer
 * to the source even when the client did not ask with rport, because a border
 * gateway mostly faces clients behind NAT whose sent-by is unreachable.
 */
export function responseTarget(flow: Flow): Flow {
  return flow;
}
