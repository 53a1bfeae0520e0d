/**
 * The stateful proxy behind the `proxy` command (spec 9) and the stateless forwarding on our
 * Record-Route (spec 9.3, 11.1 steps 3-4). The drachtio server calls these four entry points.
 */
import type { Logger } from 'pino';
import type { SipRequest, SipResponse } from '../../messages/message.js';
import type { RawHeader } from '../../messages/types.js';
import { createResponse } from '../../messages/response-factory.js';
import { systemClock, type Clock } from '../../timers/clock.js';
import type { ServerTransaction } from '../../transactions/transaction-user.js';
import type { Flow } from '../../transport/types.js';
import type {
  AppCommand,
  AppConnection,
  AppRouter,
  LocalAddresses,
  NextHopResolver,
  PendingRequests,
  SipEngineAccess,
} from '../contracts.js';
import { parseAppSipText } from '../sip-text/app-message.js';
import { applyHeaderRules } from '../sip-text/header-rules.js';
import { nok } from '../wire/frames.js';
import { ChallengeMemory } from './challenge-memory.js';
import { ProxyOperation } from './proxy-operation.js';
import { parseProxyOptions } from './proxy-options.js';
import { nextMaxForwards } from './proxy-request.js';
import { StatelessForwarder } from './stateless-forwarder.js';
import { emitCdr, type CdrSource, type CdrType } from '../ua/cdr-emitter.js';
import { RenewingMap } from '../../collections/renewing-map.js';

/** RFC 3261 16.6 step 11: Timer C is greater than 3 minutes. */
const TIMER_C_MS = 185_000;

export interface ProxyCoreOptions {
  engine: SipEngineAccess;
  pending: PendingRequests;
  local: LocalAddresses;
  resolver?: NextHopResolver;
  logger?: Logger;
  clock?: Clock;
  /** T1 of the engine's timers (kept for timer scaling; the transactions below own A/B/D). */
  t1Ms?: number;
  /** Timer C override (tests). */
  timerCMs?: number;
  /** Where CDRs of proxied calls go (spec 10); none without it. */
  router?: AppRouter;
}

/** RFC 3261 9.2 / 17.2.3: the upstream INVITE a CANCEL names: top Via branch and sent-by. */
function cancelKey(req: SipRequest): string {
  const via = req.via;
  return (via.branch ?? '') + '\n' + via.host + ':' + (via.port ?? '') + '\n' + req.callId;
}

export class ProxyCore {
  private readonly operations = new RenewingMap<string, ProxyOperation>();
  private readonly stateless: StatelessForwarder;
  private readonly challenges: ChallengeMemory;
  private readonly clock: Clock;
  private readonly timerCMs: number;

  constructor(private readonly opts: ProxyCoreOptions) {
    this.clock = opts.clock ?? systemClock;
    this.timerCMs = opts.timerCMs ?? TIMER_C_MS;
    this.stateless = new StatelessForwarder(opts);
    this.challenges = new ChallengeMemory(this.clock);
  }

  private readonly cdr = (type: CdrType, source: CdrSource, extra: string | undefined, msg: SipRequest | SipResponse): void => {
    if (this.opts.router !== undefined) emitCdr(this.opts.router, type, source, extra, msg);
  };

  /** Operations still tracked (for CANCEL matching), for tests and metrics. */
  get activeOperations(): number {
    return this.operations.size;
  }

  /** spec 9.1-9.3. */
  handleProxyCommand(conn: AppConnection, cmd: AppCommand): void {
    const options = parseProxyOptions(cmd.fields);
    const server = this.opts.pending.takeForProxy(options.transactionId, conn);
    if (server === undefined) {
      conn.sendFrame(nok(cmd.msgId, `Unknown transaction id: ${options.transactionId}`));
      return;
    }
    const req = server.request;
    const maxForwards = nextMaxForwards(req);
    if (maxForwards === undefined) {
      server.respond(createResponse(req, 483, 'Too Many Hops'));
      conn.sendFrame(nok(cmd.msgId, 'Rejected with 483 Too Many Hops due to Max-Forwards value of 0'));
      return;
    }
    // spec 9.3: a credentialled retry goes to the target that challenged it, whatever the app asked for.
    const pinned = this.challenges.targetFor(req);
    if (pinned !== undefined) options.destinations = [pinned];
    const key = cancelKey(req);
    const op = new ProxyOperation(
      {
        engine: this.opts.engine,
        local: this.opts.local,
        resolver: this.opts.resolver,
        logger: this.opts.logger,
        clock: this.clock,
        timerCMs: this.timerCMs,
        cdr: this.cdr,
      },
      {
        conn,
        appMsgId: cmd.msgId,
        server,
        options,
        maxForwards,
        extraHeaders: this.extraHeaders(cmd.sipText, server),
        onChallenge: (res, targetUri) => this.challenges.remember(res, targetUri),
      },
    );
    if (req.method === 'INVITE') {
      // Kept until the upstream transaction ends, so a late CANCEL still gets its 200 from us.
      this.operations.set(key, op);
      const previous = server.onTerminated;
      server.onTerminated = (txn) => {
        if (this.operations.get(key) === op) this.operations.delete(key);
        previous?.(txn);
      };
    }
    op.start();
  }

  /** Upstream CANCEL of a proxied INVITE (spec 9.3): 200 to the CANCEL, 487 upstream, CANCEL downstream. */
  handleCancel(cancel: ServerTransaction): boolean {
    const op = this.operations.get(cancelKey(cancel.request));
    if (op === undefined) return false;
    cancel.respond(createResponse(cancel.request, 200, 'OK'));
    op.cancelFromUpstream();
    return true;
  }

  /** spec 9.3 "Later in-dialog requests", 11.1 step 3. After `true` the caller keeps no state for the request. */
  tryStatelessForward(req: SipRequest, flow: Flow): boolean {
    return this.stateless.tryForwardRequest(req, flow);
  }

  /** Responses with our Via above another (RFC 3261 18.2.2): forwarded statelessly. */
  tryForwardStrayResponse(res: SipResponse, flow: Flow): boolean {
    return this.stateless.tryForwardResponse(res, flow);
  }

  /** The carrier text's headers through the spec 6.4 rules; the start line is ignored (spec 9.1). */
  private extraHeaders(sipText: string, server: ServerTransaction): RawHeader[] {
    if (sipText.length === 0) return [];
    const parsed = parseAppSipText(sipText);
    if ('error' in parsed) return [];
    const l = this.opts.local.listener(server.flow.transport);
    const headers = applyHeaderRules(parsed.headers, { localHostport: l === undefined ? '' : `${l.host}:${l.port}` });
    // The carrier's Content-Length (and any body headers) describe the carrier, not the proxied request.
    return headers.filter((h) => {
      const n = h.name.toLowerCase();
      return n !== 'content-length' && n !== 'l' && n !== 'content-type' && n !== 'c';
    });
  }
}
