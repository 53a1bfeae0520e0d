/**
 * Cuts a TCP/TLS byte stream into SIP message buffers (RFC 3261 18.3: on a
 * stream, Content-Length is what delimits the body).
 *
 * Work is linear in the bytes received: a message that arrives whole inside
 * one chunk is handed out as a zero-copy subarray of that chunk; only the
 * bytes of a message that straddles chunks are copied, once, into a buffer
 * that is then given away with the message (never reused, so handed-out
 * messages are never overwritten). Nothing is retained between messages, so
 * an idle connection's framer holds no buffer.
 */

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;
const DASH = 45;
const LOWER_C = 0x63;
const LOWER_L = 0x6c;
/** Lower-case 'content-length', compared with (byte | 0x20), which leaves '-' unchanged. */
const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');

/** Results of scanHead() that are not a position. */
const HEAD_INCOMPLETE = -1;
const HEAD_FAILED = -2;

export type FramingErrorKind = 'framing-error' | 'message-too-large' | 'too-many-headers';

export interface FramingError {
  kind: FramingErrorKind;
  /** Short reason, usable as a response reason phrase. */
  reason: string;
  /** The header block (start line through the blank line) when it was complete, so the caller can try to answer it. */
  head?: Buffer;
}

/** Receives what the framer finds; a connection implements this so no closure is needed per connection. */
export interface FrameSink {
  onFrame(message: Buffer): void;
  /** RFC 5626 4.4.1: a CRLFCRLF ping arrived between messages; answer with a CRLF pong. */
  onKeepAlive(): void;
  /** Framing is lost; the framer accepts no more input. */
  onFramingError(error: FramingError): void;
}

export interface FramerLimits {
  /** Largest message (header block + body) accepted. */
  maxMessageBytes: number;
  /** Most header lines accepted (continuation lines excluded). */
  maxHeaders: number;
}

export class StreamFramer {
  /** Bytes of the message that straddles chunks: [0, pendingLen). Null between messages. */
  private pending: Buffer | null = null;
  private pendingLen = 0;
  /** Header block + body length of the pending message once its header block is complete, else 0. */
  private totalLen = 0;
  /** Progress through a "\r\n\r\n" keep-alive ping between messages (0..3). */
  private ping = 0;
  private since = 0;
  private failed = false;
  /** Content-Length found by the last scanHead() (-1: none). */
  private clen = -1;
  /** End of the header block found by the last scanHead() that reached it. */
  private headEnd = 0;
  private errKind: FramingErrorKind = 'framing-error';
  private errReason = '';

  constructor(private readonly limits: FramerLimits) {}

  /** True while part of a message has been received and the rest has not. */
  get hasPartial(): boolean {
    return this.pendingLen > 0;
  }

  /** Clock time (as passed to push) when the current partial message began. */
  get partialSince(): number {
    return this.since;
  }

  /** True once a framing error was reported (or after dispose). */
  get closed(): boolean {
    return this.failed;
  }

  /** Stop: drop buffered bytes and ignore further input. */
  dispose(): void {
    this.failed = true;
    this.pending = null;
    this.pendingLen = 0;
    this.totalLen = 0;
  }

  /**
   * Feed one chunk. Every complete message in it is passed to sink.onFrame
   * synchronously, in order; the sink may dispose the framer from inside a
   * callback, which stops processing.
   */
  push(chunk: Buffer, now: number, sink: FrameSink): void {
    if (this.failed) return;
    const len = chunk.length;
    let pos = 0;
    if (this.pendingLen > 0) {
      pos = this.continuePending(chunk, sink);
      if (pos < 0) return;
    }
    const max = this.limits.maxMessageBytes;
    while (pos < len) {
      const c = chunk[pos];
      if (c === CR || c === LF) {
        // RFC 5626 4.4.1 / RFC 3261 7.5: CRLFs between messages are keep-alives or filler.
        pos++;
        this.keepAliveByte(c, sink);
        if (this.failed) return;
        continue;
      }
      this.ping = 0;
      const headEnd = this.scanHead(chunk, pos, len);
      if (headEnd === HEAD_FAILED) {
        this.fail(this.errKind, this.errReason, chunk.subarray(pos, this.headEnd), sink);
        return;
      }
      if (headEnd === HEAD_INCOMPLETE) {
        if (len - pos > max) {
          this.fail('message-too-large', 'Message Too Large', undefined, sink);
          return;
        }
        this.stash(chunk, pos, 0, now);
        return;
      }
      const total = headEnd - pos + (this.clen < 0 ? 0 : this.clen);
      if (total > max) {
        this.fail('message-too-large', 'Message Too Large', chunk.subarray(pos, headEnd), sink);
        return;
      }
      if (pos + total > len) {
        this.stash(chunk, pos, total, now);
        return;
      }
      const end = pos + total;
      sink.onFrame(chunk.subarray(pos, end));
      if (this.failed) return;
      pos = end;
    }
  }

  /** Completes the straddling message with bytes from chunk; returns where the rest of chunk starts, or -1 when chunk is used up. */
  private continuePending(chunk: Buffer, sink: FrameSink): number {
    let pos = 0;
    const max = this.limits.maxMessageBytes;
    if (this.totalLen === 0) {
      const k = this.findHeadEnd(chunk);
      if (k < 0) {
        if (this.pendingLen + chunk.length > max) {
          this.fail('message-too-large', 'Message Too Large', undefined, sink);
          return -1;
        }
        this.append(chunk, 0, chunk.length);
        return -1;
      }
      if (this.pendingLen + k > max) {
        this.fail('message-too-large', 'Message Too Large', undefined, sink);
        return -1;
      }
      this.append(chunk, 0, k);
      const pending = this.pending as Buffer;
      const headEnd = this.scanHead(pending, 0, this.pendingLen);
      if (headEnd < 0) {
        // Only HEAD_FAILED is possible here: findHeadEnd saw the blank line.
        this.fail(this.errKind, this.errReason, pending.subarray(0, this.pendingLen), sink);
        return -1;
      }
      const total = headEnd + (this.clen < 0 ? 0 : this.clen);
      if (total > max) {
        this.fail('message-too-large', 'Message Too Large', pending.subarray(0, headEnd), sink);
        return -1;
      }
      this.totalLen = total;
      pos = k;
    }
    const take = Math.min(this.totalLen - this.pendingLen, chunk.length - pos);
    if (take > 0) this.append(chunk, pos, pos + take);
    pos += take;
    if (this.pendingLen < this.totalLen) return -1;
    const message = (this.pending as Buffer).subarray(0, this.totalLen);
    // The buffer now belongs to the message.
    this.pending = null;
    this.pendingLen = 0;
    this.totalLen = 0;
    sink.onFrame(message);
    return this.failed ? -1 : pos;
  }

  private keepAliveByte(c: number, sink: FrameSink): void {
    const want = (this.ping & 1) === 0 ? CR : LF;
    if (c === want) {
      if (++this.ping === 4) {
        this.ping = 0;
        sink.onKeepAlive();
      }
    } else {
      this.ping = c === CR ? 1 : 0;
    }
  }

  /**
   * Walks the header lines of the message starting at `start`, counting
   * headers and reading Content-Length (or compact 'l'). Returns the index
   * just past the blank line, HEAD_INCOMPLETE, or HEAD_FAILED. A failure is
   * only reported once the whole header block is there (headEnd set), so
   * the caller can hand it over for a 400/513 answer.
   */
  private scanHead(buf: Buffer, start: number, end: number): number {
    const maxHeaders = this.limits.maxHeaders;
    let lineStart = start;
    let count = -1; // the start line is not a header
    let clen = -1;
    let failed = false;
    for (;;) {
      const lf = buf.indexOf(LF, lineStart);
      if (lf < 0 || lf >= end) return HEAD_INCOMPLETE;
      const lineLen = lf - lineStart;
      if (lineLen === 0 || (lineLen === 1 && buf[lineStart] === CR)) {
        this.clen = clen;
        this.headEnd = lf + 1;
        return failed ? HEAD_FAILED : lf + 1;
      }
      if (count < 0) {
        count = 0;
      } else if (!failed) {
        const c = buf[lineStart];
        // RFC 3261 7.3.1: a line starting with whitespace continues the previous header.
        if (c !== SP && c !== HT) {
          if (++count > maxHeaders) {
            failed = this.scanFailed('too-many-headers', 'Too Many Headers');
          } else {
            const lc = c | 0x20;
            if (lc === LOWER_C || lc === LOWER_L) {
              const v = this.contentLengthOf(buf, lineStart, lf);
              if (v === HEAD_FAILED) {
                failed = true;
              } else if (v >= 0) {
                // RFC 4475 3.1.2.11 (mcl01): conflicting Content-Length values lose framing.
                if (clen >= 0 && clen !== v) failed = this.scanFailed('framing-error', 'Conflicting Content-Length');
                clen = v;
              }
            }
          }
        }
      }
      lineStart = lf + 1;
    }
  }

  /** Value of a Content-Length line in [p, lf), -1 if the line is another header, HEAD_FAILED if the value is bad. */
  private contentLengthOf(buf: Buffer, p: number, lf: number): number {
    if ((buf[p] | 0x20) === LOWER_L) {
      p++;
    } else {
      if (lf - p < 15) return -1;
      for (let i = 1; i < 14; i++) {
        if ((buf[p + i] | 0x20) !== CONTENT_LENGTH[i]) return -1;
      }
      p += 14;
    }
    while (p < lf && (buf[p] === SP || buf[p] === HT)) p++;
    if (p >= lf || buf[p] !== COLON) return -1;
    p++;
    while (p < lf && (buf[p] === SP || buf[p] === HT)) p++;
    const first = p;
    let v = 0;
    while (p < lf) {
      const d = buf[p] - 48;
      if (d < 0 || d > 9) break;
      // Saturate: anything this large is refused as too large anyway.
      if (v < 1e9) v = v * 10 + d;
      p++;
    }
    const digits = p - first;
    while (p < lf && (buf[p] === SP || buf[p] === HT || buf[p] === CR)) p++;
    if (digits === 0 || p !== lf) {
      // RFC 4475 3.1.2.10 (ncl): a negative Content-Length.
      if (buf[first] === DASH) this.scanFailed('framing-error', 'Negative Content-Length');
      else this.scanFailed('framing-error', 'Invalid Content-Length');
      return HEAD_FAILED;
    }
    return v;
  }

  private scanFailed(kind: FramingErrorKind, reason: string): true {
    this.errKind = kind;
    this.errReason = reason;
    return true;
  }

  /**
   * Index in chunk just past the blank line that ends the pending header
   * block, or -1. The pending tail tells whether chunk starts right after an
   * LF (or LF CR), so a blank line split across chunks is found.
   */
  private findHeadEnd(chunk: Buffer): number {
    const len = chunk.length;
    if (len === 0) return -1;
    const pending = this.pending as Buffer;
    const n = this.pendingLen;
    const last = pending[n - 1];
    if (last === LF) {
      if (chunk[0] === LF) return 1;
      if (chunk[0] === CR) {
        if (len === 1) return -1;
        if (chunk[1] === LF) return 2;
      }
    } else if (last === CR && n >= 2 && pending[n - 2] === LF) {
      if (chunk[0] === LF) return 1;
    }
    let p = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, p);
      if (lf < 0) return -1;
      const next = lf + 1;
      if (next >= len) return -1;
      const b = chunk[next];
      if (b === LF) return next + 1;
      if (b === CR) {
        if (next + 1 >= len) return -1;
        if (chunk[next + 1] === LF) return next + 2;
      }
      p = next;
    }
  }

  /** Starts a pending message with chunk[pos..]; total is its full length when known, else 0. */
  private stash(chunk: Buffer, pos: number, total: number, now: number): void {
    const n = chunk.length - pos;
    const cap = total > 0 ? total : this.headCapacity(n);
    const buf = Buffer.allocUnsafe(cap);
    chunk.copy(buf, 0, pos);
    this.pending = buf;
    this.pendingLen = n;
    this.totalLen = total;
    this.since = now;
  }

  private append(src: Buffer, from: number, to: number): void {
    const need = this.pendingLen + (to - from);
    let buf = this.pending as Buffer;
    if (need > buf.length) {
      // Header phase grows geometrically (amortised linear); body phase knows its exact size.
      const cap = this.totalLen > 0 ? this.totalLen : this.headCapacity(need);
      const grown = Buffer.allocUnsafe(cap);
      buf.copy(grown, 0, 0, this.pendingLen);
      buf = grown;
      this.pending = grown;
    }
    src.copy(buf, this.pendingLen, from, to);
    this.pendingLen = need;
  }

  private headCapacity(need: number): number {
    return Math.max(need, Math.min(this.limits.maxMessageBytes, Math.max(1024, need * 2)));
  }

  private fail(kind: FramingErrorKind, reason: string, head: Buffer | undefined, sink: FrameSink): void {
    this.dispose();
    sink.onFramingError(head ? { kind, reason, head } : { kind, reason });
  }
}
