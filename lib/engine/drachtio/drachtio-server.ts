/**
 * The drachtio server side of the engine: the SipEngine's transaction user (EngineUser) and the
 * control channel's command handler. It classifies network requests (spec 11.1) and dispatches `sip`
 * commands (spec 6.2) to the UAS and UAC halves in ./ua/, and hands proxy work to the proxy hooks.
 */
import { pino, type Logger } from 'pino';
import type { EngineUser, SipEngine } from '../core/sip-engine.js';
import type { SipRequest, SipResponse } from '../messages/message.js';
import { systemClock, type Clock } from '../timers/clock.js';
import type { ServerTransaction } from '../transactions/transaction-user.js';
import { ConnectionUsage } from '../transport/connection-usage.js';
import type { ConnectionCloseReason, ConnectionInfo, Flow } from '../transport/types.js';
import type { AppCommand, AppConnection, AppRouter, CommandHandler, LocalAddresses, NextHopResolver, PendingRequests } from './contracts.js';
import { parseAppSipText } from './sip-text/app-message.js';
import { nok, no } from './wire/frames.js';
import { DialogStore } from './ua/dialog-store.js';
import { RegistrationCache } from './ua/registration-cache.js';
import { UasCore } from './ua/uas-core.js';
import { UacCore } from './ua/uac-core.js';
import type { UaContext } from './ua/ua-context.js';

/** What the proxy part (./proxy/) offers the server (spec 9, 11.1 steps 3-4). */
export interface ProxyHooks {
  handleProxyCommand(conn: AppConnection, cmd: AppCommand): void;
  /** spec 11.1 step 3: stateless forwarding of a request routed through us; true when taken. */
  tryStatelessForward(req: SipRequest, flow: Flow): boolean;
  /** spec 9.3: a CANCEL for a proxied INVITE; true when taken. */
  handleCancel(cancel: ServerTransaction): boolean;
  /** A response matching no transaction (stateless forwarding back); true when taken. */
  tryForwardStrayResponse(res: SipResponse, flow: Flow): boolean;
}

export interface DrachtioServerOptions {
  engine: SipEngine;
  router: AppRouter;
  local: LocalAddresses;
  resolver?: NextHopResolver;
  proxy?: ProxyHooks;
  logger?: Logger;
  clock?: Clock;
  /** spec 11.2: an app that does not answer a new request within this gets it answered 408. */
  appTimeoutMs?: number;
  /** RFC 3261 T1/T2 for 2xx retransmission and ACK/BYE timing (spec 12.5). */
  timers?: { T1?: number; T2?: number };
  /** spec 6.4: header names re-emitted exactly as the app wrote them. */
  preserveHeaders?: readonly string[];
  /** Hold-back of in-dialog requests right after a dialog is confirmed (ua-context.ts deliverSettled); 0 disables. */
  dialogSettleMs?: number;
}

export class DrachtioServer implements EngineUser, CommandHandler, PendingRequests {
  private readonly ctx: UaContext;
  private readonly uas: UasCore;
  private readonly uac: UacCore;
  private proxy: ProxyHooks | undefined;
  private readonly log: Logger;

  constructor(opts: DrachtioServerOptions) {
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'drachtio-ua' });
    const clock = opts.clock ?? systemClock;
    this.ctx = {
      engine: opts.engine,
      local: opts.local,
      resolver: opts.resolver,
      clock,
      log: this.log,
      dialogs: new DialogStore(),
      registrations: new RegistrationCache(clock),
      T1: opts.timers?.T1 ?? 500,
      T2: opts.timers?.T2 ?? 4000,
      preserve: opts.preserveHeaders,
      settleMs: opts.dialogSettleMs ?? 200,
      router: opts.router,
    };
    this.proxy = opts.proxy;
    this.uas = new UasCore(this.ctx, { router: opts.router, appTimeoutMs: opts.appTimeoutMs ?? 64_000 });
    this.uac = new UacCore(this.ctx);
  }

  /** The proxy is built after the server (it needs `this` as PendingRequests). */
  setProxy(proxy: ProxyHooks | undefined): void {
    this.proxy = proxy;
  }

  /** Counts for tests and metrics. */
  get stats(): { dialogs: number; pending: number; uacRequests: number; registrations: number } {
    return {
      dialogs: this.ctx.dialogs.size,
      pending: this.uas.pending.size,
      uacRequests: this.uac.size,
      registrations: this.ctx.registrations.size,
    };
  }

  stop(): void {
    for (const d of [...this.ctx.dialogs.values()]) {
      this.ctx.clock.clearTimer(d.ackTimer);
      this.ctx.clock.clearTimer(d.settleTimer);
      this.ctx.dialogs.remove(d);
    }
    this.uac.stop();
    this.uas.stop();
  }

  // ---------------------------------------------------------------- PendingRequests (contracts.ts)

  takeForProxy(transactionId: string, conn: AppConnection): ServerTransaction | undefined {
    return this.uas.pending.takeForProxy(transactionId, conn);
  }

  // ---------------------------------------------------------------- EngineUser

  /** spec 11.1: classify a new server transaction. */
  onRequest(txn: ServerTransaction): void {
    const req = txn.request;
    const method = req.method;
    if (method === 'ACK') return; // spec 11.2: an ACK outside any dialog is absorbed
    const proxy = this.proxy;
    const toTag = req.to.tag;
    // spec 11.1 step 5 before step 3: a dialog we hold is ours even if the peer sent a Route naming us.
    const fromTag = toTag === undefined ? undefined : req.from.tag;
    const d = fromTag === undefined ? undefined : this.ctx.dialogs.match(req.callId, toTag!, fromTag);
    if (d !== undefined) {
      this.uas.onInDialog(txn, d);
      return;
    }
    if (proxy !== undefined && toTag !== undefined && req.has('route') && proxy.tryStatelessForward(req, txn.flow)) {
      // Forwarded statelessly (spec 9.3): no response will come from us, so the server transaction must not wait
      // (it would count as pending work forever); a retransmission is simply forwarded again.
      txn.dispose();
      return;
    }
    if (method === 'CANCEL') {
      if (this.uas.onCancel(txn)) return;
      if (proxy !== undefined && proxy.handleCancel(txn)) return;
      this.uas.answerUnmatchedCancel(txn);
      return;
    }
    if (toTag !== undefined) {
      const early = method === 'INVITE' ? undefined : this.uac.inviteInProgress(req.callId, toTag);
      if (early !== undefined) {
        this.uas.onEarlyUac(txn, early.conn, early.dialogId);
        return;
      }
    }
    this.uas.onOutOfDialog(txn);
  }

  onAck(ack: SipRequest, flow: Flow): void {
    if (this.uas.onAck(ack, flow)) return;
    const proxy = this.proxy;
    if (proxy !== undefined && ack.has('route')) proxy.tryStatelessForward(ack, flow);
  }

  /** RFC 6026 7.2: a 2xx retransmission after its ICT ended: re-send the app's ACK (spec 13.3), else proxy's. */
  onStrayResponse(res: SipResponse, flow: Flow): void {
    const fromTag = res.from.tag;
    const toTag = res.to.tag;
    if (fromTag !== undefined && toTag !== undefined) {
      const d = this.ctx.dialogs.match(res.callId, fromTag, toTag);
      if (d !== undefined) {
        if (d.ack !== undefined && res.status >= 200 && res.status < 300 && res.cseq.method === 'INVITE') {
          this.ctx.engine.sendStateless(d.ack, d.target).catch(() => undefined);
        }
        return;
      }
    }
    this.proxy?.tryForwardStrayResponse(res, flow);
  }

  onConnectionClose(info: ConnectionInfo, _reason: ConnectionCloseReason): void {
    this.ctx.registrations.connectionClosed(info.id);
  }

  /**
   * Closes those of the given inbound connections that no transaction or dialog uses (reason `released`) and
   * returns their ids: for the layer above, which may know that a connection is no longer needed (e.g. its
   * registrations ended). Connections still in use are left open; the caller may ask again later.
   */
  releaseConnections(ids: readonly string[]): string[] {
    const { transport, transactions } = this.ctx.engine;
    const usage = new ConnectionUsage();
    transactions.noteConnectionsInUse(usage);
    for (const d of this.ctx.dialogs.values()) usage.note(d.target);
    const closed: string[] = [];
    for (const id of ids) {
      const info = transport.connection(id);
      if (info === undefined || !info.inbound || usage.uses(info)) continue;
      if (transport.close(id, 'released')) closed.push(id);
    }
    return closed;
  }

  // ---------------------------------------------------------------- CommandHandler

  /** spec 6.2 dispatch. */
  onSipCommand(conn: AppConnection, cmd: AppCommand): void {
    const msgId = cmd.msgId;
    const txnId = cmd.fields[2] ?? '';
    const dialogId = cmd.fields[3] ?? '';
    const parsed = parseAppSipText(cmd.sipText);
    if ('error' in parsed) {
      conn.sendFrame(nok(msgId, parsed.error));
      return;
    }
    try {
      if (parsed.kind === 'response') {
        if (txnId.length === 0) conn.sendFrame(nok(msgId, 'transaction id missing'));
        else this.uas.respond(conn, msgId, txnId, parsed);
        return;
      }
      if (dialogId.length > 0) {
        this.uac.sendInDialog(conn, msgId, dialogId, parsed);
        return;
      }
      if (txnId.length > 0) {
        if (parsed.method === 'CANCEL') this.uac.cancel(conn, msgId, txnId, parsed);
        else conn.sendFrame(nok(msgId, 'transaction id not allowed on a new request'));
        return;
      }
      this.uac.sendNew(conn, msgId, parsed, cmd.fields[4]).catch((err: unknown) => this.failed(conn, msgId, err));
    } catch (err) {
      this.failed(conn, msgId, err);
    }
  }

  onProxyCommand(conn: AppConnection, cmd: AppCommand): void {
    if (this.proxy === undefined) conn.sendFrame(no(cmd.msgId, 'proxy not supported'));
    else this.proxy.handleProxyCommand(conn, cmd);
  }

  /**
   * spec 15 (decision, documented in the spec's recommendation column): pending requests are answered 503 at
   * once; the app's dialogs are dropped, so their later requests get 481 from the out-of-dialog path exactly as
   * the real server answers them, without keeping orphaned state until a BYE that may never come; no BYE is
   * sent. Responses to the app's UAC transactions are dropped (non-2xx are still ACKed by the transaction layer).
   */
  onAppClosed(conn: AppConnection): void {
    this.uas.onAppClosed(conn);
    this.uac.onAppClosed(conn);
    const dialogs = this.ctx.dialogs;
    for (const d of [...dialogs.values()]) {
      if (d.owner !== conn) continue;
      this.ctx.clock.clearTimer(d.ackTimer);
      dialogs.remove(d);
    }
  }

  /** spec 15: every command gets exactly one reply, even when the SIP side throws. */
  private failed(conn: AppConnection, msgId: string, err: unknown): void {
    this.log.warn({ err }, 'sip command failed');
    conn.sendFrame(nok(msgId, 'Server error: ' + (err instanceof Error ? err.message : String(err))));
  }
}
