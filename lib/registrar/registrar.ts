/**
 * The registrar (RFC 3261 10.3) as a drachtio-srf REGISTER handler: admission (allowed names, digest), the
 * binding decision (binding-update.ts) applied atomically in the shared store, and the 200 listing every contact.
 * Also keeps bindings consistent with device connections: when one closes, its bindings go (or are marked).
 */
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { RegistrarConfig } from '../config/config-schema.js';
import type { RegistrationStore } from '../store/registration-store.js';
import { headerValue } from '../app/srf-headers.js';
import { holdWrites } from '../app/srf-write-batching.js';
import { applyRegister, contactHeaderValues, type RegisterOutcome } from './binding-update.js';
import { aorUser, connectionIdOf, readRegister } from './register-input.js';
import type { RegistrarMetrics } from './registrar-metrics.js';
import type { RequestAdmission } from './request-admission.js';

export interface RegistrarOptions {
  config: RegistrarConfig;
  nodeId: string;
  store: RegistrationStore;
  admission: RequestAdmission;
  metrics: RegistrarMetrics;
  log: Logger;
  now?: () => number;
}

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 403: 'Forbidden', 423: 'Interval Too Brief', 500: 'Server Internal Error' };

export class Registrar {
  private readonly now: () => number;

  constructor(private readonly o: RegistrarOptions) {
    this.now = o.now ?? Date.now;
  }

  /** srf REGISTER handler; never rejects (every path answers). */
  readonly onRegister = (req: Srf.SrfRequest, res: Srf.SrfResponse): void => {
    this.handle(req, res).catch((err: unknown) => this.o.admission.unavailable(req, res, err));
  };

  private async handle(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    const now = this.now();
    // A REGISTER with credentials will most likely be admitted: its AOR is read while they are checked, so the
    // store's work for it takes one round trip less. One without is read only once admitted.
    const early = headerValue(req, 'authorization') !== undefined ? readRegister(req, { nodeId: this.o.nodeId, now }) : undefined;
    const readAhead = early !== undefined && !('error' in early) ? this.o.store.readAhead(early.aor) : undefined;
    const admitted = await this.o.admission.admit(req, res);
    if (admitted === undefined) return;
    const input = early ?? readRegister(req, { nodeId: this.o.nodeId, now });
    if ('error' in input) {
      this.o.metrics.registered('400');
      res.send(400, input.error, {});
      return;
    }
    // RFC 3261 10.3 step 3: the authenticated user may only change the bindings of its own AOR.
    if (admitted.user !== undefined && aorUser(input.aor) !== admitted.user) {
      this.o.metrics.registered('403');
      res.send(403, 'Forbidden: AOR does not belong to the authenticated user', {});
      return;
    }
    const cfg = this.o.config;
    const policy = {
      minExpiresS: cfg.minExpiresS,
      maxExpiresS: cfg.maxExpiresS,
      defaultExpiresS: cfg.defaultExpiresS,
      maxContactsPerAor: cfg.maxContactsPerAor,
    };
    let outcome: RegisterOutcome;
    if (input.contacts !== '*' && input.contacts.length === 0) {
      // A query (RFC 3261 10.2.3): no write.
      outcome = { status: 200, bindings: await this.o.store.lookup(input.aor) }; // lookup leaves expired ones out
    } else {
      outcome = await this.o.store.updateAor(input.aor, (current) => {
        const o = applyRegister(current, input, policy);
        return { bindings: o.status === 200 ? o.bindings : undefined, result: o };
      }, readAhead);
    }
    if (outcome.status !== 200) {
      this.o.metrics.registered(String(outcome.status));
      const headers = outcome.minExpires !== undefined ? { 'Min-Expires': String(outcome.minExpires) } : {};
      res.send(outcome.status, outcome.reason ?? REASONS[outcome.status], { headers });
      return;
    }
    this.o.metrics.registered(outcome.bindings.length === 0 ? 'unregistered' : 'ok');
    const contacts = contactHeaderValues(outcome.bindings, now);
    // Set on the response rather than passed to send(): srf then serializes res.msg as it is instead of copying it
    // into a new message first (same bytes on the wire).
    res.set('Date', new Date(now).toUTCString());
    if (contacts.length > 0) res.set('Contact', contacts.join(', '));
    holdWrites(res);
    res.send(200);
  }

  /**
   * A device connection on this node closed (TCP/TLS): its bindings can no longer be reached through it, so they
   * are removed, or kept marked unreachable (config registrar.onConnectionClose). Never rejects.
   */
  async onConnectionClosed(transport: string, address: string, port: number): Promise<void> {
    try {
      const n = await this.o.store.dropConnection(
        this.o.nodeId,
        connectionIdOf(transport, address, port),
        this.o.config.onConnectionClose === 'unreachable',
      );
      this.o.metrics.droppedOnClose(n);
      if (n > 0) this.o.log.debug({ transport, address, port, bindings: n }, 'device connection closed');
    } catch (err) {
      // Redis down: the bindings expire by their TTL instead.
      this.o.log.warn({ err: (err as Error).message, transport, address, port }, 'could not drop bindings of a closed connection');
    }
  }
}
