/**
 * Builds the response an app asked for from the stored request (spec 12.2): Via/From/To/Call-ID/CSeq
 * from the request, the transaction's To tag, Record-Route copy, Contact rules, the app's headers
 * through the header rules (spec 6.4) and the Content-Type rule.
 */
import type { RawHeader } from '../../messages/types.js';
import type { SipRequest, SipResponse } from '../../messages/message.js';
import { createResponse } from '../../messages/response-factory.js';
import { headerKey } from '../../messages/header-names.js';
import { applyHeaderRules, contentTypeFor } from '../sip-text/header-rules.js';

/** spec 12.2: methods whose 101-299 responses do not copy Record-Route. */
const NO_RECORD_ROUTE: ReadonlySet<string> = new Set(['BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'PRACK', 'PUBLISH']);

/** Headers taken from the stored request, never from the app (spec 12.2). */
const FROM_REQUEST: ReadonlySet<string> = new Set(['from', 'to', 'call-id', 'cseq']);

export interface AppResponse {
  status: number;
  reason: string;
  headers: RawHeader[];
  body: Buffer;
}

export interface UasResponseOptions {
  /** The transaction's local tag (added to To for status > 100 when To has none). */
  toTag: string | undefined;
  /** Engine Contact to add when `wantContact` and the app gave none. */
  contact: string;
  wantContact: boolean;
  localHostport: string;
  preserve?: readonly string[];
}

export interface BuiltResponse {
  res: SipResponse;
  /** The Contact the response carries (the app's or the engine's), if any. */
  contact: string | undefined;
}

/** spec 12.1: the app's To tag, everything after `tag=` up to the next parameter. */
export function appToTag(headers: readonly RawHeader[]): string | undefined {
  for (const h of headers) {
    if (headerKey(h.name) !== 'to') continue;
    const v = h.value;
    const at = v.indexOf('tag=');
    if (at < 0) return undefined;
    const end = v.indexOf(';', at);
    const tag = (end < 0 ? v.slice(at + 4) : v.slice(at + 4, end)).trim();
    return tag.length > 0 ? tag : undefined;
  }
  return undefined;
}

export function buildUasResponse(req: SipRequest, app: AppResponse, o: UasResponseOptions): BuiltResponse | { error: string } {
  const kept: RawHeader[] = [];
  for (const h of app.headers) if (!FROM_REQUEST.has(headerKey(h.name))) kept.push(h);
  const appHeaders = applyHeaderRules(kept, { localHostport: o.localHostport, preserve: o.preserve });
  const ct = contentTypeFor(app.body, appHeaders, 'response');
  if (ct.error !== undefined) return { error: ct.error };

  const status = app.status;
  const extra: RawHeader[] = [];
  if (status > 100 && status < 300 && !NO_RECORD_ROUTE.has(req.method)) {
    for (const rr of req.getAll('record-route')) extra.push({ name: 'Record-Route', value: rr });
  }
  let contact: string | undefined;
  for (const h of appHeaders) {
    if (headerKey(h.name) === 'contact') {
      contact = h.value;
      break;
    }
  }
  if (contact === undefined && o.wantContact) {
    contact = o.contact;
    extra.push({ name: 'Contact', value: contact });
  }
  for (const h of appHeaders) extra.push(h);
  if (ct.inferred === true && ct.contentType !== undefined) extra.push({ name: 'Content-Type', value: ct.contentType });
  const res = createResponse(req, status, app.reason, { toTag: o.toTag, headers: extra, body: app.body });
  return { res, contact };
}
