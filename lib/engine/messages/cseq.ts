/** CSeq header (RFC 3261 20.16): `1*DIGIT LWS Method`. */
import type { CSeq } from './types.js';
import { isToken, isWs } from './lexical.js';

/** RFC 3261 8.1.1.5: the sequence number MUST be expressible as a 32-bit unsigned integer and be less than 2**31. */
export const MAX_CSEQ = 0x7fffffff;

/** Why a CSeq value was refused, as a short reason phrase. */
export type CSeqError = 'Malformed CSeq header' | 'Bad CSeq number';

/** Parse a CSeq value; returns the reason phrase instead when it is malformed (never throws). */
export function parseCSeqOrError(value: string): CSeq | CSeqError {
  const n = value.length;
  let i = 0;
  while (i < n && isWs(value.charCodeAt(i))) i++;
  const numStart = i;
  let seq = 0;
  let tooBig = false;
  while (i < n) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    if (!tooBig) {
      seq = seq * 10 + (c - 0x30);
      if (seq > MAX_CSEQ) tooBig = true; // keep scanning so the rest is still checked, never overflow (RFC 4475 scalar02)
    }
    i++;
  }
  if (i === numStart) return 'Malformed CSeq header';
  const wsStart = i;
  while (i < n && isWs(value.charCodeAt(i))) i++;
  if (i === wsStart) return 'Malformed CSeq header';
  let end = n;
  while (end > i && isWs(value.charCodeAt(end - 1))) end--;
  const method = value.slice(i, end);
  if (!isToken(method)) return 'Malformed CSeq header';
  if (tooBig) return 'Bad CSeq number';
  return { seq, method };
}

/** Parse a CSeq value; undefined when malformed or out of range. */
export function tryParseCSeq(value: string): CSeq | undefined {
  const r = parseCSeqOrError(value);
  return typeof r === 'string' ? undefined : r;
}

export function formatCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}
