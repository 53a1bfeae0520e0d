/**
 * Stateless digest nonces (RFC 7616 3.3 leaves the nonce format to the server): any node of the cluster can check
 * a nonce another node issued, without shared state, because every node signs with the same secret
 * (`auth.nonceSecret`). Layout before base64url: issue time (ms, 8 bytes big-endian) | 12 random bytes |
 * HMAC-SHA256(secret, time | random | realm). Binding the realm in means a nonce of one realm is useless in another.
 * Replay within a nonce's life is stopped by the nonce-count record in the store, not here.
 */
import { createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';

export type NonceCheck = 'valid' | 'stale' | 'invalid';

const TIME_BYTES = 8;
const RANDOM_BYTES = 12;
const MAC_BYTES = 32;
const NONCE_BYTES = TIME_BYTES + RANDOM_BYTES + MAC_BYTES;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

// Random bytes come from a pool refilled 4 KiB at a time: one randomFillSync per nonce showed in the registrar's
// profile. Bytes handed out are never handed out again.
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

function randomInto(target: Buffer, at: number, n: number): void {
  if (poolOffset + n > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  pool.copy(target, at, poolOffset, poolOffset + n);
  poolOffset += n;
}

/** Clocks of cluster nodes differ a little: a nonce issued this far in the future is still accepted. */
export const MAX_CLOCK_SKEW_MS = 5_000;

export interface NonceOptions {
  secret: string;
  realm: string;
  lifetimeMs: number;
}

export class NonceSigner {
  private readonly secret: Buffer;
  private readonly realm: Buffer;
  readonly lifetimeMs: number;

  constructor(opts: NonceOptions) {
    if (opts.secret === '') throw new Error('nonce secret must not be empty');
    if (!(opts.lifetimeMs > 0)) throw new Error('nonce lifetime must be positive');
    this.secret = Buffer.from(opts.secret, 'utf8');
    this.realm = Buffer.from(opts.realm, 'utf8');
    this.lifetimeMs = opts.lifetimeMs;
  }

  /** A fresh nonce stamped with `now` (epoch ms). */
  issueNonce(now: number): string {
    const head = Buffer.alloc(TIME_BYTES + RANDOM_BYTES);
    head.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(now))), 0);
    randomInto(head, TIME_BYTES, RANDOM_BYTES);
    return Buffer.concat([head, this.mac(head)]).toString('base64url');
  }

  /**
   * 'invalid': not one of ours (bad encoding, bad signature, another realm or secret) or issued more than
   * MAX_CLOCK_SKEW_MS in the future; 'stale': ours but older than the lifetime (RFC 7616 3.3 stale=true);
   * otherwise 'valid'.
   */
  checkNonce(nonce: string, now: number): NonceCheck {
    if (!BASE64URL.test(nonce)) return 'invalid';
    const raw = Buffer.from(nonce, 'base64url');
    // Re-encoding must give the same text, so there is exactly one spelling of each valid nonce.
    if (raw.length !== NONCE_BYTES || raw.toString('base64url') !== nonce) return 'invalid';
    const head = raw.subarray(0, TIME_BYTES + RANDOM_BYTES);
    if (!timingSafeEqual(raw.subarray(TIME_BYTES + RANDOM_BYTES), this.mac(head))) return 'invalid';
    const issuedAt = Number(head.readBigUInt64BE(0));
    if (issuedAt > now + MAX_CLOCK_SKEW_MS) return 'invalid';
    return now - issuedAt > this.lifetimeMs ? 'stale' : 'valid';
  }

  /**
   * How long a nonce-count record must live to outlast every nonce still accepted: a nonce is valid until
   * issue + lifetime, and its issue time may be up to the clock skew ahead of this node's clock.
   */
  get nonceCountTtlMs(): number {
    return this.lifetimeMs + MAX_CLOCK_SKEW_MS;
  }

  private mac(head: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(head).update(this.realm).digest();
  }
}
