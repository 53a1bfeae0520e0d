/** Transaction states of RFC 3261 17.1/17.2 plus "Accepted" of RFC 6026. */
export const TransactionState = {
  Calling: 'Calling',
  Trying: 'Trying',
  Proceeding: 'Proceeding',
  Accepted: 'Accepted',
  Completed: 'Completed',
  Confirmed: 'Confirmed',
  Terminated: 'Terminated',
} as const;
export type TransactionState = (typeof TransactionState)[keyof typeof TransactionState];

/** ict/nict: INVITE / non-INVITE client; ist/nist: INVITE / non-INVITE server. */
export type TransactionKind = 'ict' | 'nict' | 'ist' | 'nist';

/** Allowed next states, per state; a state missing from the table has no way out. */
export type TransitionTable = Readonly<Partial<Record<TransactionState, readonly TransactionState[]>>>;

/** A state machine was asked for a transition its RFC diagram does not have: a bug, never a network event. */
export class TransactionStateError extends Error {
  constructor(
    readonly kind: TransactionKind,
    readonly from: TransactionState,
    readonly to: TransactionState,
  ) {
    super(`invalid ${kind} state transition ${from} -> ${to}`);
    this.name = 'TransactionStateError';
  }
}
