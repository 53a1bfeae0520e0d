/**
 * INVITE client transaction: RFC 3261 17.1.1 with the Accepted state of RFC 6026 7.2.
 *
 *   Calling -> Proceeding -> Accepted (2xx) | Completed (300-699) -> Terminated
 */
import type { SipRequest, SipResponse } from '../messages/message.js';
import { createAckForNonSuccess } from '../messages/response-factory.js';
import type { SendTarget } from '../transport/types.js';
import type { TimerHandle } from '../timers/clock.js';
import { ClientTransactionBase } from './client-transaction.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionState, type TransitionTable } from './transaction-state.js';
import type { ClientTransactionUser } from './transaction-user.js';

const { Calling, Proceeding, Accepted, Completed, Terminated } = TransactionState;

const TRANSITIONS: TransitionTable = {
  [Calling]: [Proceeding, Accepted, Completed, Terminated],
  [Proceeding]: [Accepted, Completed, Terminated],
  [Accepted]: [Terminated],
  [Completed]: [Terminated],
};

export class InviteClientTransaction extends ClientTransactionBase {
  readonly kind = 'ict' as const;
  protected readonly transitions = TRANSITIONS;
  private timerA?: TimerHandle;
  private timerB?: TimerHandle;
  private timerD?: TimerHandle;
  private timerM?: TimerHandle;
  private intervalA = 0;
  /** Built on the first non-2xx final and reused for its retransmissions (17.1.1.3). */
  private ack?: SipRequest;

  constructor(id: string, request: SipRequest, target: SendTarget, user: ClientTransactionUser, ctx: TransactionContext) {
    super(id, request, target, user, ctx, Calling);
  }

  /** The ACK this transaction sent for a non-2xx final, if any. */
  get ackRequest(): SipRequest | undefined {
    return this.ack;
  }

  start(): void {
    if (this.state !== Calling || this.timerB !== undefined) throw new Error(`ict ${this.id} already started`);
    const clock = this.ctx.clock;
    // 17.1.1.2: timer B bounds the Calling state on every transport.
    this.timerB = clock.setTimer(this.timers.B, () => this.onTimerB());
    // 17.1.1.2: timer A retransmits, on unreliable transports only.
    if (!this.reliable) {
      this.intervalA = this.timers.A;
      this.timerA = clock.setTimer(this.intervalA, () => this.onTimerA());
    }
    this.transmit(this.request, this.target);
  }

  receiveResponse(res: SipResponse): void {
    const status = res.status;
    switch (this.state) {
      case Calling:
      case Proceeding:
        if (status < 200) {
          // 17.1.1.2: a provisional stops retransmissions and timer B; it always goes to the TU.
          if (this.state === Calling) {
            this.stopCallingTimers();
            this.stateTransition(Proceeding);
          }
          this.user.onResponse(res, this);
        } else if (status < 300) {
          // RFC 6026 7.2: 2xx -> Accepted (not Terminated) so later 2xx still match; timer M.
          this.stopCallingTimers();
          this.stateTransition(Accepted);
          this.timerM = this.ctx.clock.setTimer(this.timers.M, () => this.onTimerEnds());
          this.user.onResponse(res, this);
          // The user may have ended the transaction (transport error while answering); only a live one retires.
          if (!this.isTerminated) this.retireToAccepted();
        } else {
          this.complete(res);
        }
        return;
      case Accepted:
        // RFC 6026 7.2: further 2xx (retransmissions, forks) go to the TU, which ACKs them; anything else is dropped.
        if (status >= 200 && status < 300) this.user.onResponse(res, this);
        return;
      case Completed:
        // 17.1.1.2: a retransmitted final is ACKed again and not passed up.
        if (status >= 300) this.sendAck(res);
        return;
      default:
        return;
    }
  }

  /** 17.1.1.2: 300-699 -> Completed, pass up, ACK (17.1.1.3), timer D (0 on reliable: Terminated at once). */
  private complete(res: SipResponse): void {
    this.stopCallingTimers();
    this.stateTransition(Completed);
    if (!this.reliable) this.timerD = this.ctx.clock.setTimer(this.timers.D, () => this.onTimerEnds());
    try {
      this.user.onResponse(res, this);
    } finally {
      this.sendAck(res);
      if (this.reliable && this.state === Completed) this.stateTransition(Terminated);
    }
  }

  /** 17.1.1.3: same target as the INVITE; the ACK is built once. */
  private sendAck(res: SipResponse): void {
    if (this.state !== Completed) return;
    const ack = (this.ack ??= createAckForNonSuccess(this.request, res));
    this.transmit(ack, this.target);
  }

  /** 17.1.1.2: timer A doubles each time, with no T2 cap for INVITE. */
  private onTimerA(): void {
    this.timerA = undefined;
    if (this.state !== Calling) return;
    this.intervalA *= 2;
    this.timerA = this.ctx.clock.setTimer(this.intervalA, () => this.onTimerA());
    this.transmit(this.request, this.target);
  }

  /** 17.1.1.2: timer B in Calling is a timeout for the TU. */
  private onTimerB(): void {
    this.timerB = undefined;
    if (this.state !== Calling) return;
    this.stopCallingTimers();
    this.timedOut('B');
  }

  /** Timer D (17.1.1.2) or M (RFC 6026 7.2): the quiet period is over. */
  private onTimerEnds(): void {
    this.timerD = undefined;
    this.timerM = undefined;
    if (this.state === Completed || this.state === Accepted) this.stateTransition(Terminated);
  }

  private stopCallingTimers(): void {
    const clock = this.ctx.clock;
    if (this.timerA !== undefined) clock.clearTimer(this.timerA);
    if (this.timerB !== undefined) clock.clearTimer(this.timerB);
    this.timerA = this.timerB = undefined;
  }

  protected override clearTimers(): void {
    this.stopCallingTimers();
    const clock = this.ctx.clock;
    if (this.timerD !== undefined) clock.clearTimer(this.timerD);
    if (this.timerM !== undefined) clock.clearTimer(this.timerM);
    this.timerD = this.timerM = undefined;
  }
}
