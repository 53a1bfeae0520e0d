/**
 * Shared part of the INVITE and non-INVITE client transactions (RFC 3261 17.1).
 */
import type { SipRequest, SipResponse } from '../messages/message.js';
import type { SendTarget } from '../transport/types.js';
import { Transaction } from './transaction.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionState } from './transaction-state.js';
import type { ClientTransaction, ClientTransactionUser } from './transaction-user.js';

export abstract class ClientTransactionBase extends Transaction {
  private req: SipRequest | undefined;
  /** Where the request (and, for INVITE, the ACK of a non-2xx: 17.1.1.3) is sent. */
  readonly target: SendTarget;
  protected user: ClientTransactionUser;

  protected constructor(
    id: string,
    request: SipRequest,
    target: SendTarget,
    user: ClientTransactionUser,
    ctx: TransactionContext,
    initial: TransactionState,
  ) {
    super(id, target.transport, ctx, initial);
    this.req = request;
    this.target = target;
    this.user = user;
  }

  /** The request this transaction sends; gone once an INVITE transaction is Accepted (see retireToAccepted). */
  get request(): SipRequest {
    const r = this.req;
    if (r === undefined) throw new Error(`${this.kind} ${this.id}: request released in Accepted`);
    return r;
  }

  /** RFC 6026 7.2: nothing is sent again after a 2xx; keep only what passes on later 2xx responses. */
  protected retireToAccepted(): void {
    this.req = undefined;
    const smaller = this.user.acceptedUser?.();
    if (smaller !== undefined) this.user = smaller;
  }

  /** Send the request and arm the timers; called once by the layer after filing the transaction. */
  abstract start(): void;

  /** A response the layer matched to this transaction (17.1.3). */
  abstract receiveResponse(res: SipResponse): void;

  /** Every concrete subclass is a member of the ClientTransaction union. */
  protected get self(): ClientTransaction {
    return this as unknown as ClientTransaction;
  }

  /** 17.1.1.2 / 17.1.2.2: timer B or F; the TU sees a timeout, then Terminated. */
  protected timedOut(timer: string): void {
    this.ctx.metrics.transactionTimeout(this.kind, timer);
    this.ctx.logger.debug({ txn: this.id, kind: this.kind, timer }, 'client transaction timeout');
    try {
      this.user.onTimeout(this.self);
    } finally {
      if (!this.isTerminated) this.stateTransition(TransactionState.Terminated);
    }
  }

  /** 17.1.4: inform the TU, then go straight to Terminated. */
  protected override transportFailed(err: unknown): void {
    this.ctx.logger.debug({ txn: this.id, kind: this.kind, err }, 'client transaction transport error');
    try {
      this.user.onTransportError(err, this.self);
    } finally {
      if (!this.isTerminated) this.stateTransition(TransactionState.Terminated);
    }
  }

  protected override notifyTerminated(): void {
    this.user.onTerminated?.(this.self);
  }
}
