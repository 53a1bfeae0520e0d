/**
 * What every out-of-dialog request from a device goes through before the gateway acts on it: the allowed URI
 * names check, then (for the configured methods) digest authentication, with brute-force throttling and replay
 * protection in the authenticator. Answers the refusal itself; the caller only sees who was admitted.
 */
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { headerValue } from '../app/srf-headers.js';
import { holdWrites } from '../app/srf-write-batching.js';
import { StoreUnavailableError } from '../store/registration-store.js';
import type { AllowedUriNames } from './allowed-names.js';
import type { RegistrarMetrics } from './registrar-metrics.js';

export type AuthResult =
  | { ok: true; user: string }
  | { ok: false; status: 401 | 407; challenges: string[]; reason: string }
  | { ok: false; status: 403; reason: string };

/** The digest authenticator as the gateway uses it (lib/auth/digest-authenticator.ts). */
export interface RequestAuthenticator {
  authenticate(input: { method: string; authorization: string | undefined; sourceIp: string; proxy: boolean }): Promise<AuthResult>;
}

export interface AdmissionOptions {
  allowed: AllowedUriNames;
  foreignHostStatus: number;
  /** Undefined: authentication disabled (every device admitted as anonymous). */
  authenticator: RequestAuthenticator | undefined;
  authMethods: ReadonlySet<string>;
  retryAfterS: number;
  metrics: RegistrarMetrics;
  log: Logger;
}

/** Who sent an admitted request: the authenticated user, or undefined when the method needs no authentication. */
export type Admitted = { user: string | undefined };

export class RequestAdmission {
  constructor(private readonly o: AdmissionOptions) {}

  /** Resolves with the admitted identity, or undefined once a refusal has been sent. Never rejects. */
  async admit(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<Admitted | undefined> {
    const o = this.o;
    if (!o.allowed.allows(req.uri)) {
      o.metrics.refused(req.method, 'foreign-host');
      res.send(o.foreignHostStatus, o.foreignHostStatus === 403 ? 'Forbidden' : 'Not Found', {});
      return undefined;
    }
    if (o.authenticator === undefined || !o.authMethods.has(req.method)) return { user: undefined };
    // RFC 3261 22.3: a registrar challenges with 401 / WWW-Authenticate, anything else with 407 / Proxy-Authenticate.
    const proxy = req.method !== 'REGISTER';
    let result: AuthResult;
    try {
      result = await o.authenticator.authenticate({
        method: req.method,
        authorization: headerValue(req, proxy ? 'proxy-authorization' : 'authorization') || undefined,
        sourceIp: req.source_address,
        proxy,
      });
    } catch (err) {
      this.unavailable(req, res, err);
      return undefined;
    }
    if (result.ok) return { user: result.user };
    o.metrics.refused(req.method, result.status === 403 ? 'auth-refused' : 'challenged');
    if (result.status === 403) {
      res.send(403, result.reason, {});
      return undefined;
    }
    const name = proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    // One header per challenge (RFC 8760 2.4). srf joins repeated values with commas, which the challenge grammar
    // does not allow, so the further challenges are written as header lines of their own.
    // Set on the response, not passed to send(): srf serializes res.msg without copying it first.
    res.set(name, result.challenges.join(`\r\n${name}: `));
    holdWrites(res);
    res.send(result.status);
    return undefined;
  }

  /** The store is down: answer 503 + Retry-After (never a false success) and log why. */
  unavailable(req: Srf.SrfRequest, res: Srf.SrfResponse, err: unknown): void {
    if (!(err instanceof StoreUnavailableError)) this.o.log.error({ err, method: req.method }, 'request admission failed');
    this.o.metrics.refused(req.method, 'store-unavailable');
    res.send(503, { headers: { 'Retry-After': String(this.o.retryAfterS) } });
  }
}
