/**
 * The configured call servers with their probed health, and the order to try them in (failover): servers that are
 * up, by RFC 2782 (lower priority first; within one priority a weighted random order), then those not probed yet,
 * then — never — failed or down ones. Failback needs nothing more: once the preferred server is up again it is
 * first again.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { CallServerSpec } from './call-server-config.js';
import { orderSrv, type RandomSource } from '../common/srv-order.js';
import { probeResult, ServerHealth, type ProbeOutcome, type ServerHealthSnapshot, type ServerState } from './server-state.js';

export interface CallServer extends CallServerSpec {
  readonly health: ServerHealth;
}

export interface CallServerStatus extends ServerHealthSnapshot {
  name: string;
  uri: string;
  priority: number;
  weight: number;
}

const GAUGE_VALUE: Record<ServerState, number | undefined> = { up: 1, down: 0, failed: -1, unknown: undefined };

export interface CallServerPoolOptions {
  /** Registers sipedge_call_server_up and sipedge_call_server_probes_total. */
  registry?: Registry;
  random?: RandomSource;
  now?: () => number;
  /** Called on every state change (logging). */
  onStateChange?: (server: CallServer, from: ServerState, to: ServerState) => void;
}

export class CallServerPool {
  readonly servers: readonly CallServer[];
  private readonly random: RandomSource;
  private readonly now: () => number;
  private readonly upGauge?: Gauge<'server'>;
  private readonly probes?: Counter<'server' | 'result'>;

  constructor(
    specs: readonly CallServerSpec[],
    private readonly options: CallServerPoolOptions = {},
  ) {
    this.servers = specs.map((s) => ({ ...s, health: new ServerHealth() }));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    const registry = options.registry;
    if (registry !== undefined) {
      this.upGauge = new Gauge({
        name: 'sipedge_call_server_up',
        help: 'Call server state from OPTIONS probes: 1 up, 0 down, -1 failed (absent until probed)',
        labelNames: ['server'],
        registers: [registry],
      });
      this.probes = new Counter({
        name: 'sipedge_call_server_probes_total',
        help: 'OPTIONS probes of call servers by outcome (up, down, failed, timeout, error)',
        labelNames: ['server', 'result'],
        registers: [registry],
      });
    }
  }

  /** Records one probe outcome of `server`. */
  apply(server: CallServer, outcome: ProbeOutcome): void {
    const from = server.health.state;
    const changed = server.health.apply(outcome, this.now());
    const to = server.health.state;
    this.probes?.inc({ server: server.name, result: probeResult(outcome) });
    const v = GAUGE_VALUE[to];
    if (v !== undefined) this.upGauge?.set({ server: server.name }, v);
    if (changed) this.options.onStateChange?.(server, from, to);
  }

  /**
   * Servers to try for a request, in order: up ones (RFC 2782 order), then unknown ones (RFC 2782 order).
   * Down and failed servers are left out; a request fails over to the next entry on timeout or 503.
   */
  candidates(): CallServer[] {
    const up = this.servers.filter((s) => s.health.state === 'up');
    const unknown = this.servers.filter((s) => s.health.state === 'unknown');
    return [...orderSrv(up, this.random), ...orderSrv(unknown, this.random)];
  }

  /**
   * Sends one request with failover: `attempt` on each candidate in turn until one gives a result that
   * `failOver` does not refuse (default: a 408/503 final status or a rejection, i.e. timeout or transport error).
   * The probed states are left alone (probes decide them). Resolves with the server that answered and its result,
   * or without one when every candidate failed (or there is none), plus every server tried, in order.
   */
  async sendWithFailover<T extends { status: number }>(
    attempt: (server: CallServer) => Promise<T>,
    failOver: (result: T) => boolean = (r) => r.status === 503 || r.status === 408,
  ): Promise<{ server?: CallServer; result?: T; tried: CallServer[]; lastError?: unknown }> {
    const tried: CallServer[] = [];
    let lastError: unknown;
    let last: T | undefined;
    for (const server of this.candidates()) {
      tried.push(server);
      try {
        const result = await attempt(server);
        if (!failOver(result)) return { server, result, tried };
        last = result;
      } catch (err) {
        lastError = err;
      }
    }
    return { result: last, tried, lastError };
  }

  /** JSON-able state of every server, in config order. */
  status(): CallServerStatus[] {
    return this.servers.map((s) => ({ name: s.name, uri: s.uri, priority: s.priority, weight: s.weight, ...s.health.snapshot() }));
  }
}
