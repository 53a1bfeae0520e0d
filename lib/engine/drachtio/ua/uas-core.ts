/**
 * The UAS half (spec 11, 12): network requests to apps (new and in-dialog), the apps' responses,
 * CANCEL of INVITEs an app handles, ACK delivery and 2xx reliability.
 */
import type { SipRequest, SipResponse } from '../../messages/message.js';
import { createResponse } from '../../messages/response-factory.js';
import { serializeMessage } from '../../messages/serializer.js';
import { generateTag } from '../../messages/ids.js';
import { headerKey } from '../../messages/header-names.js';
import type { ServerTransaction } from '../../transactions/transaction-user.js';
import type { Flow } from '../../transport/types.js';
import type { AppConnection, AppRouter } from '../contracts.js';
import { nok, okSentResponse } from '../wire/frames.js';
import { endsSubscription, refreshTarget, type Dialog } from './dialog-store.js';
import { dialogIdOf, newTransactionId } from './dialog-ids.js';
import { PendingRequestTable, type ServerEntry } from './pending-requests.js';
import { cacheRegistration } from './registration-cache.js';
import { appToTag, buildUasResponse, type AppResponse } from './uas-responder.js';
import { startAckWait } from './uas-ack-wait.js';
import { createUasDialog } from './uas-dialog.js';
import { emitCdr, rejectReason } from './cdr-emitter.js';
import { ReliableProvisionals } from './reliable-provisionals.js';
import { contactFor, hostport } from './uac-requester.js';
import { deliver, deliverSettled, endDialogUnsolicited, listenerFor, startSettling, type UaContext } from './ua-context.js';
import { RenewingMap } from '../../collections/renewing-map.js';

/** spec 11.2: methods routed to apps when they arrive outside a dialog. */
const ROUTABLE: ReadonlySet<string> = new Set(['INVITE', 'REGISTER', 'MESSAGE', 'OPTIONS', 'INFO', 'NOTIFY', 'SUBSCRIBE', 'PUBLISH']);

export interface UasOptions {
  router: AppRouter;
  /** spec 11.2: unanswered new requests get 408 after this long. */
  appTimeoutMs: number;
}

/** The INVITE that starts a call (not a re-INVITE, not a request on the app's early UAC dialog): what CDRs track. */
function isInitialInvite(req: SipRequest): boolean {
  return req.method === 'INVITE' && req.to.tag === undefined;
}

function peerOf(flow: Flow): { transport: string; address: string; port: number } {
  return { transport: flow.transport, address: flow.remoteAddress, port: flow.remotePort };
}

/** spec 12.2: a Require (or Supported) header listing 100rel. */
function lists100rel(values: readonly string[]): boolean {
  for (const v of values) if (v.toLowerCase().includes('100rel')) return true;
  return false;
}

/** spec 12.2: the app's provisional asks to be sent reliably. */
function appRequires100rel(app: AppResponse): boolean {
  for (const h of app.headers) {
    if (headerKey(h.name) === 'require' && h.value.toLowerCase().includes('100rel')) return true;
  }
  return false;
}

export class UasCore {
  readonly pending: PendingRequestTable;
  /** INVITE server transactions whose 2xx awaits an ACK: CANCEL after 200 (spec 11.5). */
  private readonly awaitingAck = new RenewingMap<ServerTransaction, Dialog>();
  private readonly reliable1xx: ReliableProvisionals;

  constructor(
    private readonly ctx: UaContext,
    private readonly opts: UasOptions,
  ) {
    this.pending = new PendingRequestTable((e) => this.ctx.clock.clearTimer(e.timer));
    this.reliable1xx = new ReliableProvisionals(ctx.clock, ctx.T1, ctx.T2);
  }

  // ---------------------------------------------------------------- network -> app (spec 11)

  /** A request outside any known dialog (spec 11.2). */
  onOutOfDialog(txn: ServerTransaction): void {
    const req = txn.request;
    const method = req.method;
    if (!ROUTABLE.has(method) || req.to.tag !== undefined) {
      // spec 11.2: BYE/UPDATE/INVITE with an unknown To tag, and REFER/PRACK/unknown methods: 481.
      txn.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist', { toTag: generateTag() }));
      return;
    }
    const conn = this.opts.router.pick(method);
    if (conn === undefined) {
      txn.respond(createResponse(req, 503, 'Service Unavailable', { toTag: generateTag() }));
      return;
    }
    const dialogId = method === 'INVITE' || method === 'SUBSCRIBE' ? dialogIdOf(req.callId, req.from.tag ?? '') : '';
    const e: ServerEntry = { transactionId: newTransactionId(), txn, conn, dialogId };
    this.track(e, 408);
    const flow = txn.flow;
    deliver(conn, req, peerOf(flow), e.transactionId, '', this.receivedOn(flow));
    if (method === 'INVITE') emitCdr(this.ctx.router, 'cdr:attempt', 'network', undefined, req);
  }

  /** spec 11.4: a request matching dialog `d`. */
  onInDialog(txn: ServerTransaction, d: Dialog): void {
    const req = txn.request;
    if (req.method === 'BYE') {
      this.ctx.dialogs.remove(d); // spec 11.4: removed on arrival
      if (d.method === 'INVITE') emitCdr(this.ctx.router, 'cdr:stop', 'network', 'normal-release', req);
    } else if (req.method === 'PRACK' && d.role === 'uas') this.reliable1xx.acknowledge(d.id, req.get('rack'));
    if (d.owner.closed) {
      txn.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist'));
      return;
    }
    // spec 6.5: the echo's dialogId is only set for INVITE/SUBSCRIBE (A.1: a BYE's 200 has none).
    const echoDialogId = req.method === 'INVITE' || req.method === 'SUBSCRIBE' ? d.id : '';
    const e: ServerEntry = { transactionId: newTransactionId(), txn, conn: d.owner, dialogId: echoDialogId, dialog: d, localTag: d.localTag };
    // spec 15: an unanswered BYE is cleaned up after 64*T1 (32 s), other in-dialog requests like new ones.
    this.track(e, 500, req.method === 'BYE' ? 64 * this.ctx.T1 : this.opts.appTimeoutMs);
    const peer = peerOf(txn.flow);
    deliverSettled(this.ctx, d, () => {
      // Held past the owner's disconnect: onAppClosed already answered the request.
      if (!d.owner.closed) deliver(d.owner, req, peer, e.transactionId, d.id);
    });
    // spec 11.4: a NOTIFY ending the subscription ends its dialog after delivery (refer subscriptions excepted).
    if (req.method === 'NOTIFY' && d.method === 'SUBSCRIBE' && endsSubscription(req)) this.ctx.dialogs.remove(d);
  }

  /** spec 11.4: a request on the app's early UAC dialog (no dialog state yet): to the app that sent the INVITE. */
  onEarlyUac(txn: ServerTransaction, conn: AppConnection, dialogId: string): void {
    const req = txn.request;
    const e: ServerEntry = { transactionId: newTransactionId(), txn, conn, dialogId: '', localTag: req.to.tag };
    this.track(e, 500);
    deliver(conn, req, peerOf(txn.flow), e.transactionId, dialogId);
  }

  /** spec 11.4: ACK for a 2xx (the transaction layer absorbed non-2xx ACKs). */
  onAck(ack: SipRequest, flow: Flow): boolean {
    const toTag = ack.to.tag;
    const fromTag = ack.from.tag;
    if (toTag === undefined || fromTag === undefined) return false;
    const d = this.ctx.dialogs.match(ack.callId, toTag, fromTag);
    if (d === undefined) return false;
    const wait = d.ackWait;
    if (wait === undefined) return true; // a retransmitted ACK: delivered once already
    wait.stop();
    d.ackWait = undefined;
    if (d.ackTxn !== undefined) this.awaitingAck.delete(d.ackTxn);
    d.ackTxn = undefined;
    if (!d.owner.closed) deliver(d.owner, ack, peerOf(flow), d.inviteTransactionId, d.id);
    return true;
  }

  /** spec 11.5: CANCEL of an INVITE an app handles; false when it is not ours. */
  onCancel(cancelTxn: ServerTransaction): boolean {
    const cancel = cancelTxn.request;
    const inv = this.ctx.engine.transactions.findInviteServerTransaction(cancel);
    if (inv === undefined) return false;
    const e = this.pending.forTransaction(inv);
    if (e !== undefined && !inv.hasFinalResponse) {
      cancelTxn.respond(createResponse(cancel, 200, 'OK', { toTag: e.localTag ?? generateTag() }));
      e.localTag ??= generateTag();
      inv.respond(createResponse(inv.request, 487, 'Request Terminated', { toTag: e.localTag }));
      this.finish(e);
      if (e.dialog !== undefined && !e.dialog.confirmed) this.ctx.dialogs.remove(e.dialog);
      deliver(e.conn, cancel, peerOf(cancelTxn.flow), e.transactionId, e.dialog?.id ?? '');
      // spec 10: the network CANCEL is the stop record; the 487 it caused is not reported again.
      emitCdr(this.ctx.router, 'cdr:stop', 'network', 'call-canceled', cancel);
      return true;
    }
    const d = this.awaitingAck.get(inv);
    if (d !== undefined) {
      // spec 11.5: CANCEL after the 2xx: 481, then the engine ends the call itself.
      this.awaitingAck.delete(inv);
      cancelTxn.respond(createResponse(cancel, 481, 'Call/Transaction Does Not Exist'));
      endDialogUnsolicited(this.ctx, d, 'CANCEL after 200 OK');
      return true;
    }
    return false;
  }

  /**
   * A CANCEL neither an app nor the proxy handles: RFC 3261 9.2, 200 when its INVITE transaction still
   * exists (already answered finally, so the CANCEL has no effect), else 481 (spec 11.2).
   */
  answerUnmatchedCancel(cancelTxn: ServerTransaction): void {
    const cancel = cancelTxn.request;
    const known = this.ctx.engine.transactions.findInviteServerTransaction(cancel) !== undefined;
    cancelTxn.respond(createResponse(cancel, known ? 200 : 481, undefined, { toTag: generateTag() }));
  }

  /** Shutdown: forget pending requests and their timers (the engine is stopping; nothing more is sent). */
  stop(): void {
    for (const e of this.pending.all()) this.finish(e);
    this.awaitingAck.clear();
  }

  /** spec 15: the app is gone; its pending requests are answered 503 at once rather than after appTimeoutMs. */
  onAppClosed(conn: AppConnection): void {
    for (const e of this.pending.ofConnection(conn)) {
      this.finish(e);
      if (!e.txn.hasFinalResponse) {
        const req = e.txn.request;
        const res = createResponse(req, 503, 'Service Unavailable', { toTag: e.localTag ?? generateTag() });
        e.txn.respond(res);
        this.engineFinalCdr(req, res);
      }
    }
  }

  // ---------------------------------------------------------------- app -> network (spec 12)

  /** An app's response to transactionId `txnId` (spec 12.1-12.3). */
  respond(conn: AppConnection, msgId: string, txnId: string, app: AppResponse): void {
    const e = this.pending.get(txnId);
    if (e === undefined || e.txn.hasFinalResponse) {
      conn.sendFrame(nok(msgId, 'Response not sent due to unknown transaction'));
      return;
    }
    const txn = e.txn;
    const req = txn.request;
    const flow = txn.flow;
    if (flow.connectionId !== undefined && this.ctx.engine.transport.connection(flow.connectionId) === undefined) {
      // spec 14.2: the arrival connection is gone.
      this.finish(e);
      conn.sendFrame(nok(msgId, 'transport for response has been shutdown or closed'));
      return;
    }
    const status = app.status;
    const method = req.method;
    const l = listenerFor(this.ctx.local, flow.transport);
    if (l === undefined) {
      conn.sendFrame(nok(msgId, 'requested protocol/transport not available'));
      return;
    }
    const isDialogMethod = method === 'INVITE' || method === 'SUBSCRIBE';
    const inDialog = e.dialog !== undefined && e.dialog.inviteTransactionId !== e.transactionId;
    let reliable = false;
    if (status > 100 && status < 200 && method === 'INVITE' && appRequires100rel(app)) {
      if (!lists100rel(req.getAll('supported')) && !lists100rel(req.getAll('require'))) {
        conn.sendFrame(nok(msgId, 'Remote endpoint does not support 100rel'));
        return;
      }
      reliable = true;
    }
    if (status > 100 && e.localTag === undefined) e.localTag = req.to.tag ?? appToTag(app.headers) ?? generateTag();
    const wantContact = isDialogMethod && status > 100 && (inDialog || (status >= 200 && status < 300) || reliable);
    const built = buildUasResponse(req, app, {
      toTag: e.localTag,
      contact: contactFor(l),
      wantContact,
      localHostport: hostport(l),
      preserve: this.ctx.preserve,
    });
    if ('error' in built) {
      conn.sendFrame(nok(msgId, built.error));
      return;
    }
    const res = built.res;
    if (reliable) {
      e.rseq = e.rseq === undefined ? 1 + Math.floor(Math.random() * 0xffff) : e.rseq + 1;
      res.append('RSeq', String(e.rseq));
    }
    // spec 19.4: the dialog exists (bound to the app) before anything the app could see on it.
    let d = e.dialog;
    if (d === undefined && isDialogMethod && !inDialog && status > 100 && status < 300 && this.ctx.dialogs.get(e.dialogId) !== undefined) {
      // spec 12.1: a forked copy of an INVITE whose dialog id is already in use.
      this.finish(e);
      const refused = createResponse(req, 480, 'Temporarily Unavailable', { toTag: e.localTag });
      txn.respond(refused);
      this.engineFinalCdr(req, refused);
      conn.sendFrame(nok(msgId, 'dialog already exists, rejecting this request'));
      return;
    }
    if (isDialogMethod && !inDialog && status > 100 && status < 300) {
      d ??= createUasDialog(e, res, built.contact ?? contactFor(l));
      this.ctx.dialogs.add(d);
      if (status >= 200) {
        d.confirmed = true;
        startSettling(this.ctx, d);
      }
    }
    txn.respond(res);
    if (reliable) {
      const key = e.dialogId;
      this.reliable1xx.start(
        key,
        e.rseq!,
        flow.transport === 'udp',
        () => void this.ctx.engine.sendStateless(res, flow).catch(() => undefined),
        () => this.reliableTimeout(e),
      );
    }
    const wire = serializeMessage(res);
    conn.sendFrame(
      okSentResponse({
        appMsgId: msgId,
        bytes: wire.length,
        transport: flow.transport,
        address: flow.remoteAddress,
        port: flow.remotePort,
        transactionId: e.transactionId,
        dialogId: e.dialogId,
        raw: wire.toString('utf8'),
      }),
    );
    if (status < 200) {
      this.ctx.clock.clearTimer(e.timer); // the app is handling it; no 408 from us now
      e.timer = undefined;
      return;
    }
    if (isInitialInvite(req)) {
      if (status < 300) emitCdr(this.ctx.router, 'cdr:start', 'application', 'uas', res);
      else emitCdr(this.ctx.router, 'cdr:stop', 'application', rejectReason(status), res);
    }
    this.afterFinal(e, req, res, d, inDialog);
  }

  /**
   * spec 12.3: bookkeeping once the app's final response is out. `req` is passed in: a completed UDP non-INVITE
   * transaction has already let its request go.
   */
  private afterFinal(e: ServerEntry, req: SipRequest, res: SipResponse, d: Dialog | undefined, inDialog: boolean): void {
    this.finish(e);
    const txn = e.txn;
    const method = req.method;
    if (res.status >= 300) {
      // spec 12.4: the early dialog of a failed INVITE/SUBSCRIBE goes; an established one stays.
      if (!inDialog && d !== undefined) this.ctx.dialogs.remove(d);
      return;
    }
    if (inDialog && d !== undefined && (method === 'INVITE' || method === 'UPDATE')) refreshTarget(d, req);
    if (method === 'INVITE' && d !== undefined) {
      if (inDialog) d.inviteTransactionId = newTransactionId(); // spec 8: a fresh id for a re-INVITE's ACK
      this.awaitAck(d, txn, res);
    }
    const connectionId = txn.flow.connectionId;
    if ((method === 'REGISTER' || method === 'SUBSCRIBE') && connectionId !== undefined) {
      cacheRegistration(this.ctx.registrations, res, connectionId);
    }
  }

  // ---------------------------------------------------------------- internals

  /** spec 15: a reliable 1xx never PRACKed: the INVITE is refused 503 and its early dialog dropped. */
  private reliableTimeout(e: ServerEntry): void {
    if (e.txn.hasFinalResponse) return;
    this.finish(e);
    this.reliable1xx.stopAll(e.dialogId);
    if (e.dialog !== undefined && !e.dialog.confirmed) this.ctx.dialogs.remove(e.dialog);
    const req = e.txn.request;
    const res = createResponse(req, 503, 'Reliable Response Time-Out', { toTag: e.localTag });
    e.txn.respond(res);
    this.engineFinalCdr(req, res);
  }

  /**
   * spec 10: a >= 300 final the engine sends on the app's behalf (no answer in time, app gone, 100rel
   * timeout) still ends the attempt the app was told about, so it gets its stop record.
   */
  private engineFinalCdr(req: SipRequest, res: SipResponse): void {
    if (isInitialInvite(req)) emitCdr(this.ctx.router, 'cdr:stop', 'application', rejectReason(res.status), res);
  }

  private receivedOn(flow: Flow): { host: string; port: number } {
    const a = flow.localAddress;
    if (a !== '0.0.0.0' && a !== '::') return { host: a, port: flow.localPort };
    const l = this.ctx.local.listener(flow.transport);
    return l ?? { host: a, port: flow.localPort };
  }

  private track(e: ServerEntry, timeoutStatus: number, timeoutMs = this.opts.appTimeoutMs): void {
    e.timer = this.ctx.clock.setTimer(timeoutMs, () => {
      e.timer = undefined;
      this.finish(e);
      if (!e.txn.hasFinalResponse) {
        this.ctx.log.debug({ txnId: e.transactionId }, 'app did not answer in time');
        // Read before responding: a completed non-INVITE transaction releases its request.
        const req = e.txn.request;
        const res = createResponse(req, timeoutStatus, undefined, { toTag: e.localTag ?? generateTag() });
        e.txn.respond(res);
        this.engineFinalCdr(req, res);
      }
    });
    this.pending.add(e);
    e.txn.onTerminated = () => {
      // transport failure or Timer H: nothing more can be answered
      if (this.pending.get(e.transactionId) === e) this.finish(e);
    };
  }

  private finish(e: ServerEntry): void {
    if (e.rseq !== undefined) this.reliable1xx.stopAll(e.dialogId);
    this.ctx.clock.clearTimer(e.timer);
    e.timer = undefined;
    this.pending.remove(e);
  }

  /** spec 12.5: retransmit the 2xx over UDP until the ACK; BYE after 64*T1. */
  private awaitAck(d: Dialog, txn: ServerTransaction, res: SipResponse): void {
    d.ackWait?.stop();
    if (d.ackTxn !== undefined) this.awaitingAck.delete(d.ackTxn);
    d.ackTxn = txn;
    this.awaitingAck.set(txn, d);
    const flow = txn.flow;
    d.ackWait = startAckWait({
      clock: this.ctx.clock,
      T1: this.ctx.T1,
      T2: this.ctx.T2,
      retransmit: flow.transport === 'udp',
      resend: () => {
        this.ctx.engine.sendStateless(res, flow).catch(() => undefined);
      },
      onTimeout: () => {
        d.ackWait = undefined;
        d.ackTxn = undefined;
        this.awaitingAck.delete(txn);
        if (this.ctx.dialogs.has(d)) endDialogUnsolicited(this.ctx, d, 'ACK timeout');
      },
    });
  }
}
