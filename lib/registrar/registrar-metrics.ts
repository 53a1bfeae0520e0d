/** Prometheus counters of the registrar and of request admission (docs/observability.md). */
import { Counter, Gauge, type Registry } from 'prom-client';

export class RegistrarMetrics {
  private readonly registers: Counter<'result'>;
  private readonly refusals: Counter<'method' | 'reason'>;
  private readonly removedOnClose: Counter;

  constructor(registry: Registry, authStats?: () => Record<string, number>) {
    this.registers = new Counter({
      name: 'sipedge_registrar_registers_total',
      help: 'REGISTER requests by outcome (ok, unregistered, refused status)',
      labelNames: ['result'],
      registers: [registry],
    });
    this.refusals = new Counter({
      name: 'sipedge_requests_refused_total',
      help: 'Out-of-dialog device requests refused before processing, by reason',
      labelNames: ['method', 'reason'],
      registers: [registry],
    });
    this.removedOnClose = new Counter({
      name: 'sipedge_registrar_bindings_dropped_on_close_total',
      help: 'Bindings removed or marked unreachable because their device connection closed',
      registers: [registry],
    });
    if (authStats !== undefined) {
      new Gauge({
        name: 'sipedge_auth_events',
        help: 'Digest authentication events since start (challenges, successes, failures, throttled, replays, stale)',
        labelNames: ['event'],
        registers: [registry],
        collect() {
          for (const [event, n] of Object.entries(authStats())) this.set({ event }, n);
        },
      });
    }
  }

  registered(result: string): void {
    this.registers.inc({ result });
  }

  refused(method: string, reason: string): void {
    this.refusals.inc({ method, reason });
  }

  droppedOnClose(n: number): void {
    if (n > 0) this.removedOnClose.inc(n);
  }
}
