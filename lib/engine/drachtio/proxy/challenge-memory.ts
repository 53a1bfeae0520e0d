/**
 * Challenge pinning (spec 9.3): a 401/407 relayed from a target is remembered by its nonce for a short while,
 * so the UAC's credentialled retry, when the app proxies it again, goes to the target that issued the challenge.
 */
import type { SipMessage } from '../../messages/message.js';
import type { Clock } from '../../timers/clock.js';

/** spec 9.3: "about 2 s". */
export const CHALLENGE_MEMORY_MS = 2000;

/** The `nonce` parameter of a Digest challenge or credentials header value (RFC 2617 / RFC 3261 22.4). */
export function digestNonce(value: string): string | undefined {
  const lower = value.toLowerCase();
  let i = lower.indexOf('nonce');
  while (i >= 0) {
    // `cnonce` also contains `nonce`: require a separator before it.
    const before = i === 0 ? ' ' : lower[i - 1]!;
    let j = i + 5;
    while (lower[j] === ' ' || lower[j] === '\t') j++;
    if ((before === ' ' || before === ',' || before === '\t') && lower[j] === '=') {
      j++;
      while (lower[j] === ' ' || lower[j] === '\t') j++;
      if (value[j] === '"') {
        const end = value.indexOf('"', j + 1);
        return end < 0 ? undefined : value.slice(j + 1, end);
      }
      let end = j;
      while (end < value.length && value[end] !== ',' && value[end] !== ' ') end++;
      return end > j ? value.slice(j, end) : undefined;
    }
    i = lower.indexOf('nonce', i + 5);
  }
  return undefined;
}

function nonceOf(msg: SipMessage, names: readonly string[]): string | undefined {
  for (const n of names) {
    for (const v of msg.getAll(n)) {
      const nonce = digestNonce(v);
      if (nonce !== undefined) return nonce;
    }
  }
  return undefined;
}

const CHALLENGES = ['www-authenticate', 'proxy-authenticate'] as const;
const CREDENTIALS = ['authorization', 'proxy-authorization'] as const;

export class ChallengeMemory {
  private readonly byNonce = new Map<string, { target: string; until: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = CHALLENGE_MEMORY_MS,
  ) {}

  get size(): number {
    return this.byNonce.size;
  }

  /** A challenge from `target` was relayed upstream. */
  remember(challenge: SipMessage, target: string): void {
    const nonce = nonceOf(challenge, CHALLENGES);
    if (nonce === undefined) return;
    const now = this.clock.now();
    this.sweep(now);
    this.byNonce.delete(nonce); // re-inserted at the end, keeping the map in expiry order
    this.byNonce.set(nonce, { target, until: now + this.ttlMs });
  }

  /** The target that challenged the credentials this request carries, if remembered and fresh. */
  targetFor(req: SipMessage): string | undefined {
    if (this.byNonce.size === 0) return undefined;
    const nonce = nonceOf(req, CREDENTIALS);
    if (nonce === undefined) return undefined;
    const hit = this.byNonce.get(nonce);
    if (hit === undefined) return undefined;
    if (hit.until < this.clock.now()) {
      this.byNonce.delete(nonce);
      return undefined;
    }
    return hit.target;
  }

  /** Entries are inserted in time order, so expired ones are at the front. */
  private sweep(now: number): void {
    for (const [nonce, e] of this.byNonce) {
      if (e.until >= now) break;
      this.byNonce.delete(nonce);
    }
  }
}
