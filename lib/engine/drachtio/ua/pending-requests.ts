/**
 * Network requests delivered to apps and not yet finally answered (spec 11.2 "pending", 11.4, 12.1):
 * transactionId -> server transaction, owning connection and the local To tag fixed by the first
 * response. Also implements the proxy's take-over of a pending request (contracts.ts, spec 9.3).
 */
import type { AppConnection, PendingRequests } from '../contracts.js';
import type { ServerTransaction } from '../../transactions/transaction-user.js';
import type { TimerHandle } from '../../timers/clock.js';
import type { Dialog } from './dialog-store.js';
import { RenewingMap, RenewingSet } from '../../collections/renewing-map.js';

export interface ServerEntry {
  readonly transactionId: string;
  readonly txn: ServerTransaction;
  readonly conn: AppConnection;
  /** Received inside this dialog (spec 11.4), or the dialog this INVITE/SUBSCRIBE created. */
  dialog?: Dialog;
  /** spec 12.2: one To tag for every response of the transaction. */
  localTag?: string;
  /** spec 6.5: '' unless the transaction is an INVITE/SUBSCRIBE (its dialog id). */
  dialogId: string;
  /** spec 11.2: answered by the engine if the app stays silent. */
  timer?: TimerHandle;
  /** spec 12.2: last RSeq of a reliable provisional sent in this transaction. */
  rseq?: number;
}

export class PendingRequestTable implements PendingRequests {
  private readonly byId = new RenewingMap<string, ServerEntry>();
  private readonly byTxn = new RenewingMap<ServerTransaction, ServerEntry>();
  private readonly byConn = new RenewingMap<AppConnection, RenewingSet<ServerEntry>>();

  /** Set by the owner: stop timers etc. when the proxy takes a request over. */
  constructor(private readonly onTaken: (e: ServerEntry) => void) {}

  get size(): number {
    return this.byId.size;
  }

  add(e: ServerEntry): void {
    this.byId.set(e.transactionId, e);
    this.byTxn.set(e.txn, e);
    let set = this.byConn.get(e.conn);
    if (set === undefined) this.byConn.set(e.conn, (set = new RenewingSet()));
    set.add(e);
  }

  get(transactionId: string): ServerEntry | undefined {
    return this.byId.get(transactionId);
  }

  forTransaction(txn: ServerTransaction): ServerEntry | undefined {
    return this.byTxn.get(txn);
  }

  remove(e: ServerEntry): void {
    if (this.byId.get(e.transactionId) === e) this.byId.delete(e.transactionId);
    if (this.byTxn.get(e.txn) === e) this.byTxn.delete(e.txn);
    const set = this.byConn.get(e.conn);
    if (set !== undefined) {
      set.delete(e);
      if (set.size === 0) this.byConn.delete(e.conn);
    }
  }

  /** Entries owned by a connection (copied: callers remove while iterating). */
  ofConnection(conn: AppConnection): ServerEntry[] {
    const set = this.byConn.get(conn);
    return set === undefined ? [] : [...set];
  }

  /** Every entry (copied). */
  all(): ServerEntry[] {
    return [...this.byId.values()];
  }

  /** spec 9.3: the proxy takes the server transaction; the app will not respond to it. */
  takeForProxy(transactionId: string, conn: AppConnection): ServerTransaction | undefined {
    const e = this.byId.get(transactionId);
    if (e === undefined || e.conn !== conn || e.txn.hasFinalResponse) return undefined;
    this.remove(e);
    this.onTaken(e);
    return e.txn;
  }
}
