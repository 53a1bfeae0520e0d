/**
 * One `proxy` command at work (spec 9.2, 9.3; RFC 3261 16): forks to the targets serially or in parallel,
 * relays provisionals and the winning response upstream, and reports to the app with `continue` / `done` frames.
 */
import type { Logger } from 'pino';
import type { SipRequest, SipResponse } from '../../messages/message.js';
import type { RawHeader, TransportName } from '../../messages/types.js';
import { createResponse } from '../../messages/response-factory.js';
import { serializeMessage } from '../../messages/serializer.js';
import { tryParseNameAddr } from '../../messages/name-addr.js';
import type { Clock } from '../../timers/clock.js';
import type { ServerTransaction } from '../../transactions/transaction-user.js';
import type { AppConnection, LocalAddresses, NextHopResolver, SipEngineAccess } from '../contracts.js';
import { nok, proxyContinue, proxyDone } from '../wire/frames.js';
import { isBetterResponse } from './best-response.js';
import { ProxyBranch, type BranchEvents } from './proxy-branch.js';
import type { ProxyOptions } from './proxy-options.js';
import { buildForwardCopy } from './proxy-request.js';
import { parseTarget, resolveHop, type ProxyTarget } from './proxy-targets.js';
import { withoutTopVia } from './via-stack.js';
import { rejectReason, type CdrSource, type CdrType } from '../ua/cdr-emitter.js';

export interface OperationDeps {
  engine: SipEngineAccess;
  local: LocalAddresses;
  resolver?: NextHopResolver;
  logger?: Logger;
  clock: Clock;
  /** Timer C (RFC 3261 16.6 step 11). */
  timerCMs: number;
  /** Call detail records of proxied INVITEs (spec 10), when an app routed them. */
  cdr?: (type: CdrType, source: CdrSource, extra: string | undefined, msg: SipRequest | SipResponse) => void;
}

export interface OperationInput {
  conn: AppConnection;
  appMsgId: string;
  server: ServerTransaction;
  options: ProxyOptions;
  maxForwards: number;
  extraHeaders: readonly RawHeader[];
  /** Called once when nothing more will be sent to the app or upstream for this operation. */
  onDone?: () => void;
  /** A 401/407 from `targetUri` went upstream (spec 9.3 challenge pinning). */
  onChallenge?: (res: SipResponse, targetUri: string) => void;
}

export class ProxyOperation implements BranchEvents {
  private readonly queue: ProxyTarget[] = [];
  private readonly branches: ProxyBranch[] = [];
  /** Targets being resolved (async) before their branch exists. */
  private launching = 0;
  /** No new targets are started (a 2xx, 6xx, 401/407 or CANCEL arrived). */
  private stopped = false;
  private cancelled = false;
  /** A final response went upstream (or the upstream transaction was answered). */
  private answeredUpstream = false;
  private upstreamStatus = 0;
  private reported = false;
  private best: SipResponse | undefined;
  private readonly request: SipRequest;
  private readonly inbound: TransportName;
  private readonly rewriteRequestUri: boolean;

  constructor(
    private readonly deps: OperationDeps,
    private readonly input: OperationInput,
  ) {
    this.request = input.server.request;
    this.inbound = input.server.flow.transport;
    // spec 9.3: the target replaces the Request-URI only when the request was addressed to us.
    let ruri;
    try {
      ruri = this.request.parsedUri;
    } catch {
      ruri = undefined; // unreadable: not ours, so it is kept and the target is only the next hop
    }
    this.rewriteRequestUri =
      ruri !== undefined && (ruri.scheme === 'sip' || ruri.scheme === 'sips') && deps.local.isLocal(ruri.host, ruri.port);
  }

  get isDone(): boolean {
    return this.reported;
  }

  start(): void {
    const dests = this.input.options.destinations;
    for (const d of dests.length > 0 ? dests : [this.request.uri]) this.enqueue(d);
    this.launchMore();
    this.maybeFinish();
  }

  /** spec 9.3: upstream CANCEL: 487 upstream, CANCEL the branches; `done` once they have all finished. */
  cancelFromUpstream(): void {
    if (this.answeredUpstream) return;
    this.cancelled = true;
    this.stopped = true;
    this.queue.length = 0;
    this.respondUpstream(createResponse(this.request, 487, 'Request Terminated'));
    for (const b of this.branches) b.cancel();
    this.maybeFinish();
  }

  // --- branch events -------------------------------------------------------------------------

  onProvisional(_branch: ProxyBranch, res: SipResponse): void {
    // RFC 3261 16.7 step 5: 100 is absorbed, other provisionals go upstream at once.
    if (res.status === 100 || this.answeredUpstream) return;
    this.input.server.respond(withoutTopVia(res));
  }

  onFinal(branch: ProxyBranch, res: SipResponse, first: boolean): void {
    const status = res.status;
    if (first) this.reportContinue(branch, res);
    // spec 10: a final received on a branch (proxy-uac side).
    if (this.isInvite) {
      if (status < 300) this.deps.cdr?.('cdr:start', 'network', 'proxy-uac', res);
      else this.deps.cdr?.('cdr:stop', 'network', rejectReason(status), res);
    }
    if (status < 300) {
      this.forwardSuccess(res);
    } else if (status === 401 || status === 407) {
      // spec 9.3: a challenge goes upstream at once and ends the search.
      if (!this.answeredUpstream) {
        this.stopSearching();
        this.respondUpstream(withoutTopVia(res));
        this.input.onChallenge?.(res, branch.targetUri);
      }
    } else if (status < 400 && this.input.options.followRedirects && this.addRedirectTargets(res)) {
      // RFC 3261 16.5: recursing on a 3xx replaces it by its contacts.
    } else {
      if (status >= 600) this.stopSearching(); // RFC 3261 16.7 step 5: 6xx ends forking
      if (isBetterResponse(status, this.best?.status)) this.best = res;
    }
    this.launchMore();
    this.maybeFinish();
  }

  onFailed(branch: ProxyBranch, why: string): void {
    this.deps.logger?.debug({ hop: branch.hop, why }, 'proxy branch ended without a final response');
    this.launchMore();
    this.maybeFinish();
  }

  // --- internals -----------------------------------------------------------------------------

  /** RFC 3261 16.7 step 5: every 2xx goes upstream; the first one ends the search. */
  private forwardSuccess(res: SipResponse): void {
    if (this.answeredUpstream && this.upstreamStatus >= 300) {
      // The caller already has a final answer (e.g. 487 after its CANCEL); the callee's 2xx cannot reach it.
      this.deps.logger?.warn({ callId: this.request.get('call-id') }, 'proxy: 2xx after a final response upstream; dropped');
      return;
    }
    const firstWin = !this.answeredUpstream;
    this.respondUpstream(withoutTopVia(res));
    if (firstWin) this.stopSearching();
  }

  private stopSearching(): void {
    this.stopped = true;
    this.queue.length = 0;
    for (const b of this.branches) if (!b.finished) b.cancel();
  }

  private respondUpstream(res: SipResponse): void {
    if (!this.answeredUpstream) {
      this.answeredUpstream = true;
      this.upstreamStatus = res.status;
    }
    this.input.server.respond(res);
    // spec 10: a final forwarded (or generated) upstream (proxy-uas side).
    if (this.isInvite) {
      if (res.status < 300) this.deps.cdr?.('cdr:start', 'application', 'proxy-uas', res);
      else this.deps.cdr?.('cdr:stop', 'application', rejectReason(res.status), res);
    }
  }

  private get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  private enqueue(dest: string): void {
    const target = parseTarget(dest, this.deps.local);
    if (target === undefined) {
      this.deps.logger?.info({ dest }, 'proxy: unusable destination skipped');
      return;
    }
    this.queue.push(target);
  }

  private addRedirectTargets(res: SipResponse): boolean {
    let added = false;
    for (const c of res.getList('contact')) {
      const na = tryParseNameAddr(c);
      if (na === undefined) continue;
      const before = this.queue.length;
      this.enqueue(na.uri);
      added ||= this.queue.length > before;
    }
    return added;
  }

  private get active(): number {
    let n = this.launching;
    for (const b of this.branches) if (!b.finished) n++;
    return n;
  }

  /** Parallel: everything queued; serial: the next target once nothing is in progress. */
  private launchMore(): void {
    while (!this.stopped && this.queue.length > 0 && (this.input.options.simultaneous || this.active === 0)) {
      this.launch(this.queue.shift()!);
    }
  }

  private launch(target: ProxyTarget): void {
    this.launching++;
    resolveHop(target.parsed, target.transport, target.explicitTransport, this.deps.resolver).then(
      (hops) => {
        this.launching--;
        const hop = hops.find((h) => this.deps.local.listener(h.transport) !== undefined);
        if (hop === undefined || this.stopped) {
          if (hop === undefined) this.deps.logger?.info({ target: target.uri }, 'proxy: target did not resolve');
        } else {
          this.startBranch(target, hop);
        }
        this.launchMore();
        this.maybeFinish();
      },
      (err: unknown) => {
        this.launching--;
        this.deps.logger?.info({ err, target: target.uri }, 'proxy: target resolution failed');
        this.launchMore();
        this.maybeFinish();
      },
    );
  }

  private startBranch(target: ProxyTarget, hop: { transport: TransportName; host: string; port: number }): void {
    const copy = buildForwardCopy(this.request, {
      newRequestUri: this.rewriteRequestUri ? target.uri : undefined,
      maxForwards: this.input.maxForwards,
      transport: hop.transport,
      inboundTransport: this.inbound,
      recordRoute: this.input.options.remainInDialog,
      extraHeaders: this.input.extraHeaders,
      local: this.deps.local,
    });
    if (copy === undefined) return;
    const o = this.input.options;
    const branch = new ProxyBranch(target.uri, copy, hop, this.deps.engine, this.deps.clock, {
      provisionalTimeoutMs: o.provisionalTimeoutMs,
      finalTimeoutMs: o.finalTimeoutMs,
      timerCMs: this.deps.timerCMs,
    }, this);
    this.branches.push(branch);
    try {
      branch.start();
    } catch (err) {
      this.deps.logger?.warn({ err, hop }, 'proxy: branch could not start');
      branch.onTransportError();
      return;
    }
    // spec 10: the first transmission on a proxy branch is an attempt.
    if (this.isInvite) this.deps.cdr?.('cdr:attempt', 'application', undefined, copy);
  }

  /** spec 9.2: `done` exactly once, when the outcome upstream is settled and no branch is pending. */
  private maybeFinish(): void {
    if (this.reported) return;
    // A 2xx or a challenge upstream settles the app's view at once; the rest of the branches just wind down.
    if (this.answeredUpstream && !this.cancelled) return this.report();
    if (this.active > 0 || (!this.stopped && this.queue.length > 0)) return;
    if (!this.answeredUpstream) {
      if (this.best !== undefined) this.respondUpstream(withoutTopVia(this.best));
      else if (this.branches.length === 0) {
        // spec 9.2: no target could be tried at all.
        this.respondUpstream(createResponse(this.request, 500, 'Server Internal Error'));
        this.reported = true;
        this.input.conn.sendFrame(nok(this.input.appMsgId, 'error proxying request to '));
        this.input.onDone?.();
        return;
      } else this.respondUpstream(createResponse(this.request, 408, 'Request Timeout'));
    }
    this.report();
  }

  private report(): void {
    this.reported = true;
    this.input.conn.sendFrame(proxyDone(this.input.appMsgId));
    this.input.onDone?.();
  }

  private reportContinue(branch: ProxyBranch, res: SipResponse): void {
    if (this.reported) return;
    const raw = serializeMessage(res);
    this.input.conn.sendFrame(
      proxyContinue({
        appMsgId: this.input.appMsgId,
        bytes: raw.length,
        transport: branch.hop.transport,
        address: branch.hop.host,
        port: branch.hop.port,
        raw: raw.toString('utf8'),
      }),
    );
  }
}
