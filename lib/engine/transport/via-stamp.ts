/**
 * RFC 3261 18.2.1 / RFC 3581 4: record in a received request's top Via where
 * it really came from, so responses can find their way back. Requests that
 * need no change are left untouched (and keep their zero-copy wire bytes).
 */
import type { SipRequest } from '../messages/message.js';
import type { Via } from '../messages/types.js';
import { formatVia } from '../messages/via.js';
import { splitCommaList } from '../messages/lexical.js';
import { hostMatchesAddress } from './address.js';

const SEMI = 0x3b;
const EQUAL = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/** Adds received= / rport= to the top Via when needed; returns whether the request changed. */
export function stampVia(req: SipRequest, sourceAddress: string, sourcePort: number): boolean {
  const via = req.via;
  const wantsRport = via.rport === null;
  // RFC 3581 4: with rport, received is added even when sent-by matches.
  if (!wantsRport && (via.received === sourceAddress || hostMatchesAddress(via.host, sourceAddress))) return false;
  const lines = req.getAll('via');
  const firstLine = lines[0] as string;
  // Most Via lines hold one value; only split when there may be more.
  const parts = firstLine.indexOf(',') < 0 ? undefined : splitCommaList(firstLine);
  const top = parts === undefined ? firstLine : (parts[0] as string);
  const stamped = stampText(top, via, sourceAddress, sourcePort, wantsRport);
  let line = stamped;
  if (parts !== undefined && parts.length > 1) {
    parts[0] = stamped;
    line = parts.join(', ');
  }
  req.set('Via', line);
  for (let i = 1; i < lines.length; i++) req.append('Via', lines[i] as string);
  return true;
}

/** The via-parm text with received (and rport) filled in, editing the text rather than re-formatting it. */
function stampText(text: string, via: Via, source: string, port: number, wantsRport: boolean): string {
  let out = text;
  if (wantsRport) {
    const end = flagEnd(text, 'rport');
    if (end < 0) return formatted(via, source, port, wantsRport);
    out = `${text.slice(0, end)}=${port}${text.slice(end)}`;
  }
  // A received already present (set by the sender) is replaced through the slow path.
  if (via.received !== undefined) return formatted(via, source, port, wantsRport);
  return `${out};received=${source}`;
}

function formatted(via: Via, source: string, port: number, wantsRport: boolean): string {
  const copy: Via = { ...via, received: source };
  if (wantsRport) copy.rport = port;
  return formatVia(copy);
}

/** Index just past a valueless parameter `name` (lower-case) in via-parm text, or -1. Quoted strings are skipped. */
function flagEnd(text: string, name: string): number {
  const n = text.length;
  const len = name.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i++;
      while (i < n && text.charCodeAt(i) !== QUOTE) i += text.charCodeAt(i) === BACKSLASH ? 2 : 1;
      i++;
      continue;
    }
    i++;
    if (c !== SEMI) continue;
    let p = i;
    while (p < n && (text.charCodeAt(p) === 0x20 || text.charCodeAt(p) === 0x09)) p++;
    if (p + len > n) return -1;
    let match = true;
    for (let k = 0; k < len; k++) {
      if ((text.charCodeAt(p + k) | 0x20) !== name.charCodeAt(k)) {
        match = false;
        break;
      }
    }
    if (!match) continue;
    const end = p + len;
    let q = end;
    while (q < n && (text.charCodeAt(q) === 0x20 || text.charCodeAt(q) === 0x09)) q++;
    if (q === n) return end;
    const next = text.charCodeAt(q);
    if (next === SEMI || next === COMMA) return end;
    if (next === EQUAL) return -1;
    // a longer name such as 'rportx': keep looking
  }
  return -1;
}
