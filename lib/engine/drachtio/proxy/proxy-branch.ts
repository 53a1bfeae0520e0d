/**
 * One branch of a proxy operation: a client transaction to one target (RFC 3261 16.6 step 10)
 * plus its timers (provisionalTimeout, finalTimeout, Timer C; spec 9.3) and its CANCEL (16.10).
 */
import type { SipRequest, SipResponse } from '../../messages/message.js';
import { createCancel } from '../../messages/response-factory.js';
import type { Clock, TimerHandle } from '../../timers/clock.js';
import type { ClientTransaction, ClientTransactionUser } from '../../transactions/transaction-user.js';
import type { SendTarget } from '../../transport/types.js';
import type { SipEngineAccess } from '../contracts.js';

/** What the operation learns from a branch. */
export interface BranchEvents {
  onProvisional(branch: ProxyBranch, res: SipResponse): void;
  /** Every final response, including 2xx retransmissions (then `first` is false). */
  onFinal(branch: ProxyBranch, res: SipResponse, first: boolean): void;
  /** The branch ended without a final response: timeout, transport error, or it was given up. */
  onFailed(branch: ProxyBranch, why: 'timeout' | 'transport-error' | 'no-answer'): void;
}

export interface BranchTimers {
  provisionalTimeoutMs?: number;
  finalTimeoutMs?: number;
  /** RFC 3261 16.6 step 11: > 3 min after the last provisional; INVITE only. */
  timerCMs: number;
}

/** Nothing to do for the responses to our CANCEL (RFC 3261 9.1: the 487 comes on the INVITE). */
const cancelUser: ClientTransactionUser = { onResponse() {}, onTimeout() {}, onTransportError() {} };

export class ProxyBranch implements ClientTransactionUser {
  txn: ClientTransaction | undefined;
  /** A final response arrived, or the branch failed / was given up. */
  finished = false;
  /** Something (even a 100) came back. */
  answered = false;
  /** The branch was given up on (timeouts): a later non-2xx final is no longer of interest. */
  abandoned = false;
  finalStatus: number | undefined;
  private cancelWanted = false;
  private cancelSent = false;
  private provTimer: TimerHandle | undefined;
  private finalTimer: TimerHandle | undefined;
  private timerC: TimerHandle | undefined;

  constructor(
    /** The destination URI this branch tries (spec 9.1), for challenge pinning and logs. */
    readonly targetUri: string,
    readonly request: SipRequest,
    readonly hop: SendTarget,
    private readonly engine: SipEngineAccess,
    private readonly clock: Clock,
    private readonly timers: BranchTimers,
    private readonly events: BranchEvents,
  ) {}

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  start(): void {
    const t = this.timers;
    if (t.provisionalTimeoutMs !== undefined) {
      this.provTimer = this.clock.setTimer(t.provisionalTimeoutMs, () => this.giveUp());
    }
    if (t.finalTimeoutMs !== undefined) this.finalTimer = this.clock.setTimer(t.finalTimeoutMs, () => this.giveUp());
    // sendRequest reports a synchronous transport error through onTransportError before it returns.
    this.txn = this.engine.sendRequest(this.request, this.hop, this);
  }

  /**
   * RFC 3261 16.10: CANCEL a pending INVITE branch. Before any response a CANCEL must not be sent (9.1);
   * it goes out as soon as the branch answers.
   */
  cancel(): void {
    if (this.finished || !this.isInvite) return;
    this.cancelWanted = true;
    if (this.answered) this.sendCancel();
  }

  onResponse(res: SipResponse): void {
    const status = res.status;
    if (!this.answered) {
      this.answered = true;
      this.clock.clearTimer(this.provTimer);
      this.provTimer = undefined;
    }
    if (status < 200) {
      if (this.cancelWanted) this.sendCancel();
      else if (this.isInvite && !this.finished) this.restartTimerC();
      if (!this.finished) this.events.onProvisional(this, res);
      return;
    }
    const first = this.finalStatus === undefined;
    if (first) {
      this.finalStatus = status;
      this.stopTimers();
    }
    const wasFinished = this.finished;
    this.finished = true;
    // A given-up branch already counted as failed; only a 2xx still matters (it must reach the caller).
    if (wasFinished && first && status >= 300) return;
    this.events.onFinal(this, res, first);
  }

  onTimeout(): void {
    this.fail('timeout');
  }

  onTransportError(): void {
    this.fail('transport-error');
  }

  /** Stop waiting: the target stays silent (provisionalTimeout), takes too long (finalTimeout) or Timer C fired. */
  private giveUp(): void {
    if (this.finished) return;
    this.abandoned = true;
    this.cancel();
    this.fail('no-answer');
  }

  private fail(why: 'timeout' | 'transport-error' | 'no-answer'): void {
    this.stopTimers();
    if (this.finished) return;
    this.finished = true;
    this.events.onFailed(this, why);
  }

  private sendCancel(): void {
    if (this.cancelSent) return;
    this.cancelSent = true;
    try {
      this.engine.sendRequest(createCancel(this.request), this.hop, cancelUser);
    } catch {
      // A CANCEL we could not send leaves the branch to Timer B / C; nothing else to do.
    }
  }

  private restartTimerC(): void {
    this.clock.clearTimer(this.timerC);
    this.timerC = this.clock.setTimer(this.timers.timerCMs, () => this.giveUp());
  }

  private stopTimers(): void {
    this.clock.clearTimer(this.provTimer);
    this.clock.clearTimer(this.finalTimer);
    this.clock.clearTimer(this.timerC);
    this.provTimer = this.finalTimer = this.timerC = undefined;
  }
}
