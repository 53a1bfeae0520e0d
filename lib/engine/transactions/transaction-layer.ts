/**
 * The transaction layer (RFC 3261 17): files client and server transactions,
 * matches incoming messages to them, and hands everything else to the TU.
 */
import type { Logger } from 'pino';
import type { SipRequest, SipResponse } from '../messages/message.js';
import { generateBranch } from '../messages/ids.js';
import type { Clock } from '../timers/clock.js';
import type { EngineMetrics } from '../observability.js';
import type { ConnectionUsage } from '../transport/connection-usage.js';
import type { Flow, SendTarget } from '../transport/types.js';
import { InviteClientTransaction } from './invite-client-transaction.js';
import { InviteServerTransaction, type InviteServerTransactionOptions } from './invite-server-transaction.js';
import type { MessageSender } from './message-sender.js';
import { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import type { TimerConfig } from './timer-values.js';
import type { Transaction } from './transaction.js';
import { createTransactionContext, type TransactionContext, type TransactionOwner } from './transaction-context.js';
import {
  clientTransactionKey,
  isRfc3261Branch,
  MAGIC_COOKIE,
  rfc2543TransactionKey,
  serverTransactionKey,
} from './transaction-keys.js';
import type { TransactionKind } from './transaction-state.js';
import type {
  ClientTransaction,
  ClientTransactionUser,
  ServerTransaction,
  ServerTransactionUser,
} from './transaction-user.js';
import { RenewingMap } from '../collections/renewing-map.js';

export interface TransactionLayerOptions {
  sender: MessageSender;
  /** Receives new server transactions, ACKs for 2xx and stray responses. */
  user: ServerTransactionUser;
  clock?: Clock;
  logger?: Logger;
  metrics?: EngineMetrics;
  timers?: Partial<TimerConfig>;
  /** Send 100 Trying for new INVITEs (RFC 3261 17.2.1). Default true. */
  sendTrying?: boolean;
}

export type TransactionCounts = Readonly<Record<TransactionKind, number>>;

export class TransactionLayer {
  private readonly ctx: TransactionContext;
  private readonly user: ServerTransactionUser;
  /** Shared by every IST, so creating one allocates no options object. */
  private readonly istOptions: InviteServerTransactionOptions;
  private readonly clients = new RenewingMap<string, ClientTransaction>();
  /** RFC 3261 branch-keyed server transactions (17.2.3). */
  private readonly servers = new RenewingMap<string, ServerTransaction>();
  /** Server transactions created by requests without an RFC 3261 branch (17.2.3, RFC 2543 rules). */
  private readonly legacyServers = new RenewingMap<string, ServerTransaction>();
  private readonly counts: Record<TransactionKind, number> = { ict: 0, nict: 0, ist: 0, nist: 0 };
  private pending = 0;

  constructor(opts: TransactionLayerOptions) {
    this.user = opts.user;
    this.istOptions = Object.freeze({ sendTrying: opts.sendTrying ?? true });
    const owner: TransactionOwner = {
      transactionTerminated: (txn) => this.forget(txn),
      serverTransactionAnswered: () => {
        this.pending--;
      },
    };
    this.ctx = createTransactionContext({
      sender: opts.sender,
      clock: opts.clock,
      logger: opts.logger,
      metrics: opts.metrics,
      timers: opts.timers,
      owner,
    });
  }

  /** Server transactions that have not sent a final response yet: the engine sheds load (503) on this. */
  get pendingServerTransactions(): number {
    return this.pending;
  }

  /** Live transaction counts by kind (the same object every time; read, don't keep). */
  get transactionCounts(): TransactionCounts {
    return this.counts;
  }

  get clientTransactionCount(): number {
    return this.clients.size;
  }

  get serverTransactionCount(): number {
    return this.servers.size + this.legacyServers.size;
  }

  /**
   * A request from the transport. Retransmissions and ACKs for non-2xx go to
   * their transaction; an unmatched ACK (for a 2xx) goes to user.onAck; any
   * other request creates a server transaction for user.onRequest.
   */
  receiveRequest(req: SipRequest, flow: Flow): void {
    const method = req.method;
    const via = req.via;
    let key: string;
    let map: RenewingMap<string, ServerTransaction>;
    let txn: ServerTransaction | undefined;
    if (isRfc3261Branch(via.branch)) {
      // 17.2.3: branch + sent-by + method.
      key = serverTransactionKey(via, method);
      map = this.servers;
      txn = map.get(key);
    } else {
      // 17.2.3: RFC 2543 fallback (no cookie, or a bare cookie).
      key = rfc2543TransactionKey(req);
      map = this.legacyServers;
      txn = map.get(key);
      if (txn !== undefined && !legacyToTagMatches(txn, req)) txn = undefined;
    }
    if (txn !== undefined) {
      txn.receiveRequest(req, flow);
      return;
    }
    if (method === 'ACK') {
      // 17.2.3 / 13.3.1.4: the ACK for a 2xx is its own transaction and belongs to the TU.
      this.user.onAck(req, flow);
      return;
    }
    if (map === this.legacyServers && map.has(key)) {
      // A legacy key already taken by a request with another To tag: too ambiguous to track.
      this.ctx.logger.debug({ key }, 'RFC 2543 request collides with an existing transaction; dropped');
      return;
    }
    const created: ServerTransaction =
      method === 'INVITE'
        ? new InviteServerTransaction(key, req, flow, this.user, this.ctx, this.istOptions)
        : new NonInviteServerTransaction(key, req, flow, this.user, this.ctx);
    map.set(key, created);
    this.counts[created.kind]++;
    this.pending++;
    this.user.onRequest(created);
    if (created.kind === 'ist') created.start();
  }

  /** A response from the transport: to its client transaction (17.1.3), or to user.onStrayResponse. */
  receiveResponse(res: SipResponse, flow: Flow): void {
    const branch = res.via.branch;
    const txn = branch === undefined ? undefined : this.clients.get(clientTransactionKey(branch, res.cseq.method));
    if (txn !== undefined) txn.receiveResponse(res);
    else this.user.onStrayResponse(res, flow);
  }

  /**
   * Start a client transaction for `req` (not ACK: an ACK for a 2xx is sent by
   * the TU directly, 13.2.2.4). The caller sets the top Via; a missing branch
   * is generated here (8.1.1.7). The request is sent before this returns; a
   * synchronous transport error reaches user.onTransportError before it returns too.
   */
  sendRequest(req: SipRequest, target: SendTarget, user: ClientTransactionUser): ClientTransaction {
    const method = req.method;
    if (method === 'ACK') throw new TypeError('ACK is not sent through a client transaction (RFC 3261 17.1.1.3, 13.2.2.4)');
    let branch = req.via.branch;
    if (branch === undefined || branch === '' || branch === MAGIC_COOKIE) {
      branch = generateBranch();
      setTopViaBranch(req, branch);
    }
    const key = clientTransactionKey(branch, method);
    if (this.clients.has(key)) throw new Error(`a client transaction with branch ${branch} and method ${method} exists`);
    const txn: ClientTransaction =
      method === 'INVITE'
        ? new InviteClientTransaction(key, req, target, user, this.ctx)
        : new NonInviteClientTransaction(key, req, target, user, this.ctx);
    this.clients.set(key, txn);
    this.counts[txn.kind]++;
    txn.start();
    return txn;
  }

  /**
   * RFC 3261 9.2: the INVITE server transaction a CANCEL targets: 17.2.3
   * matching with the method taken as INVITE.
   */
  findInviteServerTransaction(cancel: SipRequest): InviteServerTransaction | undefined {
    const via = cancel.via;
    let txn: ServerTransaction | undefined;
    if (isRfc3261Branch(via.branch)) {
      txn = this.servers.get(serverTransactionKey(via, 'INVITE'));
    } else {
      txn = this.legacyServers.get(rfc2543TransactionKey(cancel, 'INVITE'));
      if (txn !== undefined && txn.request.to.tag !== cancel.to.tag) txn = undefined;
    }
    return txn !== undefined && txn.kind === 'ist' ? txn : undefined;
  }

  /** Notes the connection of every live transaction (a connection in use is not closed on request). */
  noteConnectionsInUse(usage: ConnectionUsage): void {
    for (const txn of this.clients.values()) usage.note(txn.target);
    for (const txn of this.servers.values()) usage.note(txn.flow);
    for (const txn of this.legacyServers.values()) usage.note(txn.flow);
  }

  /** Terminate every transaction at once (engine shutdown); timers stop, no protocol messages are sent. */
  close(): void {
    for (const txn of this.clients.values()) txn.dispose();
    for (const txn of this.servers.values()) txn.dispose();
    for (const txn of this.legacyServers.values()) txn.dispose();
  }

  private forget(txn: Transaction): void {
    const kind = txn.kind;
    let map: RenewingMap<string, Transaction>;
    if (kind === 'ict' || kind === 'nict') map = this.clients;
    else {
      map = this.servers.get(txn.id) === txn ? this.servers : this.legacyServers;
      // A server transaction ending without a final response no longer waits on the TU.
      if (!(txn as ServerTransaction).hasFinalResponse) this.pending--;
    }
    if (map.get(txn.id) === txn) {
      map.delete(txn.id);
      this.counts[kind]--;
    }
  }
}

/**
 * 17.2.3 (RFC 2543): the To tag must equal the one of the request that created
 * the transaction, or for ACK the one of the response the transaction sent.
 */
function legacyToTagMatches(txn: ServerTransaction, req: SipRequest): boolean {
  const toTag = req.to.tag;
  if (req.method !== 'ACK') return toTag === txn.request.to.tag;
  const sent = txn.lastResponse;
  return toTag === (sent !== undefined ? sent.to.tag : txn.request.to.tag);
}

/** 8.1.1.7: put a branch on the caller's top Via, keeping every other Via as it was. */
function setTopViaBranch(req: SipRequest, branch: string): void {
  const vias = req.getList('via');
  if (vias.length === 0) throw new TypeError('request has no Via header; the caller must add the top Via');
  const top = vias[0]!.replace(/;\s*branch\s*(=[^;]*)?(?=;|$)/i, '');
  vias[0] = top + ';branch=' + branch;
  req.remove('via');
  for (let i = vias.length - 1; i >= 0; i--) req.prepend('via', vias[i]!);
}
