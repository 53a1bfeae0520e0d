/**
 * What every transaction needs from its surroundings, built once per layer so
 * each transaction carries one reference instead of many.
 */
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from '../timers/clock.js';
import { noopMetrics, type EngineMetrics } from '../observability.js';
import type { MessageSender } from './message-sender.js';
import { timerTable, type TimerConfig, type TimerTable } from './timer-values.js';
import type { Transaction } from './transaction.js';

/** The owner (the transaction layer) keeps maps and counters up to date through these. */
export interface TransactionOwner {
  transactionTerminated(txn: Transaction): void;
  /** A server transaction sent its first final response. */
  serverTransactionAnswered(txn: Transaction): void;
}

export const detachedOwner: TransactionOwner = {
  transactionTerminated() {},
  serverTransactionAnswered() {},
};

export interface TransactionContext {
  readonly clock: Clock;
  readonly sender: MessageSender;
  readonly logger: Logger;
  readonly metrics: EngineMetrics;
  readonly timers: TimerTable;
  readonly owner: TransactionOwner;
}

export interface TransactionContextOptions {
  sender: MessageSender;
  clock?: Clock;
  logger?: Logger;
  metrics?: EngineMetrics;
  timers?: Partial<TimerConfig>;
  owner?: TransactionOwner;
}

let silentLogger: Logger | undefined;

export function createTransactionContext(opts: TransactionContextOptions): TransactionContext {
  return {
    clock: opts.clock ?? systemClock,
    sender: opts.sender,
    logger: opts.logger ?? (silentLogger ??= pino({ level: 'silent' })),
    metrics: opts.metrics ?? noopMetrics,
    timers: timerTable(opts.timers),
    owner: opts.owner ?? detachedOwner,
  };
}
