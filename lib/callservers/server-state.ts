/**
 * A call server's health, from its OPTIONS probes (pure: no timers, no I/O).
 *  - up: any response below 500 except 401/403/404 (also 2xx/3xx/4xx: the server is there and answering);
 *  - down: no answer in time, 408, 503 (or any other 5xx/6xx), or a transport error;
 *  - failed: 401, 403 or 404: it answers but refuses us (misconfiguration; not retried for traffic);
 *  - unknown: not probed yet.
 */

export type ServerState = 'unknown' | 'up' | 'down' | 'failed';

/** What one probe ended with: a final status, no answer in time, or an error before any answer. */
export type ProbeOutcome = { kind: 'response'; status: number } | { kind: 'timeout' } | { kind: 'error'; message?: string };

/** Label value for sipedge_call_server_probes_total{result}. */
export type ProbeResult = 'up' | 'down' | 'failed' | 'timeout' | 'error';

export function classifyProbe(outcome: ProbeOutcome): ServerState {
  if (outcome.kind !== 'response') return 'down';
  const s = outcome.status;
  if (s === 401 || s === 403 || s === 404) return 'failed';
  if (s === 408 || s >= 500) return 'down';
  return 'up';
}

export function probeResult(outcome: ProbeOutcome): ProbeResult {
  if (outcome.kind === 'timeout') return 'timeout';
  if (outcome.kind === 'error') return 'error';
  return classifyProbe(outcome) as ProbeResult;
}

export interface ServerHealthSnapshot {
  state: ServerState;
  /** Probes that ended in each state, since start. */
  counts: { up: number; down: number; failed: number };
  /** Same-state probes in a row (the current state's streak). */
  consecutive: number;
  lastStatus?: number;
  lastError?: string;
  /** ms since epoch of the last probe outcome and of the last state change. */
  lastProbeAt?: number;
  changedAt?: number;
}

export class ServerHealth {
  private snap: ServerHealthSnapshot = { state: 'unknown', counts: { up: 0, down: 0, failed: 0 }, consecutive: 0 };

  get state(): ServerState {
    return this.snap.state;
  }

  /** Applies one probe outcome; returns true when the state changed. */
  apply(outcome: ProbeOutcome, now = Date.now()): boolean {
    const next = classifyProbe(outcome);
    const s = this.snap;
    s.counts[next as 'up' | 'down' | 'failed'] += 1;
    s.lastProbeAt = now;
    s.lastStatus = outcome.kind === 'response' ? outcome.status : undefined;
    s.lastError = outcome.kind === 'timeout' ? 'timeout' : outcome.kind === 'error' ? (outcome.message ?? 'error') : undefined;
    const changed = next !== s.state;
    if (changed) {
      s.state = next;
      s.consecutive = 1;
      s.changedAt = now;
    } else {
      s.consecutive += 1;
    }
    return changed;
  }

  snapshot(): ServerHealthSnapshot {
    return { ...this.snap, counts: { ...this.snap.counts } };
  }
}
