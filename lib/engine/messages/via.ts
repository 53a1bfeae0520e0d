/**
 * One via-parm of a Via header (RFC 3261 20.42, 25.1):
 * `sent-protocol LWS sent-by *( SEMI via-params )`, with LWS allowed around
 * '/', ':', ';' and '=' (RFC 4475 wsinv).
 */
import type { Params, Via } from './types.js';
import { isTokenChar, skipWs } from './lexical.js';
import { formatParams, parseHeaderParams } from './params.js';

function scanToken(s: string, i: number): number {
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

function isHostChar(c: number): boolean {
  const l = c | 0x20;
  return (l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f;
}

/** Parse one via-parm (already split from its comma list); undefined when malformed (never throws). */
export function tryParseVia(text: string): Via | undefined {
  const n = text.length;
  let i = skipWs(text, 0);
  const nameStart = i;
  i = scanToken(text, i);
  if (i === nameStart) return undefined;
  const name = text.slice(nameStart, i);
  i = skipWs(text, i);
  if (text.charCodeAt(i) !== 0x2f) return undefined;
  i = skipWs(text, i + 1);
  const verStart = i;
  i = scanToken(text, i);
  if (i === verStart) return undefined;
  const version = text.slice(verStart, i);
  i = skipWs(text, i);
  if (text.charCodeAt(i) !== 0x2f) return undefined;
  i = skipWs(text, i + 1);
  const trStart = i;
  i = scanToken(text, i);
  if (i === trStart) return undefined;
  const transport = text.slice(trStart, i).toUpperCase();
  const wsStart = i;
  i = skipWs(text, i);
  if (i === wsStart) return undefined; // LWS between sent-protocol and sent-by is mandatory
  const hostStart = i;
  if (text.charCodeAt(i) === 0x5b) {
    const close = text.indexOf(']', i);
    if (close < 0 || close === i + 1) return undefined;
    for (let k = i + 1; k < close; k++) {
      const c = text.charCodeAt(k);
      const l = c | 0x20;
      if (!((l >= 0x61 && l <= 0x66) || (c >= 0x30 && c <= 0x39) || c === 0x3a || c === 0x2e)) return undefined;
    }
    i = close + 1;
  } else {
    while (i < n && isHostChar(text.charCodeAt(i))) i++;
    if (i === hostStart) return undefined;
  }
  const host = text.slice(hostStart, i);
  let port: number | undefined;
  let k = skipWs(text, i);
  if (k < n && text.charCodeAt(k) === 0x3a) {
    k = skipWs(text, k + 1);
    const pStart = k;
    let p = 0;
    while (k < n) {
      const c = text.charCodeAt(k);
      if (c < 0x30 || c > 0x39) break;
      p = p * 10 + (c - 0x30);
      if (p > 65535) return undefined;
      k++;
    }
    if (k === pStart) return undefined;
    port = p;
    i = k;
  }
  const params = parseHeaderParams(text, i);
  if (params === undefined) return undefined;
  const via: Via = { protocol: `${name.toUpperCase()}/${version}`, transport, host, params };
  if (port !== undefined) via.port = port;
  const branch = params.get('branch');
  if (branch !== undefined) {
    if (branch === null) return undefined; // 'branch' needs a value (RFC 3261 20.42 via-branch)
    via.branch = branch;
  }
  const received = params.get('received');
  if (received !== undefined) {
    if (received === null) return undefined;
    via.received = received;
  }
  if (params.has('rport')) {
    const rp = params.get('rport');
    if (rp === null || rp === undefined) via.rport = null; // RFC 3581 3: empty rport asks for the source port
    else {
      let v = 0;
      if (rp.length === 0 || rp.length > 5) return undefined;
      for (let j = 0; j < rp.length; j++) {
        const c = rp.charCodeAt(j);
        if (c < 0x30 || c > 0x39) return undefined;
        v = v * 10 + (c - 0x30);
      }
      if (v > 65535) return undefined;
      via.rport = v;
    }
  }
  return via;
}

/** Parse one via-parm; throws when malformed. */
export function parseVia(text: string): Via {
  const via = tryParseVia(text);
  if (via === undefined) throw new Error(`Malformed Via: ${JSON.stringify(text)}`);
  return via;
}

/**
 * Text of a via-parm. The branch / received / rport fields override the same
 * keys in `params`, so a copy with e.g. `received` set formats correctly.
 */
export function formatVia(via: Via): string {
  let params: Params = via.params;
  if (
    (via.branch !== undefined && params.get('branch') !== via.branch) ||
    (via.received !== undefined && params.get('received') !== via.received) ||
    (via.rport !== undefined && params.get('rport') !== (via.rport === null ? null : String(via.rport)))
  ) {
    params = new Map(params);
    if (via.branch !== undefined) params.set('branch', via.branch);
    if (via.received !== undefined) params.set('received', via.received);
    if (via.rport !== undefined) params.set('rport', via.rport === null ? null : String(via.rport));
  }
  const port = via.port !== undefined ? `:${via.port}` : '';
  return `${via.protocol}/${via.transport} ${via.host}${port}${formatParams(params)}`;
}
