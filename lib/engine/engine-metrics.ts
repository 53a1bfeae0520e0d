/**
 * The prom-client implementation of EngineMetrics. Label values are bounded
 * (transport, method from a fixed list, reason codes) so series stay few even
 * when clients send arbitrary methods.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { EngineMetrics } from './observability.js';

const KNOWN_METHODS = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY',
  'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
]);

const methodLabel = (m: string): string => (KNOWN_METHODS.has(m) ? m : 'other');

export function createEngineMetrics(registry: Registry, prefix = 'sipedge_'): EngineMetrics {
  const registers = [registry];
  const messages = new Counter({
    name: `${prefix}sip_messages_total`,
    help: 'SIP messages received (direction=in) and sent (direction=out)',
    labelNames: ['direction', 'transport', 'kind', 'method'],
    registers,
  });
  const parseErrors = new Counter({
    name: `${prefix}sip_parse_errors_total`,
    help: 'Messages refused as malformed or dropped as unparseable',
    labelNames: ['transport'],
    registers,
  });
  const connOpened = new Counter({
    name: `${prefix}connections_opened_total`,
    help: 'TCP/TLS connections opened',
    labelNames: ['transport'],
    registers,
  });
  const connClosed = new Counter({
    name: `${prefix}connections_closed_total`,
    help: 'TCP/TLS connections closed, by reason (idle-timeout, remote-closed, limit-*, ...)',
    labelNames: ['transport', 'reason'],
    registers,
  });
  const limits = new Counter({
    name: `${prefix}limit_hits_total`,
    help: 'Things refused by a configured limit',
    labelNames: ['limit', 'transport'],
    registers,
  });
  const txTimeouts = new Counter({
    name: `${prefix}transaction_timeouts_total`,
    help: 'Transactions ended by a timeout timer',
    labelNames: ['kind', 'timer'],
    registers,
  });
  const overload = new Counter({
    name: `${prefix}overload_rejections_total`,
    help: 'Requests answered 503 because the transaction user was not keeping up',
    labelNames: ['method'],
    registers,
  });
  const responseTime = new Histogram({
    name: `${prefix}request_response_seconds`,
    help: 'Time from a request arriving to its final response being sent',
    labelNames: ['method'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });

  // Pre-bind the hottest children so the per-message cost is one increment.
  const inChildren = new Map<string, Counter.Internal>();
  const outChildren = new Map<string, Counter.Internal>();
  const child = (cache: Map<string, Counter.Internal>, dir: string, t: string, k: string, m: string) => {
    const key = `${t}|${k}|${m}`;
    let c = cache.get(key);
    if (!c) {
      c = messages.labels(dir, t, k, m);
      cache.set(key, c);
    }
    return c;
  };

  return {
    messageIn: (t, k, m) => child(inChildren, 'in', t, k, methodLabel(m)).inc(),
    messageOut: (t, k, m) => child(outChildren, 'out', t, k, methodLabel(m)).inc(),
    parseError: (t) => parseErrors.labels(t).inc(),
    connectionOpened: (t) => connOpened.labels(t).inc(),
    connectionClosed: (t, r) => connClosed.labels(t, r).inc(),
    limitHit: (l, t) => limits.labels(l, t).inc(),
    transactionTimeout: (k, timer) => txTimeouts.labels(k, timer).inc(),
    overloadRejected: (m) => overload.labels(methodLabel(m)).inc(),
    observeResponseTime: (m, s) => responseTime.labels(methodLabel(m)).observe(s),
  };
}
