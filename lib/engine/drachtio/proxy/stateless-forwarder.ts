/**
 * Stateless forwarding on a recorded route (spec 9.3 "Later in-dialog requests", 11.1 step 3; RFC 3261 16.11):
 * a request whose first Route is our loose route, and the responses that come back through us (RFC 3261 18.2.2).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { SipRequest, SipResponse } from '../../messages/message.js';
import { createResponse } from '../../messages/response-factory.js';
import { tryParseNameAddr } from '../../messages/name-addr.js';
import { tryParseUri } from '../../messages/uri.js';
import type { SipUri, TransportName } from '../../messages/types.js';
import type { Flow, SendTarget } from '../../transport/types.js';
import type { LocalAddresses, NextHopResolver, SipEngineAccess } from '../contracts.js';
import { nextMaxForwards, ourVia } from './proxy-request.js';
import { chooseTransport, resolveHop } from './proxy-targets.js';
import { viaResponseTarget, withoutTopVia } from './via-stack.js';

export interface StatelessDeps {
  engine: SipEngineAccess;
  local: LocalAddresses;
  resolver?: NextHopResolver;
  logger?: Logger;
}

/** The URI of a Route value when it is a loose route (`;lr`) to us. */
function ourLooseRoute(value: string, local: LocalAddresses): boolean {
  const na = tryParseNameAddr(value);
  if (na === undefined) return false;
  const uri = tryParseUri(na.uri);
  return uri !== undefined && uri.params.has('lr') && local.isLocal(uri.host, uri.port);
}

/**
 * RFC 3261 16.11: a stateless proxy's branch must be the same for retransmissions of a request, so it is
 * derived from the incoming top Via branch (and the method, so ACK/CANCEL differ from the INVITE's).
 */
function statelessBranch(req: SipRequest): string {
  const via = req.via;
  const h = createHash('md5').update(`${via.branch ?? ''}|${via.host}|${via.port ?? ''}|${req.method}`).digest('hex');
  return 'z9hG4bKsl' + h.slice(0, 20);
}

export class StatelessForwarder {
  constructor(private readonly deps: StatelessDeps) {}

  /** True when the request was ours to forward (it has then been sent or refused). */
  tryForwardRequest(req: SipRequest, flow: Flow): boolean {
    const routes = req.getList('route');
    if (routes.length === 0 || req.to.tag === undefined) return false;
    const local = this.deps.local;
    if (!ourLooseRoute(routes[0]!, local)) return false;
    const mf = nextMaxForwards(req);
    if (mf === undefined) {
      // RFC 3261 16.3 step 2 (ACK cannot be answered).
      if (req.method !== 'ACK') this.send(createResponse(req, 483, 'Too Many Hops'), flow);
      return true;
    }
    // Drop every leading Route of ours (double record-routing puts two there).
    let skip = 0;
    while (skip < routes.length && ourLooseRoute(routes[skip]!, local)) skip++;
    const rest = routes.slice(skip);
    const out = req.clone();
    out.remove('route');
    for (const r of rest) out.append('Route', r);
    out.set('Max-Forwards', String(mf));
    // Next hop: the next Route (RFC 3261 16.12 with loose routing), else the Request-URI.
    const nextUri = rest.length > 0 ? tryParseUri(tryParseNameAddr(rest[0]!)?.uri ?? '') : req.parsedUri;
    if (nextUri === undefined) return true;
    const choice = chooseTransport(nextUri, local);
    if (choice === undefined) return true;
    this.forward(out, nextUri, choice.transport, choice.explicit, statelessBranch(req));
    return true;
  }

  /** A response with our Via on top and at least one Via below it: send it on to that Via (RFC 3261 18.2.2). */
  tryForwardResponse(res: SipResponse, _flow: Flow): boolean {
    let vias;
    try {
      vias = res.vias();
    } catch {
      return false;
    }
    if (vias.length < 2) return false;
    const top = vias[0]!;
    if (!this.deps.local.isLocal(top.host, top.port)) return false;
    const target = viaResponseTarget(vias[1]!);
    if (target === undefined) return true;
    this.send(withoutTopVia(res), target);
    return true;
  }

  private forward(req: SipRequest, uri: SipUri, transport: TransportName, explicit: boolean, branch: string): void {
    void resolveHop(uri, transport, explicit, this.deps.resolver).then(
      (hops) => {
        const hop = hops.find((h) => this.deps.local.listener(h.transport) !== undefined);
        const via = hop === undefined ? undefined : ourVia(this.deps.local, hop.transport, branch);
        if (hop === undefined || via === undefined) return;
        req.prepend('Via', via);
        this.send(req, hop);
      },
      (err: unknown) => this.deps.logger?.info({ err, uri: uri.raw }, 'stateless forward: next hop did not resolve'),
    );
  }

  private send(msg: SipRequest | SipResponse, target: SendTarget | Flow): void {
    this.deps.engine.sendStateless(msg, target).catch((err: unknown) => {
      this.deps.logger?.debug({ err }, 'stateless forward failed');
    });
  }
}
