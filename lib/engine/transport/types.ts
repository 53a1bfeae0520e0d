/**
 * Contract of the transport layer (RFC 3261 section 18): listeners for UDP,
 * TCP and TLS, a connection table, and message framing on streams.
 */
import type { TransportName } from '../messages/types.js';
import type { SipRequest, SipResponse } from '../messages/message.js';

/** Where a message came from / went to. For streams, connectionId names the connection in the table. */
export interface Flow {
  transport: TransportName;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Set for TCP and TLS: the id of the connection (stable for its lifetime). */
  connectionId?: string;
}

/** Where to send: over an existing connection if connectionId (or a live connection to host:port) exists, else a new one. */
export interface SendTarget {
  transport: TransportName;
  host: string;
  port: number;
  connectionId?: string;
}

export type ConnectionCloseReason =
  | 'idle-timeout'
  | 'remote-closed'
  | 'error'
  | 'framing-error'
  | 'message-too-large'
  | 'too-many-headers'
  | 'slow-message'
  | 'limit-total'
  | 'limit-per-ip'
  | 'write-backlog'
  /** Closed on request of the layer above because nothing used it any more (e.g. its registrations ended). */
  | 'released'
  | 'shutdown';

export interface ConnectionInfo {
  id: string;
  transport: 'tcp' | 'tls';
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** true when the remote end connected to us. */
  inbound: boolean;
}

export interface TransportEvents {
  /** A well-formed message. */
  message: (msg: SipRequest | SipResponse, flow: Flow) => void;
  /** A message that failed to parse; `answerable` carries what is needed to send a 4xx/5xx back. */
  invalid: (failure: import('../messages/types.js').ParseFailure, flow: Flow) => void;
  'connection:open': (info: ConnectionInfo) => void;
  'connection:close': (info: ConnectionInfo, reason: ConnectionCloseReason) => void;
}
