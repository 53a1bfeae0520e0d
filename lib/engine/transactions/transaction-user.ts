/**
 * The interfaces the layer above (the TU: UA core, proxy, B2BUA) implements.
 * The transaction layer knows nothing else about its users.
 */
import type { SipRequest, SipResponse } from '../messages/message.js';
import type { Flow } from '../transport/types.js';
import type { InviteClientTransaction } from './invite-client-transaction.js';
import type { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import type { InviteServerTransaction } from './invite-server-transaction.js';
import type { NonInviteServerTransaction } from './non-invite-server-transaction.js';

/** Narrow on `kind` ('ict' | 'nict'). */
export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
/** Narrow on `kind` ('ist' | 'nist'). */
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

/** One per client transaction, given to sendRequest(). */
export interface ClientTransactionUser {
  /** Every response the state machine passes up (RFC 3261 17.1.1.2, 17.1.2.2, RFC 6026 7.2). */
  onResponse(res: SipResponse, txn: ClientTransaction): void;
  /** Timer B or F fired (RFC 3261 17.1.1.2 / 17.1.2.2); the TU treats it as 408 (8.1.3.1). */
  onTimeout(txn: ClientTransaction): void;
  /** The transport refused the request or ACK (17.1.4); the TU treats it as 503 (8.1.3.1). */
  onTransportError(err: unknown, txn: ClientTransaction): void;
  /** The transaction reached Terminated (after onTimeout/onTransportError when those caused it). */
  onTerminated?(txn: ClientTransaction): void;
  /**
   * An INVITE client transaction entered Accepted (RFC 6026 7.2) and lives on through timer M only to pass
   * on 2xx retransmissions and forks: the user may hand back a smaller user for that time, so the request
   * and the full user are not kept for 32 s per call.
   */
  acceptedUser?(): ClientTransactionUser;
}

/** One per transaction layer: where new requests and unmatched messages go. */
export interface ServerTransactionUser {
  /** A request that created a new server transaction (17.2.3 found no match). The TU must respond. */
  onRequest(txn: ServerTransaction): void;
  /** An ACK that matched no transaction (ACK for a 2xx, 17.2.3 / RFC 6026 8.7), or reached an Accepted IST. */
  onAck(ack: SipRequest, flow: Flow): void;
  /** A response that matched no client transaction (17.1.3), e.g. a 2xx retransmission (RFC 6026 7.2). */
  onStrayResponse(res: SipResponse, flow: Flow): void;
  /** Timer H fired: the ACK never came (17.2.1). */
  onServerTransactionTimeout?(txn: ServerTransaction): void;
  /** The transport refused a response (17.2.4); the transaction is terminated afterwards. */
  onServerTransactionTransportError?(err: unknown, txn: ServerTransaction): void;
}
