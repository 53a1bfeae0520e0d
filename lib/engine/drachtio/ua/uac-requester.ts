/**
 * Builds the requests apps originate (spec 13.1 completion table, 13.3 ACK, 13.4 in-dialog requests):
 * the app's text is only a sketch; Via, From tag, Call-ID, CSeq, Contact, Max-Forwards and (in a
 * dialog) Request-URI, Route and tags come from the engine.
 */
import type { RawHeader, TransportName } from '../../messages/types.js';
import { SipRequest } from '../../messages/message.js';
import { headerKey } from '../../messages/header-names.js';
import { tryParseNameAddr } from '../../messages/name-addr.js';
import { generateBranch, generateCallId, generateTag } from '../../messages/ids.js';
import { applyHeaderRules, contentTypeFor } from '../sip-text/header-rules.js';
import type { Dialog } from './dialog-store.js';

export interface AppRequest {
  method: string;
  uri: string;
  headers: RawHeader[];
  body: Buffer;
}

export interface Listener {
  transport: TransportName;
  host: string;
  port: number;
}

/** `host:port` of a listener, as used in Via and by the localhost rewriting (spec 6.4). */
export function hostport(l: Listener): string {
  return l.host + ':' + l.port;
}

/** spec 12.2 / 13.1: `<sip:host:port[;transport=x]>` of a listening transport. */
export function contactFor(l: Listener): string {
  if (l.transport === 'udp') return '<sip:' + l.host + ':' + l.port + '>';
  if (l.transport === 'tls') return '<sips:' + l.host + ':' + l.port + ';transport=tls>';
  return '<sip:' + l.host + ':' + l.port + ';transport=tcp>';
}

/** spec 13.1: `Via: SIP/2.0/<PROTO> host:port;branch=...;rport` (RFC 3581). */
export function viaFor(l: Listener, branch: string = generateBranch()): string {
  return 'SIP/2.0/' + l.transport.toUpperCase() + ' ' + l.host + ':' + l.port + ';branch=' + branch + ';rport';
}

/** spec 13.1: a random initial CSeq below 2^27 like the real server (RFC 3261 8.1.1.5 asks < 2^31). */
export function initialCseq(): number {
  return 1 + Math.floor(Math.random() * 0x7ffffff);
}

/** Headers the engine sets itself in every request, dropped from the app's list. */
const ENGINE_OWNED: ReadonlySet<string> = new Set(['from', 'to', 'call-id', 'cseq', 'max-forwards', 'contact']);
/** spec 13.4: in-dialog requests that carry our Contact. */
const DIALOG_CONTACT: ReadonlySet<string> = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'UPDATE']);

interface Split {
  rest: RawHeader[];
  from?: string;
  to?: string;
  callId?: string;
  cseq?: string;
  maxForwards?: string;
  contact?: string;
}

function split(headers: readonly RawHeader[], localHostport: string, preserve?: readonly string[]): Split {
  const ruled = applyHeaderRules(headers, { localHostport, preserve });
  const s: Split = { rest: [] };
  for (const h of ruled) {
    const k = headerKey(h.name);
    if (!ENGINE_OWNED.has(k)) {
      s.rest.push(h);
      continue;
    }
    if (k === 'from') s.from ??= h.value;
    else if (k === 'to') s.to ??= h.value;
    else if (k === 'call-id') s.callId ??= h.value.trim();
    else if (k === 'cseq') s.cseq ??= h.value;
    else if (k === 'max-forwards') s.maxForwards ??= h.value.trim();
    else s.contact ??= h.value;
  }
  return s;
}

function withContentType(headers: RawHeader[], body: Buffer, inDialog: boolean): string | undefined {
  const ct = contentTypeFor(body, headers, 'request');
  if (ct.error !== undefined) return inDialog ? 'Server error: ' + ct.error : ct.error;
  if (ct.inferred === true && ct.contentType !== undefined) headers.push({ name: 'Content-Type', value: ct.contentType });
  return undefined;
}

export interface OutOfDialogRequest {
  req: SipRequest;
  localTag: string;
  /** The Contact sent (INVITE/SUBSCRIBE), for the dialog's local contact. */
  contact: string | undefined;
}

/** spec 13.1 completion table. */
export function buildOutOfDialogRequest(
  app: AppRequest,
  l: Listener,
  preserve?: readonly string[],
): OutOfDialogRequest | { error: string } {
  const s = split(app.headers, hostport(l), preserve);
  let from = s.from;
  let localTag: string | undefined;
  if (from !== undefined) {
    const na = tryParseNameAddr(from);
    localTag = na?.tag;
    if (na !== undefined && na.uri.indexOf('<') < 0 && from.indexOf('<') < 0 && na.params.size === 0) from = '<' + na.uri + '>';
  } else {
    from = contactFor(l);
  }
  if (localTag === undefined) {
    localTag = generateTag();
    from += ';tag=' + localTag;
  }
  const cseqNum = s.cseq !== undefined ? parseInt(s.cseq, 10) : NaN;
  const headers: RawHeader[] = [
    { name: 'Via', value: viaFor(l) },
    { name: 'Max-Forwards', value: s.maxForwards ?? '70' },
    { name: 'From', value: from },
    { name: 'To', value: s.to ?? '<' + app.uri + '>' },
    { name: 'Call-ID', value: s.callId ?? generateCallId() },
    { name: 'CSeq', value: (Number.isFinite(cseqNum) && cseqNum > 0 ? cseqNum : initialCseq()) + ' ' + app.method },
  ];
  let contact = s.contact;
  if (contact === undefined && (app.method === 'INVITE' || app.method === 'SUBSCRIBE')) contact = contactFor(l);
  if (contact !== undefined) headers.push({ name: 'Contact', value: contact });
  for (const h of s.rest) headers.push(h);
  const err = withContentType(headers, app.body, false);
  if (err !== undefined) return { error: err };
  return { req: new SipRequest(app.method, app.uri, headers, app.body), localTag, contact };
}

/**
 * spec 13.3 / 13.4: a request inside `d`. `cseq` is the number to use (the INVITE's for ACK, next local
 * CSeq otherwise); the app's Request-URI, tags and CSeq are ignored.
 */
export function buildInDialogRequest(
  d: Dialog,
  method: string,
  cseq: number,
  app: { headers: readonly RawHeader[]; body: Buffer },
  l: Listener,
  preserve?: readonly string[],
): SipRequest | { error: string } {
  const s = split(app.headers, hostport(l), preserve);
  const headers: RawHeader[] = [{ name: 'Via', value: viaFor(l) }];
  for (const r of d.routeSet) headers.push({ name: 'Route', value: r });
  headers.push(
    { name: 'Max-Forwards', value: s.maxForwards ?? '70' },
    { name: 'From', value: d.localHeader },
    { name: 'To', value: d.remoteHeader },
    { name: 'Call-ID', value: d.callId },
    { name: 'CSeq', value: cseq + ' ' + method },
  );
  const contact = s.contact ?? (DIALOG_CONTACT.has(method) ? d.localContact : undefined);
  if (contact !== undefined) headers.push({ name: 'Contact', value: contact });
  for (const h of s.rest) headers.push(h);
  const err = withContentType(headers, app.body, true);
  if (err !== undefined) return { error: err };
  return new SipRequest(method, d.remoteTarget, headers, app.body);
}
