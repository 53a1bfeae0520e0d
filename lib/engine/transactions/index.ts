/** Public surface of the SIP transaction layer (RFC 3261 17). */
export { TransactionLayer, type TransactionLayerOptions, type TransactionCounts } from './transaction-layer.js';
export { InviteClientTransaction } from './invite-client-transaction.js';
export { NonInviteClientTransaction } from './non-invite-client-transaction.js';
export { InviteServerTransaction, type InviteServerTransactionOptions } from './invite-server-transaction.js';
export { NonInviteServerTransaction } from './non-invite-server-transaction.js';
export { ClientTransactionBase } from './client-transaction.js';
export { ServerTransactionBase } from './server-transaction.js';
export { Transaction } from './transaction.js';
export type {
  ClientTransaction,
  ClientTransactionUser,
  ServerTransaction,
  ServerTransactionUser,
} from './transaction-user.js';
export type { MessageSender } from './message-sender.js';
export {
  createTransactionContext,
  detachedOwner,
  type TransactionContext,
  type TransactionContextOptions,
  type TransactionOwner,
} from './transaction-context.js';
export {
  TransactionState,
  TransactionStateError,
  type TransactionKind,
  type TransitionTable,
} from './transaction-state.js';
export {
  DEFAULT_TIMER_CONFIG,
  timerTable,
  timerValues,
  type TimerConfig,
  type TimerTable,
  type TimerValues,
} from './timer-values.js';
export {
  MAGIC_COOKIE,
  clientTransactionKey,
  isRfc3261Branch,
  rfc2543TransactionKey,
  serverTransactionKey,
} from './transaction-keys.js';
export { isReliableTransport, responseTarget } from './response-target.js';
