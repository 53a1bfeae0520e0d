/**
 * What the four transaction state machines share: identity, state with
 * checked transitions, timer selection by transport, and sending with
 * transport-error detection.
 */
import type { SipRequest, SipResponse } from '../messages/message.js';
import type { TransportName } from '../messages/types.js';
import type { Flow, SendTarget } from '../transport/types.js';
import { isReliableTransport } from './response-target.js';
import type { TransactionContext } from './transaction-context.js';
import {
  TransactionState,
  TransactionStateError,
  type TransactionKind,
  type TransitionTable,
} from './transaction-state.js';
import type { TimerValues } from './timer-values.js';

export abstract class Transaction {
  abstract readonly kind: TransactionKind;
  /** The key the layer files this transaction under (branch based, or RFC 2543 fields). */
  readonly id: string;
  /** RFC 3261 17: decides retransmissions and the 0-valued timers. */
  readonly reliable: boolean;
  protected readonly ctx: TransactionContext;
  protected readonly timers: TimerValues;
  private currentState: TransactionState;
  /** Created on the first asynchronous send only, so synchronous senders cost no closure. */
  private asyncSendFailure?: (err: unknown) => void;

  protected constructor(id: string, transport: TransportName, ctx: TransactionContext, initial: TransactionState) {
    this.id = id;
    this.ctx = ctx;
    this.reliable = isReliableTransport(transport);
    this.timers = this.reliable ? ctx.timers.reliable : ctx.timers.unreliable;
    this.currentState = initial;
  }

  get state(): TransactionState {
    return this.currentState;
  }

  get isTerminated(): boolean {
    return this.currentState === TransactionState.Terminated;
  }

  /** The arrows of this machine's RFC state diagram. */
  protected abstract readonly transitions: TransitionTable;

  /** Stop every running timer of this machine. */
  protected abstract clearTimers(): void;

  /** RFC 3261 17.1.4 / 17.2.4: tell the TU, then terminate. */
  protected abstract transportFailed(err: unknown): void;

  /** Tell the TU-facing onTerminated callback. */
  protected abstract notifyTerminated(): void;

  /** Move to `to`; throws TransactionStateError if the diagram has no such arrow. */
  protected stateTransition(to: TransactionState): void {
    const from = this.currentState;
    const allowed = this.transitions[from];
    if (allowed === undefined || !allowed.includes(to)) throw new TransactionStateError(this.kind, from, to);
    this.currentState = to;
    if (to === TransactionState.Terminated) {
      this.clearTimers();
      this.ctx.owner.transactionTerminated(this);
      this.notifyTerminated();
    }
  }

  /**
   * Force the transaction to Terminated without protocol actions (engine
   * shutdown). Timers stop; onTerminated is still called.
   */
  dispose(): void {
    if (this.currentState !== TransactionState.Terminated) this.stateTransition(TransactionState.Terminated);
  }

  /** Retransmit bytes already serialized (a retired transaction's last response). */
  protected transmitBytes(bytes: Buffer, target: SendTarget | Flow): void {
    this.transmit(bytes, target);
  }

  /** Hand a message to the transport; a throw or rejection becomes transportFailed(). */
  protected transmit(msg: SipRequest | SipResponse | Buffer, target: SendTarget | Flow): void {
    let result: void | Promise<unknown>;
    try {
      result = Buffer.isBuffer(msg) ? this.ctx.sender.sendBytes(msg, target) : this.ctx.sender.send(msg, target);
    } catch (err) {
      this.transportFailed(err);
      return;
    }
    if (result !== undefined) {
      this.asyncSendFailure ??= (err: unknown) => {
        // A late rejection for a transaction that is already over changes nothing.
        if (this.currentState !== TransactionState.Terminated) this.transportFailed(err);
      };
      result.then(undefined, this.asyncSendFailure);
    }
  }
}
