/**
 * The UAS dialog built from the request the app answered and the response it sent (spec 12.3, 12.4):
 * tags, remote target = request Contact, route set = request Record-Route, local contact, and where
 * in-dialog requests go (spec 13.4, 14.5). The caller files it in the DialogStore.
 */
import type { SipResponse } from '../../messages/message.js';
import { tryParseNameAddr } from '../../messages/name-addr.js';
import { tryParseUri } from '../../messages/uri.js';
import type { Flow, SendTarget } from '../../transport/types.js';
import type { Dialog } from './dialog-store.js';
import { dialogKey } from './dialog-ids.js';
import type { ServerEntry } from './pending-requests.js';
import { initialCseq } from './uac-requester.js';
import { literalTarget } from './uri-target.js';

/** spec 12.3 / 12.4: the UAS dialog (early until the 2xx). */
export function createUasDialog(e: ServerEntry, res: SipResponse, localContact: string): Dialog {
  const req = e.txn.request;
  const flow = e.txn.flow;
  const remoteTag = req.from.tag ?? '';
  const localTag = e.localTag ?? '';
  const contacts = req.getList('contact');
  const contactNa = contacts.length > 0 ? tryParseNameAddr(contacts[0]!) : undefined;
  const remoteTarget = contactNa?.uri ?? req.from.uri;
  const routeSet = req.getList('record-route');
  const d: Dialog = {
    id: e.dialogId,
    key: dialogKey(req.callId, localTag, remoteTag),
    role: 'uas',
    method: req.method === 'SUBSCRIBE' ? 'SUBSCRIBE' : 'INVITE',
    callId: req.callId,
    localTag,
    remoteTag,
    localHeader: res.get('to') ?? '',
    remoteHeader: req.get('from') ?? '',
    remoteTarget,
    routeSet,
    localContact,
    localCseq: initialCseq(),
    target: uasTarget(flow, routeSet),
    owner: e.conn,
    inviteTransactionId: e.transactionId,
    inviteCseq: req.cseq.seq,
    confirmed: false,
  };
  e.dialog = d;
  return d;
}

/**
 * spec 13.4 / 14.5: streams reuse the arrival connection; over UDP without a route set the packet
 * source is used (NAT heuristic); with a route set, its first entry (loose routing, RFC 3261 12.2.1.1).
 */
function uasTarget(flow: Flow, routeSet: readonly string[]): SendTarget {
  if (flow.connectionId !== undefined || routeSet.length === 0) {
    return { transport: flow.transport, host: flow.remoteAddress, port: flow.remotePort, connectionId: flow.connectionId };
  }
  const first = tryParseNameAddr(routeSet[0]!);
  const uri = first === undefined ? undefined : tryParseUri(first.uri);
  const t = uri === undefined ? undefined : literalTarget(uri, flow.transport);
  return t ?? { transport: flow.transport, host: flow.remoteAddress, port: flow.remotePort };
}
