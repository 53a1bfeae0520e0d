/**
 * Identifiers the engine mints: Via branches (RFC 3261 8.1.1.7), tags
 * (19.3) and Call-IDs (8.1.1.4). Randomness comes from a pooled CSPRNG
 * buffer so each id costs a few table look-ups instead of a syscall.
 */
import { randomBytes } from 'node:crypto';

/** RFC 3261 8.1.1.7: branches of RFC 3261 elements start with this magic cookie. */
export const BRANCH_COOKIE = 'z9hG4bK';

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolPos = 0;

/** `n` random bytes as lower-case hex. */
function randomHex(n: number): string {
  if (poolPos + n > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolPos = 0;
  }
  let out = '';
  for (let i = 0; i < n; i++) out += HEX[pool[poolPos++]!];
  return out;
}

// Branch = cookie + per-process random prefix + counter: unique across time and
// space (RFC 3261 8.1.1.7) without fresh randomness per request.
const BRANCH_PREFIX = BRANCH_COOKIE + randomHex(6) + '.';
let branchCounter = 0;

/** A new Via branch, e.g. 'z9hG4bK3f9a0c12d4e5.1a'. */
export function generateBranch(): string {
  branchCounter = (branchCounter + 1) % Number.MAX_SAFE_INTEGER;
  return BRANCH_PREFIX + branchCounter.toString(36);
}

/** A From/To tag with 64 random bits (RFC 3261 19.3 asks for at least 32). */
export function generateTag(): string {
  return randomHex(8);
}

/** A Call-ID with 128 random bits, optionally `@host` (RFC 3261 8.1.1.4, 20.8). */
export function generateCallId(host?: string): string {
  const id = randomHex(16);
  return host === undefined || host.length === 0 ? id : `${id}@${host}`;
}
