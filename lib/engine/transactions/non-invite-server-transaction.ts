/**
 * Non-INVITE server transaction: RFC 3261 17.2.2.
 *
 *   Trying -> Proceeding -> Completed -> Terminated
 */
import type { SipRequest, SipResponse } from '../messages/message.js';
import type { Flow } from '../transport/types.js';
import type { TimerHandle } from '../timers/clock.js';
import { ServerTransactionBase } from './server-transaction.js';
import type { TransactionContext } from './transaction-context.js';
import { TransactionState, type TransitionTable } from './transaction-state.js';
import type { ServerTransactionUser } from './transaction-user.js';

const { Trying, Proceeding, Completed, Terminated } = TransactionState;

const TRANSITIONS: TransitionTable = {
  [Trying]: [Proceeding, Completed, Terminated],
  [Proceeding]: [Completed, Terminated],
  [Completed]: [Terminated],
};

export class NonInviteServerTransaction extends ServerTransactionBase {
  readonly kind = 'nist' as const;
  protected readonly transitions = TRANSITIONS;
  private timerJ?: TimerHandle;

  constructor(id: string, request: SipRequest, flow: Flow, user: ServerTransactionUser, ctx: TransactionContext) {
    super(id, request, flow, user, ctx, Trying);
  }

  respond(res: SipResponse): void {
    const state = this.state;
    if (state !== Trying && state !== Proceeding) {
      // 17.2.2: once Completed, further responses from the TU are discarded.
      this.discard('response discarded by non-invite server transaction', res);
      return;
    }
    if (res.status < 200) {
      // 17.2.2: provisional -> Proceeding.
      if (state === Trying) this.stateTransition(Proceeding);
      this.sendResponse(res);
      return;
    }
    // 17.2.2: final -> Completed; timer J (0 on reliable: Terminated right after sending).
    this.stateTransition(Completed);
    if (!this.reliable) this.timerJ = this.ctx.clock.setTimer(this.timers.J, () => this.onTimerJ());
    this.markAnswered();
    this.sendResponse(res);
    if (this.reliable && this.state === Completed) this.stateTransition(Terminated);
    else if (this.state === Completed) this.retire();
  }

  receiveRequest(_req: SipRequest, _flow: Flow): void {
    // 17.2.2: a retransmission in Trying is discarded; in Proceeding/Completed it gets the last response.
    const state = this.state;
    if (state === Proceeding || state === Completed) this.resendLast();
  }

  /** 17.2.2: J ends the wait for request retransmissions. */
  private onTimerJ(): void {
    this.timerJ = undefined;
    if (this.state === Completed) this.stateTransition(Terminated);
  }

  protected override clearTimers(): void {
    if (this.timerJ !== undefined) this.ctx.clock.clearTimer(this.timerJ);
    this.timerJ = undefined;
  }
}
