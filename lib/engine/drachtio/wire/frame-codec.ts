/**
 * Control-channel framing (spec 1.1): `<decimal UTF-8 byte length>#<payload>`, frames back to back.
 */

/** Default ceiling for one A->S frame (the real server allows 99 999 bytes; SIP with big bodies needs more). */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** More length digits than this is treated as a malformed prefix (spec 1.1). */
const MAX_PREFIX_DIGITS = 8;
const HASH = 0x23;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** One frame as bytes; the length counts UTF-8 bytes, never JS characters (spec 1.1). */
export function encode(payload: string): Buffer {
  const bytes = Buffer.byteLength(payload, 'utf8');
  const prefix = bytes + '#';
  const buf = Buffer.allocUnsafe(prefix.length + bytes);
  buf.write(prefix, 0, 'latin1');
  buf.write(payload, prefix.length, 'utf8');
  return buf;
}

/** The same frame as a string, for socket.write(str, 'utf8'), which avoids a separate Buffer allocation. */
export function encodeString(payload: string): string {
  return Buffer.byteLength(payload, 'utf8') + '#' + payload;
}

export class FrameError extends Error {}

export interface FrameDecoderOptions {
  onFrame: (payload: string) => void;
  onError: (err: FrameError) => void;
  maxFrameBytes?: number;
}

/**
 * Incremental decoder. Each input byte is looked at once: a payload that lies inside one chunk is decoded
 * straight from it; only a payload spanning chunks is gathered (one concat when complete), so the cost is
 * linear in the input however the stream is split.
 * After an error, or after stop(), all input is ignored (the owner closes the connection).
 */
export class FrameDecoder {
  private readonly onFrame: (payload: string) => void;
  private readonly onError: (err: FrameError) => void;
  private readonly maxFrameBytes: number;
  /** Payload bytes still missing for the current frame; -1 while reading the length prefix. */
  private need = -1;
  private prefixValue = 0;
  private prefixDigits = 0;
  /** Pieces of a payload that spans chunks. */
  private parts: Buffer[] = [];
  private stopped = false;

  constructor(opts: FrameDecoderOptions) {
    this.onFrame = opts.onFrame;
    this.onError = opts.onError;
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  get failed(): boolean {
    return this.stopped;
  }

  /** Stop decoding (the connection is closing); frames still buffered are dropped. */
  stop(): void {
    this.stopped = true;
    this.parts = [];
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    while (i < n && !this.stopped) {
      if (this.need < 0) {
        const c = chunk[i++]!;
        if (c === HASH) {
          if (this.prefixDigits === 0) return this.fail('empty length prefix');
          if (this.prefixValue === 0) return this.fail('zero-length frame');
          this.need = this.prefixValue;
          this.prefixValue = 0;
          this.prefixDigits = 0;
          continue;
        }
        if (c < DIGIT_0 || c > DIGIT_9) return this.fail('non-digit in length prefix');
        if (++this.prefixDigits > MAX_PREFIX_DIGITS) return this.fail('length prefix too long');
        this.prefixValue = this.prefixValue * 10 + (c - DIGIT_0);
        if (this.prefixValue > this.maxFrameBytes) return this.fail('frame exceeds maximum size');
        continue;
      }
      const avail = n - i;
      if (this.parts.length === 0 && avail >= this.need) {
        // Whole payload inside this chunk: decode in place.
        const end = i + this.need;
        this.need = -1;
        const payload = chunk.toString('utf8', i, end);
        i = end;
        this.onFrame(payload);
        continue;
      }
      const take = avail < this.need ? avail : this.need;
      this.parts.push(chunk.subarray(i, i + take));
      i += take;
      this.need -= take;
      if (this.need === 0) {
        const whole = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
        this.parts = [];
        this.need = -1;
        this.onFrame(whole.toString('utf8'));
      }
    }
  }

  private fail(reason: string): void {
    this.stop();
    this.onError(new FrameError(reason));
  }
}
