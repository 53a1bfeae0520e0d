/**
 * A device's out-of-dialog request that creates no dialog (MESSAGE, PUBLISH, NOTIFY) relayed
 * to the call servers as a new request (a non-INVITE B2BUA leg) rather than proxied: the device's credentials for
 * the gateway's realm, its Via and its Route set stay on the device's leg, which a drachtio proxy cannot do (it
 * forwards every header). The next call server is tried on 408, 503, or no final answer within the failover time.
 */
import type Srf from 'drachtio-srf';
import { withDeadline } from './deadline.js';
import { passThroughHeaders } from './passthrough-headers.js';
import { requestFinalResponse } from '../app/srf-request.js';

/** A final response to a relayed request, or why there was none. */
export interface RelayOutcome {
  status: number;
  reason: string;
  headers: Record<string, string>;
  body?: string;
  /** The target that gave it; undefined when no target answered in time. */
  target?: string;
}

/** What a relayed request or response carries to the other leg: the headers that pass, and its body's type. */
export function relayedHeaders(m: { headers: Record<string, string>; body?: string; get(name: string): string | undefined }): Record<string, string> {
  const h = passThroughHeaders(m.headers);
  const type = m.get('Content-Type');
  if (m.body && type) h['Content-Type'] = type;
  return h;
}

/** The headers of the new request: those of relayedHeaders, with the device's From and To. */
export function relayedRequestHeaders(req: Pick<Srf.SrfRequest, 'headers' | 'get' | 'body'>): Record<string, string> {
  return { ...relayedHeaders(req), From: req.get('From'), To: req.get('To') };
}

function sendOne(srf: Srf, uri: string, method: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<RelayOutcome> {
  const answered = requestFinalResponse(srf, uri, { method, headers: { ...headers }, ...(body ? { body } : {}) })
    .then((res): RelayOutcome => ({ status: res.status, reason: res.reason, headers: relayedHeaders(res), ...(res.body ? { body: res.body } : {}), target: uri }))
    .catch((err: unknown): RelayOutcome => ({ status: (err as { status?: number }).status ?? 503, reason: 'Service Unavailable', headers: {} }));
  // A late answer from an abandoned target is dropped: the device already has (or will get) another one.
  return withDeadline(answered, timeoutMs, (): RelayOutcome => ({ status: 408, reason: 'Request Timeout', headers: {} })).outcome;
}

/**
 * Sends `req` to each target in turn until one gives a final answer other than 408/503, and resolves with that
 * answer (or the last failure). Never rejects.
 */
export async function relayRequest(srf: Srf, req: Srf.SrfRequest, targets: readonly string[], timeoutMs: number): Promise<RelayOutcome> {
  const headers = relayedRequestHeaders(req);
  let last: RelayOutcome = { status: 503, reason: 'Service Unavailable', headers: {} };
  for (const uri of targets) {
    last = await sendOne(srf, uri, req.method, headers, req.body || undefined, timeoutMs);
    if (last.status !== 408 && last.status !== 503) return last;
  }
  return last;
}
