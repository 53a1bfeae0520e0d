/**
 * The prom-client implementation of EngineMetrics.
 *
 * Per-message metrics (messages in/out, response times) are counted in plain
 * typed arrays on the hot path and handed to prom-client only when Prometheus
 * scrapes (`collect`), because prom-client's label hashing on every increment
 * cost ~8% of the engine's CPU at 15k msg/s. Rare events (connections, limits,
 * timeouts) use prom-client directly. Label values are bounded: methods
 * outside the known list are counted as `other`.
 */
import { Counter, type Registry } from 'prom-client';
import type { TransportName } from './messages/types.js';
import type { EngineMetrics } from './observability.js';

const METHODS = [
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY',
  'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE', 'other',
] as const;
const OTHER = METHODS.length - 1;
const methodIndex = new Map<string, number>(METHODS.map((m, i) => [m, i]));
const TRANSPORTS: readonly TransportName[] = ['udp', 'tcp', 'tls'];
const transportIndex = (t: TransportName): number => (t === 'udp' ? 0 : t === 'tcp' ? 1 : 2);
const KINDS = ['request', 'response'] as const;
const M = METHODS.length;

/** Upper bounds in seconds (Prometheus `le`). */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const mIdx = (method: string): number => methodIndex.get(method) ?? OTHER;

/** A histogram whose observations are two array writes; exposed to prom-client as a custom metric. */
class FastHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly counts = new Float64Array(M * (BUCKETS.length + 1));
  private readonly sums = new Float64Array(M);

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  observe(method: number, seconds: number): void {
    let b = 0;
    while (b < BUCKETS.length && seconds > BUCKETS[b]!) b++;
    this.counts[method * (BUCKETS.length + 1) + b]!++;
    this.sums[method] += seconds;
  }

  // prom-client's Registry calls get() on every registered metric when scraped.
  async get(): Promise<unknown> {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    const stride = BUCKETS.length + 1;
    for (let m = 0; m < M; m++) {
      let cumulative = 0;
      let any = false;
      for (let b = 0; b < stride; b++) if (this.counts[m * stride + b]) any = true;
      if (!any) continue;
      const method = METHODS[m]!;
      for (let b = 0; b < BUCKETS.length; b++) {
        cumulative += this.counts[m * stride + b]!;
        values.push({ labels: { method, le: BUCKETS[b]! }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      cumulative += this.counts[m * stride + BUCKETS.length]!;
      values.push({ labels: { method, le: '+Inf' }, value: cumulative, metricName: `${this.name}_bucket` });
      values.push({ labels: { method }, value: this.sums[m]!, metricName: `${this.name}_sum` });
      values.push({ labels: { method }, value: cumulative, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.counts.fill(0);
    this.sums.fill(0);
  }
}

export function createEngineMetrics(registry: Registry, prefix = 'sipedge_'): EngineMetrics {
  const registers = [registry];
  // [direction][transport][kind][method] flattened.
  const msgCounts = new Float64Array(2 * 3 * 2 * M);
  const msgIdx = (dir: number, t: TransportName, kind: 'request' | 'response', method: string) =>
    ((dir * 3 + transportIndex(t)) * 2 + (kind === 'request' ? 0 : 1)) * M + mIdx(method);
  const exported = new Float64Array(msgCounts.length);
  new Counter({
    name: `${prefix}sip_messages_total`,
    help: 'SIP messages received (direction=in) and sent (direction=out)',
    labelNames: ['direction', 'transport', 'kind', 'method'],
    registers,
    collect() {
      for (let i = 0; i < msgCounts.length; i++) {
        const delta = msgCounts[i]! - exported[i]!;
        if (delta === 0) continue;
        exported[i] = msgCounts[i]!;
        const m = i % M;
        const k = Math.floor(i / M) % 2;
        const t = Math.floor(i / (M * 2)) % 3;
        const d = Math.floor(i / (M * 2 * 3));
        this.labels(d === 0 ? 'in' : 'out', TRANSPORTS[t]!, KINDS[k]!, METHODS[m]!).inc(delta);
      }
    },
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
    help: 'Requests answered 503 because the node was past its capacity',
    labelNames: ['method'],
    registers,
  });
  const responseTime = new FastHistogram(
    `${prefix}request_response_seconds`,
    'Time from a request arriving to its final response being sent',
  );
  registry.registerMetric(responseTime as unknown as Parameters<Registry['registerMetric']>[0]);

  return {
    messageIn: (t, k, m) => void msgCounts[msgIdx(0, t, k, m)]!++,
    messageOut: (t, k, m) => void msgCounts[msgIdx(1, t, k, m)]!++,
    parseError: (t) => parseErrors.labels(t).inc(),
    connectionOpened: (t) => connOpened.labels(t).inc(),
    connectionClosed: (t, r) => connClosed.labels(t, r).inc(),
    limitHit: (l, t) => limits.labels(l, t).inc(),
    transactionTimeout: (k, timer) => txTimeouts.labels(k, timer).inc(),
    overloadRejected: (m) => overload.labels(METHODS[mIdx(m)]!).inc(),
    observeResponseTime: (m, s) => responseTime.observe(mIdx(m), s),
  };
}
