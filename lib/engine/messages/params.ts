/**
 * Header parameters: `*( SEMI generic-param )` after a Via sent-by or a
 * name-addr (RFC 3261 25.1 generic-param, 20.10, 20.42). LWS is allowed around
 * ';' and '=' (RFC 3261 25.1 SEMI, EQUAL). Values keep their quotes so that
 * formatting reproduces them.
 */
import type { Params } from './types.js';
import { endOfQuoted, isWs, skipWs } from './lexical.js';

/**
 * Parse parameters starting at `start` (which must be at ';', whitespace or
 * the end) up to the end of `s`. Returns undefined on an empty name, '=' with
 * no value, an unclosed quote or stray text (RFC 4475 badinv01).
 */
export function parseHeaderParams(s: string, start: number, into: Params = new Map()): Params | undefined {
  const n = s.length;
  let i = skipWs(s, start);
  while (i < n) {
    if (s.charCodeAt(i) !== 0x3b) return undefined; // must be ';'
    i = skipWs(s, i + 1);
    const nameStart = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x3d || c === 0x3b || isWs(c)) break;
      i++;
    }
    if (i === nameStart) return undefined; // ';;' or trailing ';'
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipWs(s, i);
    let value: string | null = null;
    if (i < n && s.charCodeAt(i) === 0x3d) {
      i = skipWs(s, i + 1);
      const vStart = i;
      if (i < n && s.charCodeAt(i) === 0x22) {
        const e = endOfQuoted(s, i);
        if (e < 0) return undefined;
        i = e;
      } else {
        while (i < n) {
          const c = s.charCodeAt(i);
          if (c === 0x3b || isWs(c)) break;
          i++;
        }
      }
      if (i === vStart) return undefined; // 'name=' without a value
      value = s.slice(vStart, i);
      i = skipWs(s, i);
    }
    if (!into.has(name)) into.set(name, value); // first occurrence wins, e.g. a duplicated tag
  }
  return into;
}

/** `;name=value;flag` for a Params map (insertion order). */
export function formatParams(params: Params): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}
