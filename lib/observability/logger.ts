/**
 * The one logger factory: a pino root per process; components take a child
 * (`component` binding) and messages about a SIP message add `callId`.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export function createLogger(level: LevelWithSilent, nodeId: string): Logger {
  return pino({ level, base: { node: nodeId } });
}

export type { Logger };
