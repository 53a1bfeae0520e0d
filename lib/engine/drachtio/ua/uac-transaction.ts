/**
 * One request an app sent (spec 13): the client transaction's user, keyed by the transactionId given in
 * the echo. Frames produced before the echo went out are held so the app sees the echo first (spec 6.5).
 */
import type { SipRequest, SipResponse } from '../../messages/message.js';
import type { ClientTransaction, ClientTransactionUser } from '../../transactions/transaction-user.js';
import type { SendTarget } from '../../transport/types.js';
import type { AppConnection } from '../contracts.js';
import type { Dialog } from './dialog-store.js';

/** What the UAC core does with a request's outcome. */
export interface UacEvents {
  onResponse(u: UacRequest, res: SipResponse): void;
  /** spec 13.2: timeout (408) or transport failure (503). */
  onFailure(u: UacRequest, status: number, reason: string): void;
  /** What receives 2xx retransmissions once the INVITE is answered (RFC 6026 7.2). */
  acceptedUser(u: UacRequest): ClientTransactionUser;
}

/** One request an app sent: its client transaction user, keyed by the transactionId given in the echo. */
export class UacRequest implements ClientTransactionUser {
  /** Frames held until the echo is out (spec 6.5 ordering). */
  queue: string[] | undefined = [];
  ctxn: ClientTransaction | undefined;
  provisional = false;
  final = false;
  heldCancel: SipRequest | undefined;
  cancelled = false;
  dialog: Dialog | undefined;

  constructor(
    readonly core: UacEvents,
    readonly conn: AppConnection,
    readonly transactionId: string,
    readonly req: SipRequest,
    readonly target: SendTarget,
    /** spec 7.4: set for INVITE/SUBSCRIBE and in-dialog requests. */
    readonly dialogId: string,
    /** Out-of-dialog INVITE/SUBSCRIBE: what the dialog will need. */
    readonly creates: { localTag: string; contact: string } | undefined,
    readonly inDialog: Dialog | undefined,
  ) {}

  onResponse(res: SipResponse): void {
    this.core.onResponse(this, res);
  }
  onTimeout(): void {
    this.core.onFailure(this, 408, 'Request Timeout');
  }
  onTransportError(): void {
    this.core.onFailure(this, 503, 'Service Unavailable');
  }
  acceptedUser(): ClientTransactionUser {
    return this.core.acceptedUser(this);
  }

  send(frame: string): void {
    if (this.queue !== undefined) this.queue.push(frame);
    else this.conn.sendFrame(frame);
  }

  flush(): void {
    const q = this.queue;
    this.queue = undefined;
    if (q !== undefined) for (const f of q) this.conn.sendFrame(f);
  }
}

