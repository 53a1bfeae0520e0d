/**
 * Calls and requests from the call server (LAN side) to registered devices. An INVITE for an AOR rings every
 * reachable contact at once (drachtio-fn-b2b-sugar simring) over each device's own connection, or through the
 * peer node that owns it; the first to answer gets the call and the others are cancelled. With no reachable
 * binding the answer is 480 at once, so the call server can go to voicemail without waiting.
 */
import type Srf from 'drachtio-srf';
import { simring } from 'drachtio-fn-b2b-sugar';
import { aorOf, safeParseUri } from '../registrar/register-input.js';
import { StoreUnavailableError, type Binding } from '../store/registration-store.js';
import { bridgeCall, failCall } from './device-calls.js';
import type { BridgeDialog } from './dialog-bridge.js';
import { callTargets, LOCAL_ONLY_PARAM, type CallTarget } from './call-targets.js';
import { CALL_SERVER_PARTY, deviceOfBinding } from './media-parties.js';
import { passThroughHeaders, withoutTag } from './passthrough-headers.js';
import type { RoutingContext } from './routing-context.js';

const DIRECTION = 'callserver-to-device' as const;

/**
 * The bindings of the AOR a call server addresses: the Request-URI's user at its host, else at each configured
 * cluster name (devices register with the cluster FQDN; the call server may address a node by its own name).
 */
export async function bindingsFor(ctx: RoutingContext, requestUri: string): Promise<{ user: string; bindings: Binding[] } | undefined> {
  const u = safeParseUri(requestUri);
  const user = u?.user;
  if (user === undefined || user === '') return undefined;
  const first = aorOf(requestUri);
  const aors = [first, ...ctx.allowed.list().map((name) => `sip:${user}@${name}`)].filter((a, i, all): a is string => a !== undefined && all.indexOf(a) === i);
  for (const aor of aors) {
    const bindings = await ctx.store.lookup(aor);
    if (bindings.length > 0) return { user, bindings };
  }
  return { user, bindings: [] };
}

/** The final status for the call server when no device answered (RFC 3261 16.7.6 in short: 6xx, busy, else 480). */
export function simringFailureStatus(errors: unknown): number {
  const statuses = (Array.isArray(errors) ? errors : [errors])
    .map((e) => (e as { status?: unknown } | null)?.status)
    .filter((s): s is number => typeof s === 'number');
  const global = statuses.find((s) => s >= 600);
  if (global !== undefined) return global;
  if (statuses.includes(486)) return 486;
  return 480;
}

/** A provisional or final response from a device's fork, as srf hands it over. */
interface ProvisionalResponse {
  status: number;
  body?: string;
  get?(name: string): string | undefined;
}

/** The To tag of a fork's response: it names the fork's media branch when several devices send SDP. */
function toTagOf(r: ProvisionalResponse | undefined): string | undefined {
  const to = r?.get?.('To');
  return to === undefined ? undefined : /;\s*tag=([^;>,\s]+)/i.exec(to)?.[1];
}

const LOCAL_ONLY = new RegExp(`;${LOCAL_ONLY_PARAM}(?:[;=?>]|$)`, 'i');

function isLocalOnly(requestUri: string): boolean {
  return LOCAL_ONLY.test(requestUri);
}

export async function routeCallServerInvite(ctx: RoutingContext, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
  let cancelled = false;
  req.on('cancel', () => {
    cancelled = true;
  });
  let found: Awaited<ReturnType<typeof bindingsFor>>;
  try {
    found = await bindingsFor(ctx, req.uri);
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) ctx.log.error({ err }, 'binding lookup failed');
    ctx.metrics.call(DIRECTION, 503);
    res.send(503, { headers: { 'Retry-After': String(ctx.retryAfterS) } });
    return;
  }
  if (found === undefined) {
    ctx.metrics.call(DIRECTION, 404);
    res.send(404, 'No User In Request-URI', {});
    return;
  }
  const { targets, unreachableOwners } = callTargets(found.bindings, found.user, ctx.nodeId, ctx.peers, isLocalOnly(req.uri));
  if (unreachableOwners.length > 0) ctx.log.warn({ owners: unreachableOwners, aor: found.user }, 'bindings on nodes that are not configured peers are skipped');
  if (targets.length === 0) {
    ctx.metrics.call(DIRECTION, 480);
    res.send(480, 'Temporarily Unavailable', {});
    return;
  }
  if (cancelled) return;

  const fromTag = req.getParsedHeader('From').params?.['tag'] as string | undefined;
  // Media for devices rung through a peer is the peer's business (it anchors toward its own devices), so only
  // this node's devices count here: a call rung only through peers is not anchored twice.
  const devices = targets.filter((t) => t.viaPeer === undefined).flatMap((t: CallTarget) => t.bindings.map((b) => deviceOfBinding(b, found.user)));
  const media = ctx.media.forCall(req.get('Call-ID'), fromTag ?? '', CALL_SERVER_PARTY, devices);
  let handedOver = false;
  try {
    let offer: string | undefined;
    if (req.body) offer = await media.offer(req.body);
    if (cancelled) return;
    // What the call server has been told: nothing yet, a 180, or a 183 with one device's early media.
    let progress: 'none' | 'ringing' | 'early-media' = 'none';
    const opts = {
      headers: {
        ...passThroughHeaders(req.headers),
        From: withoutTag(req.get('From')),
        To: req.get('To'),
        // One Contact serves every fork: the TLS one only when every device is reached over TLS.
        ...(targets.every((t) => t.viaPeer === undefined && t.bindings.every((b) => b.transport === 'tls')) ? ctx.contacts.towardDevice('tls') : {}),
      },
      ...(offer === undefined ? {} : { localSdpB: offer }),
      localSdpA: (sdp: string, uacRes?: ProvisionalResponse) => (sdp ? media.answer(sdp, toTagOf(uacRes)) : sdp),
      timeout: ctx.ringTimeoutS,
    };
    const notifiers = {
      // simring itself relays no provisional. The call server hears one 180 when a device rings, or the early
      // media of the first device that sends a 183/180 with SDP (answered through media for that device's fork).
      cbProvisional: (r: ProvisionalResponse) => {
        if (progress === 'early-media' || (r.status !== 180 && r.status !== 183) || res.finalResponseSent || cancelled) return;
        if (r.body) {
          progress = 'early-media';
          void media
            .answer(r.body, toTagOf(r))
            .then((sdp) => {
              if (!res.finalResponseSent && !cancelled) res.send(183, 'Session Progress', { body: sdp, headers: { 'Content-Type': 'application/sdp' } });
            })
            .catch((err: unknown) => ctx.log.warn({ err, callId: req.get('Call-ID') }, 'early media from a device could not be relayed'));
          return;
        }
        if (progress === 'ringing') return;
        progress = 'ringing';
        res.send(180, 'Ringing', {});
      },
    };
    const ring = simring as unknown as (
      req: Srf.SrfRequest,
      res: Srf.SrfResponse,
      uris: string[],
      opts: object,
      notifiers: object,
    ) => Promise<{ uas: BridgeDialog; uac: BridgeDialog }>;
    try {
      const { uas, uac } = await ring(req, res, targets.map((t) => t.uri), opts, notifiers);
      handedOver = true;
      bridgeCall(ctx, uas, uac, media);
      ctx.metrics.call(DIRECTION, 'answered');
    } catch (errors) {
      const status = cancelled ? 487 : simringFailureStatus(errors);
      ctx.metrics.call(DIRECTION, status);
      if (!cancelled && !res.finalResponseSent) res.send(status, {});
    }
  } catch (err) {
    failCall(ctx, res, err);
  } finally {
    if (!handedOver) await media.delete();
  }
}

/** A non-INVITE request from the call server to a device (NOTIFY for MWI, MESSAGE, OPTIONS): proxied to its contacts. */
export async function routeCallServerRequest(ctx: RoutingContext, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
  try {
    const found = await bindingsFor(ctx, req.uri);
    const targets = found === undefined ? [] : callTargets(found.bindings, found.user, ctx.nodeId, ctx.peers, isLocalOnly(req.uri)).targets;
    if (targets.length === 0) {
      ctx.metrics.routed(DIRECTION, req.method, '480');
      res.send(found === undefined ? 404 : 480, {});
      return;
    }
    const result = (await (req as unknown as { proxy(o: object): Promise<{ finalStatus?: number }> }).proxy({
      destination: targets.map((t) => t.uri),
      forking: 'simultaneous',
      recordRoute: req.method === 'SUBSCRIBE',
    })) ?? {};
    ctx.metrics.routed(DIRECTION, req.method, String(result.finalStatus ?? 'unknown'));
  } catch (err) {
    ctx.metrics.routed(DIRECTION, req.method, 'error');
    failCall(ctx, res, err);
  }
}
