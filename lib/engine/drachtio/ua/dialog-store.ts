/**
 * Dialogs the engine holds for apps (spec 8, 11.4, 12.3, 13.1): looked up by the public dialogId
 * (app -> engine) and by Call-ID + local tag + remote tag (network -> engine, spec 19.9).
 */
import type { AppConnection } from '../contracts.js';
import type { SipRequest } from '../../messages/message.js';
import type { SendTarget } from '../../transport/types.js';
import type { TimerHandle } from '../../timers/clock.js';
import type { ServerTransaction } from '../../transactions/transaction-user.js';
import { dialogKey } from './dialog-ids.js';
import type { SipResponse } from '../../messages/message.js';
import { tryParseNameAddr } from '../../messages/name-addr.js';
import { RenewingMap } from '../../collections/renewing-map.js';

export interface Dialog {
  readonly id: string;
  readonly key: string;
  readonly role: 'uas' | 'uac';
  /** The dialog-creating method. */
  readonly method: 'INVITE' | 'SUBSCRIBE';
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** From header value of requests we send in the dialog (local URI with our tag). */
  localHeader: string;
  /** To header value of requests we send in the dialog (remote URI with the peer's tag). */
  remoteHeader: string;
  /** RFC 3261 12.1: the peer's Contact URI. */
  remoteTarget: string;
  /** RFC 3261 12.1: Route values, in the order requests carry them. */
  routeSet: string[];
  localContact: string;
  /** RFC 3261 12.2.1.1: our last CSeq number in this dialog. */
  localCseq: number;
  /** Where in-dialog requests go (the arrival connection / source for UAS, spec 13.4, 14.5). */
  target: SendTarget;
  owner: AppConnection;
  /** spec 11.4: transactionId of the dialog-creating INVITE (ACK delivery, UAC ACK lookup). */
  inviteTransactionId: string;
  /** CSeq number of the INVITE whose 2xx awaits an ACK (initial or re-INVITE). */
  inviteCseq: number;
  confirmed: boolean;
  /** UAC: the ACK sent for the 2xx, re-sent on 200 retransmissions (spec 13.3). */
  ack?: SipRequest;
  ackTimer?: TimerHandle;
  /** transactionId of the app's own re-INVITE still without a final response (spec 13.4 BYE rule). */
  pendingReinvite?: string;
  /** UAC: a 2xx arrived after the app cancelled: BYE right after the app's ACK (spec 13.3). */
  byeAfterAck?: boolean;
  /** UAS: running 2xx retransmission / ACK wait (spec 12.5). */
  ackWait?: { stop(): void };
  /** UAS: the INVITE server transaction whose 2xx awaits the ACK (a CANCEL may still name it, spec 11.5). */
  ackTxn?: ServerTransaction;
  /**
   * Clock time before which network requests on the just-confirmed dialog are held back from the app (see
   * deliverSettled in ua-context.ts); ACKs are never held.
   */
  settleUntil?: number;
  /** Deliveries held until `settleUntil`, in arrival order, and the timer that releases them. */
  held?: Array<() => void>;
  settleTimer?: TimerHandle;
}

export class DialogStore {
  private readonly byId = new RenewingMap<string, Dialog>();
  private readonly byKey = new RenewingMap<string, Dialog>();

  get size(): number {
    return this.byId.size;
  }

  add(d: Dialog): void {
    this.byId.set(d.id, d);
    this.byKey.set(d.key, d);
  }

  get(id: string): Dialog | undefined {
    return this.byId.get(id);
  }

  /** A network request's dialog: its To tag is our tag, its From tag the peer's (RFC 3261 12.2.2). */
  match(callId: string, toTag: string, fromTag: string): Dialog | undefined {
    return this.byKey.get(dialogKey(callId, toTag, fromTag));
  }

  /** True when `d` is still the dialog filed under its id (not removed, not replaced). */
  has(d: Dialog): boolean {
    return this.byId.get(d.id) === d;
  }

  remove(d: Dialog): void {
    if (this.byId.get(d.id) === d) this.byId.delete(d.id);
    if (this.byKey.get(d.key) === d) this.byKey.delete(d.key);
    d.ackWait?.stop();
    d.ackWait = undefined;
    d.ackTxn = undefined;
  }

  values(): IterableIterator<Dialog> {
    return this.byId.values();
  }
}

/** RFC 3261 12.2.2 / 12.2.1.2: an accepted target refresh request or response replaces the remote target. */
export function refreshTarget(d: Dialog, msg: SipRequest | SipResponse): void {
  const contacts = msg.getList('contact');
  if (contacts.length === 0) return;
  const na = tryParseNameAddr(contacts[0]!);
  if (na !== undefined) d.remoteTarget = na.uri;
}

/** RFC 6665 4.1.3: `Subscription-State: terminated`, for an Event other than refer (spec 11.4). */
export function endsSubscription(req: SipRequest): boolean {
  const state = req.get('subscription-state');
  if (state === undefined || !state.trimStart().toLowerCase().startsWith('terminated')) return false;
  const event = req.get('event');
  return event === undefined || !event.trimStart().toLowerCase().startsWith('refer');
}
