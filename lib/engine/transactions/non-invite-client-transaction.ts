/**
 * Non-INVITE client transaction: RFC 3261 17.1.2.
 *
 *   Trying -> Proceeding -> Completed -> Terminated
 */
import type { SipRequest, SipResponse } from '../messages/message.js';
import type { SendTarget } from '../transport/types.js';
import type { TimerHandle } from '../timers/clock.js';
import { ClientTransactionBase } from './client-transaction.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionState, type TransitionTable } from './transaction-state.js';
import type { ClientTransactionUser } from './transaction-user.js';

const { Trying, Proceeding, Completed, Terminated } = TransactionState;

const TRANSITIONS: TransitionTable = {
  [Trying]: [Proceeding, Completed, Terminated],
  [Proceeding]: [Completed, Terminated],
  [Completed]: [Terminated],
};

export class NonInviteClientTransaction extends ClientTransactionBase {
  readonly kind = 'nict' as const;
  protected readonly transitions = TRANSITIONS;
  private timerE?: TimerHandle;
  private timerF?: TimerHandle;
  private timerK?: TimerHandle;
  private intervalE = 0;

  constructor(id: string, request: SipRequest, target: SendTarget, user: ClientTransactionUser, ctx: TransactionContext) {
    super(id, request, target, user, ctx, Trying);
  }

  start(): void {
    if (this.state !== Trying || this.timerF !== undefined) throw new Error(`nict ${this.id} already started`);
    const clock = this.ctx.clock;
    // 17.1.2.2: timer F bounds the transaction on every transport.
    this.timerF = clock.setTimer(this.timers.F, () => this.onTimerF());
    // 17.1.2.2: timer E retransmits, on unreliable transports only.
    if (!this.reliable) {
      this.intervalE = this.timers.E;
      this.timerE = clock.setTimer(this.intervalE, () => this.onTimerE());
    }
    this.transmit(this.request, this.target);
  }

  receiveResponse(res: SipResponse): void {
    const state = this.state;
    if (state !== Trying && state !== Proceeding) return; // 17.1.2.2: Completed absorbs retransmitted finals
    if (res.status < 200) {
      // 17.1.2.2: provisional -> Proceeding; retransmissions go on (at T2, see onTimerE).
      if (state === Trying) this.stateTransition(Proceeding);
      this.user.onResponse(res, this);
      return;
    }
    // 17.1.2.2: final -> Completed, pass up, timer K (0 on reliable).
    this.stopActiveTimers();
    this.stateTransition(Completed);
    if (!this.reliable) this.timerK = this.ctx.clock.setTimer(this.timers.K, () => this.onTimerK());
    try {
      this.user.onResponse(res, this);
    } finally {
      if (this.reliable && this.state === Completed) this.stateTransition(Terminated);
    }
  }

  /** 17.1.2.2: doubling up to T2 in Trying; always T2 once Proceeding. */
  private onTimerE(): void {
    this.timerE = undefined;
    const state = this.state;
    if (state !== Trying && state !== Proceeding) return;
    const t2 = this.timers.T2;
    this.intervalE = state === Trying ? Math.min(2 * this.intervalE, t2) : t2;
    this.timerE = this.ctx.clock.setTimer(this.intervalE, () => this.onTimerE());
    this.transmit(this.request, this.target);
  }

  /** 17.1.2.2: timer F in Trying/Proceeding is a timeout for the TU. */
  private onTimerF(): void {
    this.timerF = undefined;
    if (this.state !== Trying && this.state !== Proceeding) return;
    this.stopActiveTimers();
    this.timedOut('F');
  }

  /** 17.1.2.2: timer K ends the wait for final retransmissions. */
  private onTimerK(): void {
    this.timerK = undefined;
    if (this.state === Completed) this.stateTransition(Terminated);
  }

  private stopActiveTimers(): void {
    const clock = this.ctx.clock;
    if (this.timerE !== undefined) clock.clearTimer(this.timerE);
    if (this.timerF !== undefined) clock.clearTimer(this.timerF);
    this.timerE = this.timerF = undefined;
  }

  protected override clearTimers(): void {
    this.stopActiveTimers();
    if (this.timerK !== undefined) this.ctx.clock.clearTimer(this.timerK);
    this.timerK = undefined;
  }
}
