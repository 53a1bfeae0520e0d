/** Call routing metrics: new calls by direction and outcome, and the calls bridged right now. */
import { Counter, Gauge, type Registry } from 'prom-client';

export type CallDirection = 'device-to-callserver' | 'callserver-to-device';

export class CallMetrics {
  private readonly calls: Counter<'direction' | 'result'>;
  private readonly relayed: Counter<'direction' | 'method' | 'result'>;
  private readonly attempts: Counter<'server' | 'result'>;

  constructor(registry: Registry, activeCalls: () => number) {
    this.calls = new Counter({
      name: 'sipedge_calls_total',
      help: 'New calls (INVITEs) routed by the gateway, by direction and result (answered, or the final status)',
      labelNames: ['direction', 'result'],
      registers: [registry],
    });
    this.relayed = new Counter({
      name: 'sipedge_requests_routed_total',
      help: 'Out-of-dialog non-INVITE requests proxied between devices and call servers, by result',
      labelNames: ['direction', 'method', 'result'],
      registers: [registry],
    });
    this.attempts = new Counter({
      name: 'sipedge_call_server_invites_total',
      help: 'INVITEs sent to each call server, by result (answered, the final status, or abandoned when it sent nothing)',
      labelNames: ['server', 'result'],
      registers: [registry],
    });
    new Gauge({
      name: 'sipedge_calls_active',
      help: 'Calls bridged through this node right now',
      registers: [registry],
      collect() {
        this.set(activeCalls());
      },
    });
  }

  call(direction: CallDirection, result: number | 'answered'): void {
    this.calls.inc({ direction, result: String(result) });
  }

  attempt(server: string, result: number | 'answered' | 'abandoned'): void {
    this.attempts.inc({ server, result: String(result) });
  }

  routed(direction: CallDirection, method: string, result: string): void {
    this.relayed.inc({ direction, method, result });
  }
}
