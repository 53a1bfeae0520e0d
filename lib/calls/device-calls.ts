/**
 * Calls and requests from devices (Internet side) to the call server (LAN side). The device has been admitted
 * (allowed URI name, digest) by the caller; here it must also be registered, and its request only ever goes to a
 * configured call server, never to the Request-URI's host (the gateway is no open relay). An INVITE becomes a
 * B2BUA call (drachtio-srf createB2BUA) with failover across call servers; other requests are relayed or proxied.
 */
import type Srf from 'drachtio-srf';
import type { CallServer } from '../callservers/call-server-pool.js';
import { MediaUnavailableError, type CallMedia } from '../media/media-contract.js';
import { aorOf, safeParseUri } from '../registrar/register-input.js';
import { StoreUnavailableError } from '../store/registration-store.js';
import { withDeadline } from './deadline.js';
import { DialogBridge, sessionExpiresOf, statusOf, type BridgeDialog } from './dialog-bridge.js';
import { CALL_SERVER_PARTY, deviceOfRequest } from './media-parties.js';
import { passThroughHeaders, supportsOption, without100rel, withoutTag } from './passthrough-headers.js';
import { relayRequest } from './request-relay.js';
import { bridgeSubscription } from './subscription-bridge.js';
import type { RoutingContext } from './routing-context.js';

const DIRECTION = 'device-to-callserver' as const;

type Attempt =
  | { status: 200; uas: BridgeDialog; uac: BridgeDialog }
  | { status: number; reason?: string; abandoned?: boolean };

/** The call server's URI for a request to `requestUri`: its user part on the call server's host, port, transport. */
export function callServerTarget(server: CallServer, requestUri: string): string {
  const user = safeParseUri(requestUri)?.user;
  if (user === undefined || user === '') return server.uri;
  const scheme = server.uri.startsWith('sips:') ? 'sips:' : 'sip:';
  return `${scheme}${user}@${server.uri.slice(scheme.length)}`;
}

/** The AOR a device request comes from: the authenticated user at the From host (or the From AOR). */
function callerAor(req: Srf.SrfRequest, user: string | undefined): string | undefined {
  const from = req.getParsedHeader('From');
  const aor = aorOf(from.uri);
  if (aor === undefined || user === undefined) return aor;
  const host = aor.slice(aor.indexOf('@') + 1);
  return `sip:${user}@${host.startsWith('sip:') ? host.slice(4) : host}`;
}

/**
 * Refuses (and answers) a device that has no current binding; resolves true when the device may go on.
 * RFC 3261 leaves this to policy: a gateway only carries calls of devices it can also call back.
 */
async function requireRegistered(ctx: RoutingContext, req: Srf.SrfRequest, res: Srf.SrfResponse, user: string | undefined): Promise<boolean> {
  const aor = callerAor(req, user);
  if (aor === undefined) {
    res.send(400, 'Malformed From', {});
    return false;
  }
  try {
    const bindings = await ctx.store.lookup(aor);
    if (bindings.length > 0) return true;
    res.send(403, 'Not Registered', {});
    return false;
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) ctx.log.error({ err }, 'binding lookup failed');
    res.send(503, { headers: { 'Retry-After': String(ctx.retryAfterS) } });
    return false;
  }
}

/** An INVITE from a device: bridged to the first call server that takes it. */
export async function routeDeviceInvite(ctx: RoutingContext, req: Srf.SrfRequest, res: Srf.SrfResponse, user: string | undefined): Promise<void> {
  let cancelled = false;
  req.on('cancel', () => {
    cancelled = true;
  });
  if (!(await requireRegistered(ctx, req, res, user))) return;
  if (cancelled) return;

  const fromTag = req.getParsedHeader('From').params?.['tag'] as string | undefined;
  const media = ctx.media.forCall(req.get('Call-ID'), fromTag ?? '', deviceOfRequest(req, user), CALL_SERVER_PARTY);
  let handedOver = false;
  try {
    let offer: string | undefined;
    if (req.body) offer = await media.offer(req.body);
    if (cancelled) return;

    const headers = { ...passThroughHeaders(req.headers), From: withoutTag(req.get('From')), To: req.get('To') };
    const deviceDoes100rel = supportsOption((n) => req.get(n), '100rel');
    const opts = {
      headers,
      ...(offer === undefined ? {} : { localSdpB: offer }),
      localSdpA: (sdp: string) => (sdp ? media.answer(sdp) : sdp),
      responseHeaders: (uacRes: { headers: Record<string, string> }) => {
        const h = passThroughHeaders(uacRes.headers);
        return {
          ...(deviceDoes100rel ? h : without100rel(h)),
          ...ctx.contacts.towardDevice(req.protocol, (req as { receivedOn?: string }).receivedOn),
        };
      },
      passFailure: false,
    };
    const outcome = await ctx.callServers.sendWithFailover<Attempt>(
      async (server) => {
        if (cancelled) return { status: 487 };
        // srf fills in the options object it is given: every attempt gets its own copy.
        const r = await attempt(ctx, req, res, callServerTarget(server, req.uri), { ...opts, headers: { ...headers } });
        ctx.metrics.attempt(server.name, 'uas' in r ? 'answered' : 'abandoned' in r && r.abandoned ? 'abandoned' : r.status);
        return r;
      },
      (r) => r.status === 503 || r.status === 408,
    );
    const r = outcome.result;
    if (r !== undefined && 'uas' in r) {
      handedOver = true;
      bridgeCall(ctx, r.uas, r.uac, media);
      ctx.metrics.call(DIRECTION, 'answered');
      return;
    }
    const status = outcome.tried.length === 0 ? 503 : (r?.status ?? 503);
    ctx.metrics.call(DIRECTION, cancelled ? 487 : status);
    if (!res.finalResponseSent && !cancelled) {
      if (outcome.tried.length === 0) ctx.log.warn({ callId: req.get('Call-ID') }, 'no call server is up: call refused');
      res.send(status, r?.reason ?? '', status === 503 ? { headers: { 'Retry-After': String(ctx.retryAfterS) } } : {});
    }
  } catch (err) {
    failCall(ctx, res, err);
  } finally {
    if (!handedOver) await media.delete();
  }
}

/**
 * One try at one call server. A server that sends nothing at all within failoverTimeoutMs is abandoned (a CANCEL
 * cannot be sent before a provisional, RFC 3261 9.1): the transaction ends by itself, and an answer that would
 * still come from it is hung up.
 */
function attempt(ctx: RoutingContext, req: Srf.SrfRequest, res: Srf.SrfResponse, uri: string, opts: object): Promise<Attempt> {
  const b2b = ctx.srf.createB2BUA as unknown as (
    req: Srf.SrfRequest,
    res: Srf.SrfResponse,
    uri: string,
    opts: object,
    cbs: { cbProvisional: () => void },
  ) => Promise<{ uas: BridgeDialog; uac: BridgeDialog }>;
  // Any provisional shows the server is alive: from then on its own answer (or our CANCEL) decides.
  let lift = (): void => undefined;
  const work = b2b.call(ctx.srf, req, res, uri, opts, { cbProvisional: () => lift() }).then(
    ({ uas, uac }): Attempt => ({ status: 200, uas, uac }),
    (err: unknown): Attempt => ({ status: statusOf(err) ?? 500, reason: (err as { reason?: string }).reason }),
  );
  const deadline = withDeadline(
    work,
    ctx.failoverTimeoutMs,
    (): Attempt => {
      ctx.log.info({ uri }, 'call server sent nothing: trying the next one');
      return { status: 408, reason: 'Request Timeout', abandoned: true };
    },
    (late) => {
      if ('uas' in late) void Promise.resolve(late.uac.destroy()).catch(() => undefined);
    },
  );
  lift = deadline.lift;
  return deadline.outcome;
}

/** Keeps an answered call's legs together and registered until either side hangs up. */
export function bridgeCall(ctx: RoutingContext, a: BridgeDialog, b: BridgeDialog, media: CallMedia): DialogBridge {
  const sessionExpiresS = sessionExpiresOf(b.res);
  const bridge = new DialogBridge(a, b, media, {
    log: ctx.log,
    ...(sessionExpiresS === undefined ? {} : { sessionExpiresS }),
    referHeaders: (h) => ctx.calls.translateRefer(h),
    onEnd: (ended) => ctx.calls.remove(ended),
  });
  if (!bridge.isEnded) ctx.calls.add(bridge);
  return bridge;
}

/** An error while routing: the device gets 503 (media or store down), 488 (SDP refused) or 500. Never throws. */
export function failCall(ctx: RoutingContext, res: Srf.SrfResponse, err: unknown): void {
  if (err instanceof MediaUnavailableError) {
    ctx.log.warn({ err: err.message, status: err.status }, 'media unavailable: call refused');
    if (!res.finalResponseSent) res.send(err.status, err.status === 503 ? { headers: { 'Retry-After': String(ctx.retryAfterS) } } : {});
    return;
  }
  ctx.log.error({ err }, 'call routing failed');
  if (!res.finalResponseSent) res.send(statusOf(err) ?? 500, {});
}

/**
 * A non-INVITE request from a device (SUBSCRIBE, MESSAGE, PUBLISH, NOTIFY, REFER) to the call servers, in
 * failover order. SUBSCRIBE becomes a subscription B2BUA (subscription-bridge.ts); MESSAGE, PUBLISH and NOTIFY
 * are relayed as new requests (request-relay.ts), so the device's credentials and per-hop headers stay on its
 * leg. An out-of-dialog REFER (click-to-dial style, rare from devices) is proxied with Record-Route.
 */
export async function routeDeviceRequest(ctx: RoutingContext, req: Srf.SrfRequest, res: Srf.SrfResponse, user: string | undefined): Promise<void> {
  try {
    if (!(await requireRegistered(ctx, req, res, user))) return;
    const servers = ctx.callServers.candidates();
    if (servers.length === 0) {
      ctx.metrics.routed(DIRECTION, req.method, 'no-call-server');
      res.send(503, { headers: { 'Retry-After': String(ctx.retryAfterS) } });
      return;
    }
    const destination = servers.map((s) => callServerTarget(s, req.uri));
    if (req.method === 'SUBSCRIBE') {
      ctx.metrics.routed(DIRECTION, req.method, String(await bridgeSubscription(ctx, req, res, destination)));
      return;
    }
    if (req.method !== 'REFER') {
      const answer = await relayRequest(ctx.srf, req, destination, ctx.failoverTimeoutMs);
      ctx.metrics.routed(DIRECTION, req.method, String(answer.status));
      if (answer.target === undefined) ctx.log.info({ method: req.method, status: answer.status }, 'no call server answered a relayed request');
      res.send(answer.status, answer.reason, answer.body ? { headers: answer.headers, body: answer.body } : { headers: answer.headers });
      return;
    }
    // Serial: the next server when one times out or answers 503.
    const result = (await (req as unknown as { proxy(o: object): Promise<{ finalStatus?: number }> }).proxy({
      destination,
      forking: 'sequential',
      recordRoute: true,
      provisionalTimeout: `${Math.max(1, Math.round(ctx.failoverTimeoutMs / 1000))}s`,
    })) ?? {};
    ctx.metrics.routed(DIRECTION, req.method, String(result.finalStatus ?? 'unknown'));
  } catch (err) {
    ctx.metrics.routed(DIRECTION, req.method, 'error');
    failCall(ctx, res, err);
  }
}
