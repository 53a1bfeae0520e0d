/**
 * What the engine reports about itself. The engine depends only on this
 * interface; the prom-client implementation lives in ./engine-metrics.ts so
 * that unit tests can pass `noopMetrics` or a recording fake.
 */
import type { TransportName } from './messages/types.js';

export interface EngineMetrics {
  messageIn(transport: TransportName, kind: 'request' | 'response', method: string): void;
  messageOut(transport: TransportName, kind: 'request' | 'response', method: string): void;
  /** A message that could not be parsed or was refused as malformed. */
  parseError(transport: TransportName, reason: string): void;
  connectionOpened(transport: 'tcp' | 'tls'): void;
  connectionClosed(transport: 'tcp' | 'tls', reason: string): void;
  /** A configured limit refused something (max-message-size, max-headers, max-connections, ...). */
  limitHit(limit: string, transport: TransportName): void;
  /** A transaction timer fired as a timeout (B, F, H, ...). */
  transactionTimeout(kind: 'ict' | 'nict' | 'ist' | 'nist', timer: string): void;
  /** A request refused with 503 because the transaction user is not keeping up. */
  overloadRejected(method: string): void;
  /** How long an in-flight server transaction waited for its first final response, in seconds. */
  observeResponseTime(method: string, seconds: number): void;
}

export const noopMetrics: EngineMetrics = {
  messageIn() {},
  messageOut() {},
  parseError() {},
  connectionOpened() {},
  connectionClosed() {},
  limitHit() {},
  transactionTimeout() {},
  overloadRejected() {},
  observeResponseTime() {},
};
