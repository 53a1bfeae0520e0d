/**
 * INVITE server transaction: RFC 3261 17.2.1 with the Accepted state of RFC 6026 8.7.
 *
 *   Proceeding -> Accepted (2xx) | Completed (300-699) -> Confirmed (ACK) -> Terminated
 */
import type { SipRequest, SipResponse } from '../messages/message.js';
import { createResponse } from '../messages/response-factory.js';
import type { Flow } from '../transport/types.js';
import type { TimerHandle } from '../timers/clock.js';
import { ServerTransactionBase } from './server-transaction.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionState, type TransitionTable } from './transaction-state.js';
import type { ServerTransactionUser } from './transaction-user.js';

const { Proceeding, Accepted, Completed, Confirmed, Terminated } = TransactionState;

const TRANSITIONS: TransitionTable = {
  [Proceeding]: [Accepted, Completed, Terminated],
  [Accepted]: [Terminated],
  [Completed]: [Confirmed, Terminated],
  [Confirmed]: [Terminated],
};

export interface InviteServerTransactionOptions {
  /** Send 100 Trying from start() (17.2.1). Default true. */
  sendTrying?: boolean;
}

export class InviteServerTransaction extends ServerTransactionBase {
  readonly kind = 'ist' as const;
  protected readonly transitions = TRANSITIONS;
  /** Set by the TU to see the ACK that confirms a non-2xx final (it is not passed up otherwise). */
  onAck?: (ack: SipRequest, txn: InviteServerTransaction) => void;
  private readonly sendTrying: boolean;
  private timerG?: TimerHandle;
  private timerH?: TimerHandle;
  private timerI?: TimerHandle;
  private timerL?: TimerHandle;
  private intervalG = 0;

  constructor(
    id: string,
    request: SipRequest,
    flow: Flow,
    user: ServerTransactionUser,
    ctx: TransactionContext,
    options?: InviteServerTransactionOptions,
  ) {
    super(id, request, flow, user, ctx, Proceeding);
    this.sendTrying = options?.sendTrying ?? true;
  }

  /**
   * 17.2.1: 100 Trying, unless disabled or the TU has already responded
   * (the layer calls this right after the TU's onRequest returns, so a TU that
   * answers synchronously saves the extra message).
   */
  start(): void {
    if (this.sendTrying && this.state === Proceeding && this.lastResponse === undefined) {
      this.sendResponse(createResponse(this.request, 100, 'Trying'));
    }
  }

  respond(res: SipResponse): void {
    const status = res.status;
    if (this.state === Proceeding) {
      if (status < 200) {
        // 17.2.1: provisionals are sent and remembered for INVITE retransmissions.
        this.sendResponse(res);
      } else if (status < 300) {
        // RFC 6026 8.7: 2xx -> Accepted with timer L; the TU retransmits the 2xx itself (13.3.1.4).
        this.stateTransition(Accepted);
        if (this.timers.L > 0) this.timerL = this.ctx.clock.setTimer(this.timers.L, () => this.onTimerEnds());
        this.markAnswered();
        this.sendResponse(res);
        if (this.timers.L === 0 && (this.state as TransactionState) === Accepted) this.stateTransition(Terminated);
      } else {
        // 17.2.1: 300-699 -> Completed; timer G retransmits (unreliable), timer H waits for the ACK.
        this.stateTransition(Completed);
        const clock = this.ctx.clock;
        if (!this.reliable) {
          this.intervalG = this.timers.G;
          this.timerG = clock.setTimer(this.intervalG, () => this.onTimerG());
        }
        this.timerH = clock.setTimer(this.timers.H, () => this.onTimerH());
        this.markAnswered();
        this.sendResponse(res);
      }
      return;
    }
    // RFC 6026 8.7: in Accepted, further 2xx from the TU (retransmissions) are sent.
    if (this.state === Accepted && status >= 200 && status < 300) {
      this.sendResponse(res);
      return;
    }
    this.discard('response discarded by invite server transaction', res);
  }

  receiveRequest(req: SipRequest, flow: Flow): void {
    const state = this.state;
    if (req.method === 'ACK') {
      if (state === Completed) this.confirm(req);
      // RFC 6026 8.7: an ACK reaching an Accepted IST acknowledges the 2xx: it is the TU's.
      else if (state === Accepted) this.user.onAck(req, flow);
      // 17.2.1: in Confirmed, ACK retransmissions are absorbed.
      return;
    }
    // 17.2.1: an INVITE retransmission gets the last provisional (Proceeding) or the final (Completed) again.
    if (state === Proceeding || state === Completed) this.resendLast();
    // RFC 6026 8.7: Accepted and Confirmed absorb it.
  }

  /** 17.2.1: ACK in Completed -> Confirmed; G and H stop; timer I (0 on reliable). */
  private confirm(ack: SipRequest): void {
    this.stopCompletedTimers();
    this.stateTransition(Confirmed);
    if (!this.reliable) this.timerI = this.ctx.clock.setTimer(this.timers.I, () => this.onTimerEnds());
    try {
      this.onAck?.(ack, this);
    } finally {
      if (this.reliable && this.state === Confirmed) this.stateTransition(Terminated);
    }
  }

  /** 17.2.1: G doubles up to T2. */
  private onTimerG(): void {
    this.timerG = undefined;
    if (this.state !== Completed) return;
    this.intervalG = Math.min(2 * this.intervalG, this.timers.T2);
    this.timerG = this.ctx.clock.setTimer(this.intervalG, () => this.onTimerG());
    this.resendLast();
  }

  /** 17.2.1: H in Completed means the ACK never came: a failure for the TU. */
  private onTimerH(): void {
    this.timerH = undefined;
    if (this.state !== Completed) return;
    this.stopCompletedTimers();
    this.ctx.metrics.transactionTimeout('ist', 'H');
    this.ctx.logger.debug({ txn: this.id, kind: this.kind, timer: 'H' }, 'server transaction timeout');
    try {
      this.user.onServerTransactionTimeout?.(this);
    } finally {
      if (!this.isTerminated) this.stateTransition(Terminated);
    }
  }

  /** Timer I (17.2.1) or L (RFC 6026 8.7): the quiet period is over. */
  private onTimerEnds(): void {
    this.timerI = undefined;
    this.timerL = undefined;
    if (this.state === Confirmed || this.state === Accepted) this.stateTransition(Terminated);
  }

  private stopCompletedTimers(): void {
    const clock = this.ctx.clock;
    if (this.timerG !== undefined) clock.clearTimer(this.timerG);
    if (this.timerH !== undefined) clock.clearTimer(this.timerH);
    this.timerG = this.timerH = undefined;
  }

  protected override clearTimers(): void {
    this.stopCompletedTimers();
    const clock = this.ctx.clock;
    if (this.timerI !== undefined) clock.clearTimer(this.timerI);
    if (this.timerL !== undefined) clock.clearTimer(this.timerL);
    this.timerI = this.timerL = undefined;
  }
}
