/**
 * Shared part of the INVITE and non-INVITE server transactions (RFC 3261 17.2).
 */
import type { SipRequest, SipResponse } from '../messages/message.js';
import type { Flow } from '../transport/types.js';
import { responseTarget } from './response-target.js';
import { serializeMessage } from '../messages/serializer.js';
import { isRfc3261Branch } from './transaction-keys.js';
import { Transaction } from './transaction.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionState } from './transaction-state.js';
import type { ServerTransaction, ServerTransactionUser } from './transaction-user.js';

export abstract class ServerTransactionBase extends Transaction {
  private req: SipRequest | undefined;
  /** The flow the request arrived on. */
  readonly flow: Flow;
  /** Set by the TU to learn when this transaction is over. */
  onTerminated?: (txn: ServerTransaction) => void;
  protected readonly user: ServerTransactionUser;
  /** 18.2.2 / RFC 3581: fixed at creation, used for every response and retransmission. */
  protected readonly destination: Flow;
  private readonly createdAt: number;
  private last?: SipResponse;
  /** After retire(): the final response's bytes, all that retransmissions need. */
  private lastWire?: Buffer;
  private answered = false;

  protected constructor(
    id: string,
    request: SipRequest,
    flow: Flow,
    user: ServerTransactionUser,
    ctx: TransactionContext,
    initial: TransactionState,
  ) {
    super(id, flow.transport, ctx, initial);
    this.req = request;
    this.flow = flow;
    this.user = user;
    this.destination = responseTarget(flow);
    this.createdAt = ctx.clock.now();
  }

  /** The TU's response; sent if the state machine accepts it, otherwise discarded (and logged). */
  abstract respond(res: SipResponse): void;

  /** A request the layer matched to this transaction (17.2.3): a retransmission, or ACK for the IST. */
  abstract receiveRequest(req: SipRequest, flow: Flow): void;

  /** The request that created this transaction (released once the transaction only absorbs retransmissions). */
  get request(): SipRequest {
    const req = this.req;
    if (req === undefined) throw new Error(`server transaction ${this.id} has completed; its request was released`);
    return req;
  }

  /** The most recent response sent (provisional or final); undefined once retired. */
  get lastResponse(): SipResponse | undefined {
    return this.last;
  }

  /**
   * Over UDP a completed non-INVITE transaction lives 64*T1 only to answer
   * retransmissions (17.2.2): keep the response bytes and let the parsed
   * request and response go (several KB each, times 32 s of traffic).
   * Transactions matched by RFC 2543 rules keep their request for matching.
   */
  protected retire(): void {
    const req = this.req;
    const last = this.last;
    if (req === undefined || last === undefined || !isRfc3261Branch(req.via.branch)) return;
    this.lastWire = serializeMessage(last);
    this.last = undefined;
    this.req = undefined;
  }

  /** True once a final response has been sent. */
  get hasFinalResponse(): boolean {
    return this.answered;
  }

  protected get self(): ServerTransaction {
    return this as unknown as ServerTransaction;
  }

  protected sendResponse(res: SipResponse): void {
    this.last = res;
    this.transmit(res, this.destination);
  }

  /** Resend the last response (request retransmission, timer G). */
  protected resendLast(): void {
    if (this.last !== undefined) this.transmit(this.last, this.destination);
    else if (this.lastWire !== undefined) this.transmitBytes(this.lastWire, this.destination);
  }

  /** Book-keeping for the first final response: response time metric and the layer's pending count. */
  protected markAnswered(): void {
    if (this.answered) return;
    this.answered = true;
    this.ctx.metrics.observeResponseTime(this.request.method, (this.ctx.clock.now() - this.createdAt) / 1000);
    this.ctx.owner.serverTransactionAnswered(this);
  }

  protected discard(what: string, res?: SipResponse): void {
    this.ctx.logger.debug({ txn: this.id, kind: this.kind, state: this.state, status: res?.status }, what);
  }

  /** 17.2.4: inform the TU, then go to Terminated. */
  protected override transportFailed(err: unknown): void {
    this.ctx.logger.debug({ txn: this.id, kind: this.kind, err }, 'server transaction transport error');
    try {
      this.user.onServerTransactionTransportError?.(err, this.self);
    } finally {
      if (!this.isTerminated) this.stateTransition(TransactionState.Terminated);
    }
  }

  protected override notifyTerminated(): void {
    this.onTerminated?.(this.self);
  }
}
