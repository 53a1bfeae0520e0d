/**
 * The UAC half (spec 13): requests apps originate, out of dialog and in dialog, their responses
 * delivered back (spec 7.4), ACK for 2xx (13.3), CANCEL (13.6) and the engine-generated 408/503 (13.2).
 */
import type { SipResponse } from '../../messages/message.js';
import { createCancel, createResponse } from '../../messages/response-factory.js';
import { serializeMessage } from '../../messages/serializer.js';
import { tryParseNameAddr } from '../../messages/name-addr.js';
import { tryParseUri } from '../../messages/uri.js';
import { applyHeaderRules } from '../sip-text/header-rules.js';
import { headerKey } from '../../messages/header-names.js';
import type { SendTarget } from '../../transport/types.js';
import type { ClientTransactionUser } from '../../transactions/transaction-user.js';
import type { TimerHandle } from '../../timers/clock.js';
import type { AppConnection } from '../contracts.js';
import { nok, okSentRequest, sipFrame } from '../wire/frames.js';
import { endsSubscription, refreshTarget, type Dialog } from './dialog-store.js';
import { dialogIdOf, dialogKey, newTransactionId } from './dialog-ids.js';
import { userAtHost } from './registration-cache.js';
import { buildInDialogRequest, buildOutOfDialogRequest, contactFor, hostport, type AppRequest, type Listener } from './uac-requester.js';
import { endDialogUnsolicited, ignoreResponses, listenerFor, startSettling, type UaContext } from './ua-context.js';
import { literalTarget, resolveTarget } from './uri-target.js';
import { UacRequest, type UacEvents } from './uac-transaction.js';
import { emitCdr, rejectReason } from './cdr-emitter.js';
import { RenewingMap } from '../../collections/renewing-map.js';

/** spec 14.4: methods that may reach a client over its registration connection. */
const REG_REUSE: ReadonlySet<string> = new Set(['INVITE', 'OPTIONS', 'NOTIFY', 'MESSAGE']);
/** Headers an app may not put on a CANCEL (spec 13.6). */
const CANCEL_IGNORED: ReadonlySet<string> = new Set(['from', 'to', 'contact', 'p-asserted-identity', 'call-id', 'cseq', 'max-forwards']);

export class UacCore implements UacEvents {
  private readonly requests = new RenewingMap<string, UacRequest>();
  /**
   * Out-of-dialog INVITEs/SUBSCRIBEs without a final response, by dialog id: early requests from the callee
   * (spec 11.4), and NOTIFYs that overtake the SUBSCRIBE's 2xx (RFC 6665 4.1.2.4).
   */
  private readonly invitesInProgress = new RenewingMap<string, UacRequest>();
  /** spec 13.3: dialog ids of INVITEs that ended non-2xx, so the app's ACK gets the right NOK. */
  private readonly failedInvites = new RenewingMap<string, TimerHandle>();

  constructor(private readonly ctx: UaContext) {}

  get size(): number {
    return this.requests.size;
  }

  // ---------------------------------------------------------------- app -> network

  /** spec 13.1: a new out-of-dialog request. */
  async sendNew(conn: AppConnection, msgId: string, app: AppRequest, routeUrl: string | undefined): Promise<void> {
    const ruri = tryParseUri(app.uri);
    if (ruri === undefined || ruri.host.length === 0) {
      conn.sendFrame(nok(msgId, 'invalid request-uri: ' + app.method + ' ' + app.uri + ' SIP/2.0'));
      return;
    }
    let target: SendTarget | undefined;
    if (routeUrl !== undefined && routeUrl.length > 0) {
      // spec 6.1: a bare host[:port] gets the sip: scheme
      const head = routeUrl.slice(0, 5).toLowerCase();
      const hop = tryParseUri(head.startsWith('sip:') || head === 'sips:' ? routeUrl : 'sip:' + routeUrl);
      if (hop === undefined) {
        conn.sendFrame(nok(msgId, 'invalid request-uri: ' + routeUrl));
        return;
      }
      if (this.ctx.local.isLocal(hop.host, hop.port)) {
        conn.sendFrame(nok(msgId, 'can not send request to myself'));
        return;
      }
      target = await this.resolve(hop);
    } else {
      if (this.ctx.local.isLocal(ruri.host, ruri.port)) {
        conn.sendFrame(nok(msgId, 'can not send request to myself'));
        return;
      }
      if (REG_REUSE.has(app.method)) target = this.registeredTarget(ruri.user, ruri.host);
      target ??= await this.resolve(ruri);
    }
    if (target === undefined) {
      conn.sendFrame(nok(msgId, 'requested protocol/transport not available'));
      return;
    }
    const l = listenerFor(this.ctx.local, target.transport);
    if (l === undefined) {
      conn.sendFrame(nok(msgId, 'requested protocol/transport not available'));
      return;
    }
    const built = buildOutOfDialogRequest(app, l, this.ctx.preserve);
    if ('error' in built) {
      conn.sendFrame(nok(msgId, built.error));
      return;
    }
    const req = built.req;
    const creates = app.method === 'INVITE' || app.method === 'SUBSCRIBE';
    const dialogId = creates ? dialogIdOf(req.callId, built.localTag) : '';
    const u = new UacRequest(
      this,
      conn,
      newTransactionId(),
      req,
      target,
      dialogId,
      creates ? { localTag: built.localTag, contact: built.contact ?? contactFor(l) } : undefined,
      undefined,
    );
    this.start(u, msgId);
  }

  /** spec 13.3 / 13.4 / 13.5: a request inside dialog `dialogId`. */
  sendInDialog(conn: AppConnection, msgId: string, dialogId: string, app: AppRequest): void {
    const method = app.method;
    const d = this.ctx.dialogs.get(dialogId);
    if (d === undefined) {
      if (method === 'ACK' && this.failedInvites.has(dialogId)) {
        conn.sendFrame(nok(msgId, 'ACK for non-success final response is automatically generated by server'));
      } else {
        conn.sendFrame(nok(msgId, 'Server error: unable to find dialog for dialog id provided'));
      }
      return;
    }
    const target = this.dialogTarget(d);
    const l = listenerFor(this.ctx.local, target.transport);
    if (l === undefined) {
      conn.sendFrame(nok(msgId, 'requested protocol/transport not available'));
      return;
    }
    if (method === 'ACK') {
      this.sendAck(conn, msgId, d, app, target, l);
      return;
    }
    if (method === 'BYE' && d.pendingReinvite !== undefined) this.cancelReinvite(d);
    const cseq = ++d.localCseq;
    const req = buildInDialogRequest(d, method, cseq, app, l, this.ctx.preserve);
    if ('error' in req) {
      conn.sendFrame(nok(msgId, req.error));
      return;
    }
    if (method === 'INVITE') d.inviteCseq = cseq;
    const u = new UacRequest(this, conn, newTransactionId(), req, target, d.id, undefined, d);
    if (method === 'INVITE') d.pendingReinvite = u.transactionId;
    this.start(u, msgId);
  }

  /** spec 13.4: BYE while the app's re-INVITE is pending: CANCEL it first (RFC 3261 9.1: only after a provisional) and drop it. */
  private cancelReinvite(d: Dialog): void {
    const u = this.requests.get(d.pendingReinvite!);
    d.pendingReinvite = undefined;
    if (u === undefined || u.final) return;
    u.final = true;
    this.requests.delete(u.transactionId);
    if (u.provisional) this.ctx.engine.sendRequest(createCancel(u.req), u.target, ignoreResponses);
  }

  /** spec 13.6: CANCEL of the app's INVITE `inviteTxnId`. */
  cancel(conn: AppConnection, msgId: string, inviteTxnId: string, app: AppRequest): void {
    const u = this.requests.get(inviteTxnId);
    if (u === undefined || u.req.method !== 'INVITE' || u.final) {
      conn.sendFrame(nok(msgId, 'unable to cancel unknown transaction id: ' + inviteTxnId));
      return;
    }
    const l = listenerFor(this.ctx.local, u.target.transport);
    const cancel = createCancel(u.req);
    if (l !== undefined) {
      const extra = applyHeaderRules(app.headers, { localHostport: hostport(l), preserve: this.ctx.preserve });
      for (const h of extra) if (!CANCEL_IGNORED.has(headerKey(h.name))) cancel.append(h.name, h.value);
    }
    u.cancelled = true;
    // RFC 3261 9.1 / spec 13.6 safety net: no final within 64*T1 of the CANCEL ends the INVITE for the app.
    this.ctx.clock.setTimer(64 * this.ctx.T1, () => this.onFailure(u, 408, 'Request Timeout'));
    const wire = serializeMessage(cancel);
    echoRequest(conn, msgId, u.target, newTransactionId(), wire);
    // RFC 3261 9.1: no CANCEL before a provisional; hold it until one arrives.
    if (u.provisional) this.ctx.engine.sendRequest(cancel, u.target, ignoreResponses);
    else u.heldCancel = cancel;
  }

  // ---------------------------------------------------------------- network -> app

  /**
   * spec 11.4 (UAC early dialog): a request from the callee while the app's INVITE is pending, e.g. UPDATE
   * after an unreliable 18x. Its To tag is our From tag, so the INVITE is found by dialog id.
   */
  inviteInProgress(callId: string, toTag: string): { conn: AppConnection; dialogId: string } | undefined {
    const u = this.invitesInProgress.get(dialogIdOf(callId, toTag));
    return u === undefined || u.conn.closed ? undefined : { conn: u.conn, dialogId: u.dialogId };
  }

  onResponse(u: UacRequest, res: SipResponse): void {
    const status = res.status;
    const method = u.req.method;
    if (status < 200) {
      if (!u.provisional) {
        u.provisional = true;
        const held = u.heldCancel;
        u.heldCancel = undefined;
        if (held !== undefined) this.ctx.engine.sendRequest(held, u.target, ignoreResponses);
      }
      if (u.creates !== undefined && method === 'INVITE' && res.has('rseq') && res.to.tag !== undefined) this.uacDialog(u, res, false);
      u.send(this.frame(u, res));
      return;
    }
    if (u.final) return; // later 2xx go to acceptedUser()
    u.final = true;
    if (this.invitesInProgress.get(u.dialogId) === u) this.invitesInProgress.delete(u.dialogId);
    if (u.creates !== undefined && method === 'INVITE') {
      if (status < 300) emitCdr(this.ctx.router, 'cdr:start', 'network', 'uac', res);
      else emitCdr(this.ctx.router, 'cdr:stop', 'network', rejectReason(status), res);
    }
    // 2xx retransmissions still reach `u` through the Accepted ICT (RFC 6026); the id lookup is only for CANCEL.
    this.requests.delete(u.transactionId);
    if (u.creates !== undefined) {
      if (status < 300) {
        this.uacDialog(u, res, true);
      } else {
        if (u.dialog !== undefined) this.ctx.dialogs.remove(u.dialog);
        if (method === 'INVITE') this.rememberFailedInvite(u.dialogId);
      }
    } else if (u.inDialog !== undefined) {
      const d = u.inDialog;
      if (method === 'BYE' && status !== 401 && status !== 407) this.ctx.dialogs.remove(d);
      else if (method === 'NOTIFY' && d.method === 'SUBSCRIBE' && endsSubscription(u.req)) this.ctx.dialogs.remove(d);
      if (method === 'INVITE' && d.pendingReinvite === u.transactionId) d.pendingReinvite = undefined;
      if (method === 'INVITE' && status < 300) d.ack = undefined; // a new 2xx needs the app's new ACK
      if ((method === 'INVITE' || method === 'UPDATE') && status < 300) refreshTarget(d, res);
    }
    u.send(this.frame(u, res));
  }

  /**
   * RFC 6026 7.2: a 2xx retransmission through the Accepted ICT re-sends our ACK and is never delivered
   * (spec 13.3). Only the dialog is kept for that, not the request or the app's transaction state.
   */
  acceptedUser(u: UacRequest): ClientTransactionUser {
    const d = u.dialog ?? u.inDialog;
    if (d === undefined) return ignoreResponses;
    return {
      onResponse: (res) => {
        if (res.status >= 200 && res.status < 300 && d.ack !== undefined) this.ctx.engine.sendStateless(d.ack, d.target).catch(() => undefined);
      },
      onTimeout: () => undefined,
      onTransportError: () => undefined,
    };
  }

  onFailure(u: UacRequest, status: number, reason: string): void {
    if (u.final) return;
    u.final = true;
    this.requests.delete(u.transactionId);
    if (this.invitesInProgress.get(u.dialogId) === u) this.invitesInProgress.delete(u.dialogId);
    if (u.dialog !== undefined) this.ctx.dialogs.remove(u.dialog);
    if (u.req.method === 'INVITE' && u.creates !== undefined) this.rememberFailedInvite(u.dialogId);
    // spec 13.2: an engine-generated final response, as if from the network.
    const res = createResponse(u.req, status, reason);
    // Reported like a received final: the app sees it as the network's answer (spec 13.2).
    if (u.req.method === 'INVITE' && u.creates !== undefined) emitCdr(this.ctx.router, 'cdr:stop', 'network', rejectReason(status), res);
    u.send(this.frame(u, res));
  }

  /** UAC dialog state from a 2xx (or reliable 1xx) to the app's INVITE/SUBSCRIBE (spec 13.1). */
  private uacDialog(u: UacRequest, res: SipResponse, confirmed: boolean): void {
    // spec 15: the app left before its INVITE was answered. onAppClosed already dropped its dialogs, and one
    // filed now would never be ACKed, BYEd or dropped (nothing owns it), so it is not created; the peer, never
    // ACKed, ends its side itself (RFC 3261 13.3.1.4), as for an app that never ACKs (spec 15 table).
    if (u.conn.closed) return;
    const remoteTag = res.to.tag ?? '';
    const existing = u.dialog;
    if (existing !== undefined && existing.remoteTag === remoteTag) {
      if (confirmed) {
        existing.confirmed = true;
        startSettling(this.ctx, existing);
      }
      return;
    }
    const creates = u.creates!;
    const req = u.req;
    const contacts = res.getList('contact');
    const na = contacts.length > 0 ? tryParseNameAddr(contacts[0]!) : undefined;
    const remoteTarget = na?.uri ?? req.uri;
    const routeSet = res.getList('record-route').reverse();
    const d: Dialog = {
      id: u.dialogId,
      key: dialogKey(req.callId, creates.localTag, remoteTag),
      role: 'uac',
      method: req.method === 'SUBSCRIBE' ? 'SUBSCRIBE' : 'INVITE',
      callId: req.callId,
      localTag: creates.localTag,
      remoteTag,
      localHeader: req.get('from') ?? '',
      remoteHeader: res.get('to') ?? '',
      remoteTarget,
      routeSet,
      localContact: creates.contact,
      localCseq: req.cseq.seq,
      target: u.target,
      owner: u.conn,
      inviteTransactionId: u.transactionId,
      inviteCseq: req.cseq.seq,
      confirmed,
    };
    if (confirmed) startSettling(this.ctx, d);
    u.dialog = d;
    this.ctx.dialogs.add(d);
    if (confirmed && u.cancelled) {
      // spec 13.3: CANCEL/200 race: the app's ACK goes out, then the engine sends BYE.
      d.byeAfterAck = true;
    }
  }

  // ---------------------------------------------------------------- internals

  private start(u: UacRequest, msgId: string): void {
    const req = u.req;
    const wire = serializeMessage(req);
    this.requests.set(u.transactionId, u);
    if (u.creates !== undefined) this.invitesInProgress.set(u.dialogId, u);
    try {
      u.ctxn = this.ctx.engine.sendRequest(req, u.target, u);
    } catch (err) {
      this.ctx.log.debug({ err }, 'sendRequest failed');
      this.requests.delete(u.transactionId);
      u.conn.sendFrame(nok(msgId, 'requested protocol/transport not available'));
      return;
    }
    echoRequest(u.conn, msgId, u.target, u.transactionId, wire);
    // spec 10: only once the request is really out (a send failure above is a NOK, not a call).
    if (req.method === 'INVITE' && u.creates !== undefined) emitCdr(this.ctx.router, 'cdr:attempt', 'application', undefined, req);
    else if (req.method === 'BYE' && u.inDialog?.method === 'INVITE') emitCdr(this.ctx.router, 'cdr:stop', 'application', 'normal-release', req);
    u.flush();
  }

  /** spec 13.3: ACK for the 2xx, CSeq of the INVITE, remote target; kept for 200 retransmissions. */
  private sendAck(conn: AppConnection, msgId: string, d: Dialog, app: AppRequest, target: SendTarget, l: Listener): void {
    const ack = buildInDialogRequest(d, 'ACK', d.inviteCseq, app, l, this.ctx.preserve);
    if ('error' in ack) {
      conn.sendFrame(nok(msgId, ack.error));
      return;
    }
    d.ack = ack;
    const wire = serializeMessage(ack);
    // Kept 64*T1 only to be re-sent as is: the serialized bytes are enough.
    ack.releaseCaches();
    this.ctx.engine.sendStateless(ack, target).catch((err: Error) => this.ctx.log.debug({ err: err.message }, 'ACK not sent'));
    echoRequest(conn, msgId, target, newTransactionId(), wire);
    this.ctx.clock.clearTimer(d.ackTimer);
    d.ackTimer = this.ctx.clock.setTimer(64 * this.ctx.T1, () => {
      d.ack = undefined;
      d.ackTimer = undefined;
    });
    if (d.byeAfterAck === true) endDialogUnsolicited(this.ctx, d, 'ACK-BYE due to cancel race condition');
  }

  private frame(u: UacRequest, res: SipResponse): string {
    const wire = serializeMessage(res);
    return framePayload(u.target, u.transactionId, u.dialogId, wire);
  }

  private rememberFailedInvite(dialogId: string): void {
    if (this.failedInvites.has(dialogId)) return;
    this.failedInvites.set(
      dialogId,
      this.ctx.clock.setTimer(64 * this.ctx.T1, () => this.failedInvites.delete(dialogId)),
    );
  }

  private registeredTarget(user: string | undefined, host: string): SendTarget | undefined {
    const key = userAtHost(user, host);
    const id = key === undefined ? undefined : this.ctx.registrations.lookup(key);
    const info = id === undefined ? undefined : this.ctx.engine.transport.connection(id);
    if (info === undefined) return undefined;
    return { transport: info.transport, host: info.remoteAddress, port: info.remotePort, connectionId: info.id };
  }

  /** spec 13.4 / 14.4: the dialog's connection, unless the peer re-registered over a newer one. */
  private dialogTarget(d: Dialog): SendTarget {
    const uri = tryParseUri(d.remoteTarget);
    if (uri !== undefined && d.target.connectionId !== undefined) {
      const reg = this.registeredTarget(uri.user, uri.host);
      if (reg !== undefined && reg.connectionId !== d.target.connectionId) d.target = reg;
    }
    return d.target;
  }

  private async resolve(uri: NonNullable<ReturnType<typeof tryParseUri>>): Promise<SendTarget | undefined> {
    const lit = literalTarget(uri);
    if (lit !== undefined) return lit;
    try {
      return await resolveTarget(uri, this.ctx.resolver);
    } catch (err) {
      this.ctx.log.debug({ err, uri: uri.raw }, 'next hop resolution failed');
      return undefined;
    }
  }

  /** spec 15: the app is gone; its requests' responses are dropped (ACK for non-2xx still comes from the ICT). */
  onAppClosed(conn: AppConnection): void {
    for (const [id, u] of this.requests) if (u.conn === conn) this.requests.delete(id);
    for (const [id, u] of this.invitesInProgress) if (u.conn === conn) this.invitesInProgress.delete(id);
  }

  stop(): void {
    for (const t of this.failedInvites.values()) this.ctx.clock.clearTimer(t);
    this.failedInvites.clear();
    this.requests.clear();
    this.invitesInProgress.clear();
  }
}


function framePayload(target: SendTarget, transactionId: string, dialogId: string, wire: Buffer): string {
  return sipFrame({
    source: 'network',
    bytes: wire.length,
    transport: target.transport,
    address: target.host,
    port: target.port,
    transactionId,
    dialogId,
    raw: wire.toString('utf8'),
  });
}

/** Spec 6.5: the OK reply carrying the request exactly as sent, which srf builds its request object from. */
function echoRequest(conn: AppConnection, msgId: string, target: SendTarget, transactionId: string, wire: Buffer): void {
  conn.sendFrame(
    okSentRequest({
      appMsgId: msgId,
      bytes: wire.length,
      transport: target.transport,
      address: target.host,
      port: target.port,
      transactionId,
      raw: wire.toString('utf8'),
    }),
  );
}
