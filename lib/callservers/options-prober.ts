/**
 * Probes every call server with OPTIONS every probeIntervalS (first round at start), through drachtio-srf only,
 * and feeds each outcome to the pool. A probe without a final response within probeTimeoutS counts as a timeout
 * (a late answer is ignored); a server whose probe is still running is not probed again meanwhile. Timers are
 * unref'd, stop() ends them.
 */
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { CallServer, CallServerPool } from './call-server-pool.js';
import type { ProbeOutcome } from './server-state.js';
import { requestFinalResponse } from '../app/srf-request.js';

/** Sends one OPTIONS to `uri` and resolves with the final status (rejects on a send/transport error). */
export type OptionsSender = (uri: string) => Promise<number>;

/** An OptionsSender over drachtio-srf: an OPTIONS and its final status (provisional responses are not the answer). */
export function srfOptionsSender(srf: Srf): OptionsSender {
  return async (uri) => (await requestFinalResponse(srf, uri, { method: 'OPTIONS', headers: { Accept: 'application/sdp' } })).status;
}

export interface OptionsProberOptions {
  pool: CallServerPool;
  send: OptionsSender;
  intervalMs: number;
  timeoutMs: number;
  log?: Logger;
}

export class OptionsProber {
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<CallServer>();
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly o: OptionsProberOptions) {}

  /** Probes every server now, then every interval. */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.probeAll();
    this.timer = setInterval(() => this.probeAll(), this.o.intervalMs);
    this.timer.unref();
  }

  /** One round (also what the interval runs); resolves when every probe of it has an outcome. */
  probeAll(): Promise<void> {
    const round = this.o.pool.servers.filter((s) => !this.inFlight.has(s)).map((s) => this.probe(s));
    return Promise.all(round).then(() => undefined);
  }

  private probe(server: CallServer): Promise<void> {
    this.inFlight.add(server);
    const p = this.outcomeOf(server.uri).then((outcome) => {
      this.inFlight.delete(server);
      if (this.stopped) return;
      this.o.log?.debug({ server: server.name, outcome }, 'call server probe');
      this.o.pool.apply(server, outcome);
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }

  private outcomeOf(uri: string): Promise<ProbeOutcome> {
    return new Promise<ProbeOutcome>((resolve) => {
      const timer = setTimeout(() => resolve({ kind: 'timeout' }), this.o.timeoutMs);
      timer.unref();
      let sent: Promise<number>;
      try {
        sent = this.o.send(uri);
      } catch (err) {
        sent = Promise.reject(err);
      }
      sent.then(
        (status) => {
          clearTimeout(timer);
          resolve({ kind: 'response', status });
        },
        (err: unknown) => {
          clearTimeout(timer);
          resolve({ kind: 'error', message: (err as Error)?.message ?? String(err) });
        },
      );
    });
  }

  /** Stops probing; outcomes still arriving are dropped. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
