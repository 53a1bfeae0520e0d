/**
 * Builders for S->A frame payloads and the A->S command parser (spec 1.2, 6.5, 7.1, 9.2, 10).
 * Payloads are returned without the `<bytes>#` prefix; frame-codec.ts adds it.
 * Field positions matter to srf (it indexes the split leader), so each builder writes them explicitly.
 * Leader field values must never contain '|' or CR/LF (spec 1.2); callers pass engine-generated values
 * (free-text reasons are sanitised here).
 */
import { randomBytes } from 'node:crypto';
import type { AppCommand } from '../contracts.js';

const CRLF = '\r\n';

/** Server message ids: srf ignores them (spec 1.3) but they must be unique; a random prefix + counter is cheap. */
const idPrefix = randomBytes(6).toString('hex') + '-';
let idCounter = 0;
export function nextServerMsgId(): string {
  idCounter = (idCounter + 1) % Number.MAX_SAFE_INTEGER;
  return idPrefix + idCounter.toString(36);
}

export interface SipFrameOptions {
  source: 'network' | 'application';
  bytes: number;
  transport: string;
  address: string;
  port: number;
  transactionId: string;
  dialogId: string;
  /** Only for new out-of-dialog requests (spec 7.1 fields 10-11). */
  receivedOn?: { host: string; port: number };
  raw: string;
}

/**
 * spec 7.1: the dialogId field and a trailing '|' are always written so the leader has > 9 fields
 * (srf drops shorter ones); receivedOn adds fields 10-11 plus the empty sessionToken field 12.
 */
export function sipFrame(o: SipFrameOptions): string {
  let s =
    nextServerMsgId() + '|sip|' + o.source + '|' + o.bytes + '|' + o.transport + '|' + o.address + '|' + o.port +
    '|' + stackTime() + '|' + o.transactionId + '|' + o.dialogId + '|';
  if (o.receivedOn !== undefined) s += o.receivedOn.host + '|' + o.receivedOn.port + '|';
  return s + CRLF + o.raw;
}

export interface SentRequestOptions {
  appMsgId: string;
  bytes: number;
  transport: string;
  address: string;
  port: number;
  transactionId: string;
  raw: string;
}

/** spec 6.5 'A request was sent': field 10 = new client transaction id, field 11 = 'Msg sent:'. */
export function okSentRequest(o: SentRequestOptions): string {
  return (
    nextServerMsgId() + '|response|' + o.appMsgId + '|OK|application|' + o.bytes + '|' + o.transport + '|' +
    o.address + '|' + o.port + '|' + stackTime() + '|' + o.transactionId + '|Msg sent:|' + CRLF + o.raw
  );
}

export interface SentResponseOptions extends SentRequestOptions {
  dialogId: string;
}

/** spec 6.5 'A response was sent': field 10 = transaction id, 11 = dialog id ('' outside dialogs), 12 empty. */
export function okSentResponse(o: SentResponseOptions): string {
  return (
    nextServerMsgId() + '|response|' + o.appMsgId + '|OK|application|' + o.bytes + '|' + o.transport + '|' +
    o.address + '|' + o.port + '|' + stackTime() + '|' + o.transactionId + '|' + o.dialogId + '||Msg sent:|' +
    CRLF + o.raw
  );
}

/** SIP-layer failure (spec 6.5); srf uses field 4 as the error text. */
export function nok(appMsgId: string, reason: string): string {
  return nextServerMsgId() + '|response|' + appMsgId + '|NOK|' + oneLine(reason);
}

/** Command-parsing failure (spec 3.2, 6.5): the literal `NO`. */
export function no(appMsgId: string, reason: string): string {
  return nextServerMsgId() + '|response|' + appMsgId + '|NO|' + oneLine(reason);
}

/** `OK` with optional extra fields (route -> none, ping -> 'pong', proxy -> 'done', auth -> hostports...). */
export function okPlain(appMsgId: string, ...extra: string[]): string {
  let s = nextServerMsgId() + '|response|' + appMsgId + '|OK';
  for (const e of extra) s += '|' + e;
  return s;
}

export interface ProxyContinueOptions {
  appMsgId: string;
  bytes: number;
  transport: string;
  address: string;
  port: number;
  raw: string;
}

/** spec 9.2: one per final response from a target; 'continue' must be field 12 (fields 10, 11 empty). */
export function proxyContinue(o: ProxyContinueOptions): string {
  return (
    nextServerMsgId() + '|response|' + o.appMsgId + '|OK|network|' + o.bytes + '|' + o.transport + '|' + o.address +
    '|' + o.port + '|' + stackTime() + '|||continue' + CRLF + o.raw
  );
}

/** spec 9.2: proxy completion, sent exactly once. */
export function proxyDone(appMsgId: string): string {
  return okPlain(appMsgId, 'done');
}

/** spec 10: `<sid>|cdr:<type>|<source>|<time>[|<role or reason>]` + CRLF + raw. */
export function cdrFrame(
  type: 'cdr:attempt' | 'cdr:start' | 'cdr:stop',
  source: string,
  extra: string | undefined,
  raw: string,
): string {
  let s = nextServerMsgId() + '|' + type + '|' + source + '|' + stackTime();
  if (extra !== undefined) s += '|' + extra;
  return s + CRLF + raw;
}

/** spec 7.1: 'HH:MM:SS.uuuuuu', UTC time of day; JS has ms resolution, so the last 3 digits are zero. */
export function stackTime(now?: Date): string {
  if (now === undefined) return cachedStackTime();
  return (
    pad2(now.getUTCHours()) + ':' + pad2(now.getUTCMinutes()) + ':' + pad2(now.getUTCSeconds()) + '.' +
    pad3(now.getUTCMilliseconds()) + '000'
  );
}

/** Hot path (one per frame): reuse the string while the millisecond has not changed. */
let cachedMs = -1;
let cachedText = '';
function cachedStackTime(): string {
  const ms = Date.now();
  if (ms !== cachedMs) {
    cachedMs = ms;
    cachedText = stackTime(new Date(ms));
  }
  return cachedText;
}

/**
 * spec 1.2: the leader is everything up to the first CR (srf skips CRLF after it); the rest is SIP text.
 * No CR -> the whole payload is the leader.
 */
export function parseCommand(payload: string): AppCommand {
  const cr = payload.indexOf('\r');
  const leader = cr < 0 ? payload : payload.slice(0, cr);
  const sipText = cr < 0 ? '' : payload.slice(cr + 2);
  const fields = leader.split('|');
  return { msgId: fields[0] ?? '', type: fields[1] ?? '', fields, sipText };
}

/** A reason must stay inside one leader field: strip CR/LF and '|' that would corrupt the frame. */
function oneLine(text: string): string {
  if (text.indexOf('|') < 0 && text.indexOf('\r') < 0 && text.indexOf('\n') < 0) return text;
  return text.replace(/[|\r\n]+/g, ' ');
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : '' + n;
}

function pad3(n: number): string {
  return n < 10 ? '00' + n : n < 100 ? '0' + n : '' + n;
}
