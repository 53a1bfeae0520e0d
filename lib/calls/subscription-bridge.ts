/**
 * A device's SUBSCRIBE (presence, BLF, message-summary, ...) to the call servers as a B2BUA: one subscription
 * dialog toward the device (srf createUAS) and one toward the call server (srf createUAC, method SUBSCRIBE), so
 * the device's credentials, Via and Contact stay on its own leg. The call server's NOTIFYs go to the device, the
 * device's refreshes and its unsubscribe go to the call server. The call server ends the subscription with a
 * NOTIFY carrying `Subscription-State: terminated` (srf then drops both dialogs once it has been relayed); a
 * device that no longer knows the subscription or cannot be reached (481, 408, 503 to a NOTIFY) ends it toward
 * the call server.
 */
import type Srf from 'drachtio-srf';
import { withDeadline } from './deadline.js';
import { statusOf } from './dialog-bridge.js';
import { withoutTag } from './passthrough-headers.js';
import { relayedHeaders, relayedRequestHeaders } from './request-relay.js';
import type { RoutingContext } from './routing-context.js';

/** The parts of an srf subscription Dialog used here. */
interface SubscriptionDialog {
  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<SrfMessage & { status: number; reason: string }>;
  on(event: 'notify' | 'subscribe', cb: (req: SrfMessage, res: Srf.SrfResponse) => void): void;
  on(event: 'unsubscribe', cb: (req: SrfMessage) => void): void;
}

interface SrfMessage {
  headers: Record<string, string>;
  body?: string;
  get(name: string): string | undefined;
}

/** Answers to a relayed NOTIFY after which the device's side of the subscription is gone (408/503: unreachable). */
const DEVICE_GONE: ReadonlySet<number> = new Set([408, 481, 503]);

type Attempt = { status: 200; dialog: SubscriptionDialog } | { status: number; reason?: string };

/** One SUBSCRIBE to one call server; a server silent for `timeoutMs` is abandoned (and unsubscribed if it answers). */
function subscribeOnce(srf: Srf, uri: string, headers: Record<string, string>, event: string, timeoutMs: number): Promise<Attempt> {
  const createUac = srf.createUAC as unknown as (uri: string, opts: object) => Promise<SubscriptionDialog>;
  const work = createUac.call(srf, uri, { method: 'SUBSCRIBE', headers: { ...headers } }).then(
    (dialog): Attempt => ({ status: 200, dialog }),
    (err: unknown): Attempt => ({ status: statusOf(err) ?? 503, reason: (err as { reason?: string }).reason }),
  );
  return withDeadline(
    work,
    timeoutMs,
    (): Attempt => ({ status: 408, reason: 'Request Timeout' }),
    (late) => {
      if ('dialog' in late) void late.dialog.request({ method: 'SUBSCRIBE', headers: { Event: event, Expires: '0' } }).catch(() => undefined);
    },
  ).outcome;
}

/** Relays `req` on `to` and its final answer back on `res`. */
function relayInDialog(to: SubscriptionDialog, method: string, req: SrfMessage, res: Srf.SrfResponse): Promise<number> {
  return to
    .request({ method, headers: relayedHeaders(req), ...(req.body ? { body: req.body } : {}) })
    .then((answer) => {
      res.send(answer.status, answer.reason, { headers: relayedHeaders(answer), ...(answer.body ? { body: answer.body } : {}) });
      return answer.status;
    })
    .catch((err: unknown) => {
      const status = statusOf(err) ?? 408;
      res.send(status, {});
      return status;
    });
}

/**
 * Subscribes at the first call server of `targets` that takes it (the next one on 408, 503 or silence) and
 * bridges the two subscription dialogs. Answers the device in every case; resolves with the final status.
 */
export async function bridgeSubscription(ctx: RoutingContext, req: Srf.SrfRequest, res: Srf.SrfResponse, targets: readonly string[]): Promise<number> {
  const event = req.get('Event') ?? '';
  // The call-server leg is a dialog of its own: its From tag is the engine's.
  const headers = { ...relayedRequestHeaders(req), From: withoutTag(req.get('From')) };
  let last: Attempt = { status: 503, reason: 'Service Unavailable' };
  for (const uri of targets) {
    last = await subscribeOnce(ctx.srf, uri, headers, event, ctx.failoverTimeoutMs);
    if (last.status !== 408 && last.status !== 503) break;
  }
  if (!('dialog' in last)) {
    res.send(last.status, last.reason ?? '', {});
    return last.status;
  }
  const uac = last.dialog;
  const unsubscribe = () => void uac.request({ method: 'SUBSCRIBE', headers: { Event: event, Expires: '0' } }).catch(() => undefined);
  // Notifications can arrive as soon as the call server has answered: listen before answering the device.
  const pending: Array<[SrfMessage, Srf.SrfResponse]> = [];
  let uas: SubscriptionDialog | undefined;
  const toDevice = (nreq: SrfMessage, nres: Srf.SrfResponse) => {
    if (uas === undefined) {
      pending.push([nreq, nres]);
      return;
    }
    void relayInDialog(uas, 'NOTIFY', nreq, nres).then((status) => {
      // RFC 6665 4.2.2: the device no longer has the subscription, or cannot be reached.
      if (DEVICE_GONE.has(status)) unsubscribe();
    });
  };
  uac.on('notify', toDevice);
  try {
    const createUas = ctx.srf.createUAS as unknown as (req: Srf.SrfRequest, res: Srf.SrfResponse, opts: object) => Promise<SubscriptionDialog>;
    const expires = (uac as unknown as { res?: SrfMessage }).res?.get('Expires');
    uas = await createUas.call(ctx.srf, req, res, { headers: expires ? { Expires: expires } : {} });
  } catch (err) {
    ctx.log.warn({ err, callId: req.get('Call-ID') }, 'subscription could not be answered toward the device');
    for (const [, nres] of pending.splice(0)) nres.send(481, {});
    unsubscribe();
    return statusOf(err) ?? 500;
  }
  const device = uas;
  device.on('subscribe', (sreq, sres) => void relayInDialog(uac, 'SUBSCRIBE', sreq, sres));
  // srf has answered the device's unsubscribe (202); the call server's final NOTIFY follows through toDevice.
  device.on('unsubscribe', () => unsubscribe());
  for (const [nreq, nres] of pending.splice(0)) toDevice(nreq, nres);
  return 202;
}
