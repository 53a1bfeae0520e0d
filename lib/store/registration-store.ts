/**
 * The registration state a node shares with its cluster peers: bindings per address-of-record, nonce-count
 * records for digest replay protection, and failure counters for brute-force throttling. One interface, two
 * implementations: in memory (a single node, the embedded default) and Redis (the cluster's source of truth).
 * Key layout of the Redis store: docs/store.md.
 */

export type BindingTransport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** One contact of an AOR (RFC 3261 10.3), with where it came from and which node/connection reaches it. */
export interface Binding {
  /** Normalised address-of-record: `sip:user@domain`, domain lower-case, no parameters. */
  aor: string;
  /** The Contact URI as the device sent it (no angle brackets, no header parameters). */
  uri: string;
  /** Identity of the binding within its AOR: `+sip.instance` (+ reg-id) when given (RFC 5626), else the URI. */
  key: string;
  q?: number;
  instanceId?: string;
  regId?: number;
  callId: string;
  cseq: number;
  /** Absolute expiry, epoch milliseconds. */
  expiresAt: number;
  /** The received source of the REGISTER (what RFC 3261 18.2.1 `received`/`rport` would say). */
  transport: BindingTransport;
  address: string;
  port: number;
  /** The node whose connection reaches the device, and that connection (`transport:address:port` there). */
  nodeId: string;
  connectionId: string;
  userAgent?: string;
  /** Path header values (RFC 3327), in order, when the REGISTER carried them. */
  path?: string[];
  /** False once the connection it arrived on closed, when the registrar keeps such bindings (config). */
  reachable: boolean;
}

/** What an AOR update decided: the new binding set (undefined: leave the AOR as it is) and a result to return. */
export interface AorChange<T> {
  bindings: Binding[] | undefined;
  result: T;
}

/** The store cannot serve the request now (Redis down, timeout). Callers answer 503 + Retry-After. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * One digest attempt, checked against the shared store in one step (one Redis round trip): the failure counters
 * first (throttling), then what the local check of the credentials found.
 */
export interface DigestAttempt {
  /** Failure counters of the user and of the source address (e.g. `user:alice`, `ip:203.0.113.5`). */
  userKey: string;
  sourceKey: string;
  /** At this many failures in either counter the attempt is throttled (nothing else is looked at or counted). */
  maxFailures: number;
  /** Window of a failure counter, from its first failure. */
  windowMs: number;
  /** The local check: the response is wrong; right but under a stale nonce; or right. */
  check: 'wrong' | 'stale' | 'right';
  /** For a right response: the nonce-count record (RFC 7616 3.4.5) to check and keep for `ncTtlMs`. */
  nonce: string;
  nc: number;
  ncTtlMs: number;
}

/**
 * throttled: a counter is at the limit; failed: wrong response, counted in both counters; stale: right response,
 * stale nonce; replay: right response, nonce count not above the last one; accepted: nonce count recorded and the
 * user's failures cleared.
 */
export type DigestVerdict = 'throttled' | 'failed' | 'stale' | 'replay' | 'accepted';

/**
 * An AOR read started ahead of an update that will probably follow (while the credentials are checked), so the
 * update needs no read round trip of its own. Opaque; a store that cannot use it returns undefined.
 */
export interface AorReadAhead {
  readonly aor: string;
}

export interface RegistrationStore {
  readonly kind: 'memory' | 'redis';
  /** Current bindings of an AOR (expired ones left out), in no particular order. */
  lookup(aor: string): Promise<Binding[]>;
  /**
   * Atomic read-modify-write of one AOR. `decide` gets the current unexpired bindings and may be called more
   * than once (optimistic concurrency: retried when another writer changed the AOR in between), so it must be
   * pure. Writing an empty list removes the AOR.
   */
  updateAor<T>(aor: string, decide: (current: Binding[]) => AorChange<T>, readAhead?: AorReadAhead): Promise<T>;
  /** Starts reading `aor` for an updateAor soon after (see AorReadAhead). Never rejects or throws. */
  readAhead(aor: string): AorReadAhead | undefined;
  /**
   * Bindings that arrived on one node's connection (for removal when it closes). With `markUnreachable`, they are
   * kept with `reachable: false` instead of being removed. Returns how many were affected.
   */
  dropConnection(nodeId: string, connectionId: string, markUnreachable: boolean): Promise<number>;
  /**
   * For each of one node's connections, whether a binding that arrived on it is still there (the Redis store sees
   * an expiry at its next sweep). Lets the node close device connections whose registrations all ended.
   */
  connectionsBound(nodeId: string, connectionIds: readonly string[]): Promise<boolean[]>;
  /**
   * Digest nonce-count replay check (RFC 7616 3.4.5): true when `nc` is above every count seen for `nonce`
   * (and records it); false for a replay. The record lives `ttlMs`.
   */
  acceptNonceCount(nonce: string, nc: number, ttlMs: number): Promise<boolean>;
  /** Counts one authentication failure under `key` in a window of `windowMs`; returns the count in the window. */
  recordFailure(key: string, windowMs: number): Promise<number>;
  /** Failures counted under `key` in its current window (0 when none). */
  failureCount(key: string): Promise<number>;
  clearFailures(key: string): Promise<void>;
  /** The store's part of a digest check, as one atomic step where the store can (see DigestAttempt). */
  settleDigest(attempt: DigestAttempt): Promise<DigestVerdict>;
  close(): Promise<void>;
}

/**
 * settleDigest from the single-counter operations, for stores without a one-step form (memory, Redis Cluster
 * where the keys live in different slots). Same verdicts, several calls.
 */
export async function settleDigestStepwise(store: RegistrationStore, a: DigestAttempt): Promise<DigestVerdict> {
  const [byUser, bySource] = await Promise.all([store.failureCount(a.userKey), store.failureCount(a.sourceKey)]);
  if (byUser >= a.maxFailures || bySource >= a.maxFailures) return 'throttled';
  if (a.check === 'wrong') {
    await Promise.all([store.recordFailure(a.userKey, a.windowMs), store.recordFailure(a.sourceKey, a.windowMs)]);
    return 'failed';
  }
  if (a.check === 'stale') return 'stale';
  if (!(await store.acceptNonceCount(a.nonce, a.nc, a.ncTtlMs))) return 'replay';
  if (byUser > 0) await store.clearFailures(a.userKey);
  return 'accepted';
}
