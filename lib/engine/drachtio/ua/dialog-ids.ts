/**
 * Identifiers of the drachtio protocol (spec 8): transaction ids (opaque, one per transaction),
 * dialog ids (`<Call-ID>;from-tag=<From tag of the dialog-creating request>`, public srf API),
 * and the internal key that matches network requests to dialogs by Call-ID plus both tags.
 */
import { randomUUID } from 'node:crypto';

/** spec 7.6: reserved transactionId of the unsolicited-BYE frame. */
export const UNSOLICITED = 'unsolicited';

/** spec 8: UUIDs like the real server; randomUUID draws from a cached entropy pool. */
export function newTransactionId(): string {
  return randomUUID();
}

/** spec 8: the public dialog id. */
export function dialogIdOf(callId: string, fromTag: string): string {
  return callId + ';from-tag=' + fromTag;
}

/** spec 8 / 19.9: B2BUA legs may share a Call-ID, so dialogs are matched on both tags. */
export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return callId + '\n' + localTag + '\n' + remoteTag;
}
