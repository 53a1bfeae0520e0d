/**
 * Keeps the two legs of a bridged call together after it is answered: in-dialog requests from one leg are
 * relayed to the other (re-INVITE and UPDATE through media re-offers; INFO, NOTIFY, REFER, MESSAGE, OPTIONS as
 * they are, headers included), a BYE on either leg ends both, and the call's media is deleted exactly once.
 */
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { CallMedia } from '../media/media-contract.js';
import { passThroughHeaders } from './passthrough-headers.js';

/** srf's Dialog as the bridge uses it (its bundled typings miss `connected`, `id` and the request options). */
export interface BridgeDialog {
  readonly id: string;
  /** The request and response that created the dialog (srf keeps both). */
  readonly req?: { get(name: string): string | undefined };
  readonly res?: { get(name: string): string | undefined };
  readonly connected: boolean;
  readonly sip: { callId: string; localTag: string; remoteTag: string };
  readonly local: { sdp: string; contact?: string };
  on(event: string, listener: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): unknown;
  modify(sdp: string, opts?: { headers?: Record<string, string> }): Promise<string>;
  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<Srf.SrfResponse>;
  destroy(opts?: { headers?: Record<string, string> }): Promise<unknown> | void;
}

/** Non-INVITE methods relayed as they are. */
const RELAYED = ['info', 'notify', 'message', 'options'] as const;

export interface BridgeHooks {
  log: Logger;
  /** Rewrites a REFER's headers for the other leg (Replaces of a bridged dialog); identity when absent. */
  referHeaders?: (headers: Record<string, string>) => Record<string, string>;
  /** RFC 4028 interval negotiated end to end; the call is hung up when no refresh passes within it. */
  sessionExpiresS?: number;
  /** Called once when the call has ended on both legs. */
  onEnd?: (bridge: DialogBridge, why: string) => void;
}

export class DialogBridge {
  private ended = false;
  private sessionTimer: NodeJS.Timeout | undefined;

  /** `a` faces the caller (the UAS dialog), `b` the callee (the UAC dialog). */
  constructor(
    readonly a: BridgeDialog,
    readonly b: BridgeDialog,
    private readonly media: CallMedia,
    private readonly hooks: BridgeHooks,
  ) {
    for (const [leg, from] of [[a, 'a'], [b, 'b']] as const) {
      const other = from === 'a' ? b : a;
      leg.on('destroy', () => this.end(other, `bye-from-${from}`));
      leg.on('modify', (req, res) => void this.relayOffer(from, other, req, res, 'INVITE'));
      leg.on('update', (req, res) => void this.relayOffer(from, other, req, res, 'UPDATE'));
      leg.on('refer', (req, res) => void this.relayPlain(other, req, res, 'REFER'));
      for (const m of RELAYED) leg.on(m, (req, res) => void this.relayPlain(other, req, res, m.toUpperCase()));
    }
    this.armSessionTimer();
    // A BYE may have arrived before these listeners existed (it races the answer): end at once then.
    if (!a.connected) this.end(b, 'a-gone-before-bridge');
    else if (!b.connected) this.end(a, 'b-gone-before-bridge');
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Ends the call from the gateway's side (both legs get a BYE). */
  hangUp(why: string): void {
    if (this.ended) return;
    this.end(this.a, why, this.b);
  }

  /**
   * Session timers pass end to end (the devices and the call server refresh each other through us); the gateway
   * only polices them, so that a call whose far end vanished does not hold media and a slot for ever.
   */
  private armSessionTimer(): void {
    const s = this.hooks.sessionExpiresS;
    if (s === undefined || this.ended) return;
    clearTimeout(this.sessionTimer);
    this.sessionTimer = setTimeout(() => {
      this.hooks.log.info({ callId: this.a.sip.callId, sessionExpiresS: s }, 'session expired without a refresh: hanging up');
      this.hangUp('session-expired');
    }, s * 1000);
    this.sessionTimer.unref();
  }

  private end(other: BridgeDialog, why: string, also?: BridgeDialog): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.sessionTimer);
    for (const d of also === undefined ? [other] : [other, also]) {
      if (!d.connected) continue;
      try {
        void Promise.resolve(d.destroy()).catch((err: unknown) => this.hooks.log.debug({ err }, 'BYE to the other leg failed'));
      } catch (err) {
        this.hooks.log.debug({ err }, 'BYE to the other leg failed');
      }
    }
    void this.media.delete();
    this.hooks.onEnd?.(this, why);
  }

  /** re-INVITE or UPDATE: a new offer through media, the other leg's answer back the same way. */
  private async relayOffer(from: 'a' | 'b', other: BridgeDialog, req: Srf.SrfRequest, res: Srf.SrfResponse, method: 'INVITE' | 'UPDATE'): Promise<void> {
    try {
      const headers = passThroughHeaders(req.headers);
      if (!req.body) {
        // No offer (a session refresh without SDP): answer with the SDP this leg already has.
        if (method === 'UPDATE') {
          const r = await other.request({ method, headers });
          res.send(r.status, r.reason, {});
          if (r.status < 300) this.armSessionTimer();
        } else {
          res.send(200, { body: this.currentLocalSdp(from), headers: { 'Content-Type': 'application/sdp' } });
          this.armSessionTimer();
        }
        return;
      }
      const offer = await this.media.reoffer(from, req.body);
      let answer: string;
      if (method === 'INVITE') {
        answer = await other.modify(offer, { headers });
      } else {
        const r = await other.request({ method, headers: { ...headers, 'Content-Type': 'application/sdp' }, body: offer });
        if (r.status >= 300 || !r.body) {
          res.send(r.status, r.reason, {});
          return;
        }
        answer = r.body;
      }
      const back = await this.media.reanswer(from, answer);
      res.send(200, { body: back, headers: { 'Content-Type': 'application/sdp' } });
      this.armSessionTimer();
    } catch (err) {
      const status = statusOf(err) ?? 500;
      this.hooks.log.info({ err, method, from, status }, 'in-dialog offer failed');
      if (!res.finalResponseSent) res.send(status, {});
    }
  }

  private currentLocalSdp(from: 'a' | 'b'): string {
    return (from === 'a' ? this.a : this.b).local.sdp;
  }

  private async relayPlain(other: BridgeDialog, req: Srf.SrfRequest, res: Srf.SrfResponse, method: string): Promise<void> {
    try {
      let headers = passThroughHeaders(req.headers);
      const type = req.get('Content-Type');
      if (type) headers['Content-Type'] = type;
      if (method === 'REFER' && this.hooks.referHeaders) headers = this.hooks.referHeaders(headers);
      const r = await other.request({ method, headers, ...(req.body ? { body: req.body } : {}) });
      const back = passThroughHeaders((r as unknown as { headers: Record<string, string> }).headers);
      const rtype = r.get('Content-Type');
      if (rtype) back['Content-Type'] = rtype;
      res.send(r.status, r.reason, { headers: back, ...(r.body ? { body: r.body } : {}) });
    } catch (err) {
      this.hooks.log.info({ err, method }, 'in-dialog request relay failed');
      if (!res.finalResponseSent) res.send(statusOf(err) ?? 500, {});
    }
  }
}

/** The SIP status an srf/media error carries, if any. */
export function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' && s >= 300 && s <= 699 ? s : undefined;
}

/**
 * The session interval of a call from the 2xx that established it (RFC 4028 Session-Expires, delta-seconds),
 * with a margin for the refresher's own lead (it refreshes at half the interval); undefined without timers.
 */
export function sessionExpiresOf(...messages: Array<{ get(name: string): string | undefined } | undefined>): number | undefined {
  for (const m of messages) {
    const v = m?.get('Session-Expires');
    const n = v === undefined ? NaN : Number(/^\s*(\d+)/.exec(v)?.[1]);
    if (Number.isFinite(n) && n > 0) return n + Math.min(32, n / 3);
  }
  return undefined;
}
