/**
 * SIP digest authentication of device requests (RFC 3261 22, RFC 7616, RFC 8760): challenges, verification of
 * credentials (plain, `username*` or hashed user names) against the user directory, stale nonces, nonce-count
 * replay protection and brute-force throttling (both kept in the shared store, so every node of a cluster sees the
 * same counts).
 * Store failures (StoreUnavailableError) are not caught here: the caller answers 503, never a false success.
 */
import type { AuthConfig } from '../config/config-schema.js';
import type { RegistrationStore } from '../store/registration-store.js';
import { formatDigestChallenge, parseDigestCredentials, type DigestCredentials } from './digest-header.js';
import { constantTimeEqual, digestResponse, HEX_LENGTH, parseAlgorithm, type DigestAlgorithm } from './digest-hash.js';
import { NonceSigner } from './nonce.js';
import type { UserDirectory } from './user-directory.js';

export type AuthResult =
  | { ok: true; user: string }
  | { ok: false; status: 401 | 407; challenges: string[]; reason: string }
  | { ok: false; status: 403; reason: string };

export interface AuthInput {
  method: string;
  /** The Authorization (proxy: false) or Proxy-Authorization (proxy: true) header value, if any. */
  authorization: string | undefined;
  sourceIp: string;
  /** RFC 3261 22.3: true for requests a proxy challenges (407 / Proxy-*), false for REGISTER (401 / WWW-*). */
  proxy: boolean;
}

/** Events since start, for the sipedge_auth_events metric. Every 401/407 answer counts in `challenges`. */
export interface AuthStats {
  challenges: number;
  successes: number;
  failures: number;
  throttled: number;
  replays: number;
  stale: number;
}

const NC = /^[0-9a-fA-F]{8}$/;

export class DigestAuthenticator {
  readonly stats: AuthStats = { challenges: 0, successes: 0, failures: 0, throttled: 0, replays: 0, stale: 0 };
  private readonly algorithms: DigestAlgorithm[];
  private readonly nonces: NonceSigner;
  private readonly now: () => number;
  private readonly windowMs: number;

  constructor(
    private readonly cfg: AuthConfig,
    private readonly users: UserDirectory,
    private readonly store: RegistrationStore,
    opts: { now?: () => number } = {},
  ) {
    this.algorithms = cfg.algorithms.map((a) => {
      const alg = parseAlgorithm(a);
      if (alg === undefined) throw new Error(`auth.algorithms: unsupported algorithm '${a}' (use SHA-256 or MD5)`);
      return alg;
    });
    if (this.algorithms.length === 0) throw new Error('auth.algorithms: at least one algorithm is needed');
    // HA1 values include the realm: a file made for another realm could never verify anyone.
    if (users.realm !== undefined && users.realm !== cfg.realm) {
      throw new Error(`user directory realm '${users.realm}' differs from auth.realm '${cfg.realm}'`);
    }
    // Devices told they may hash their names will: build the lookup tables now, not on the first such request.
    if (cfg.userhash) for (const algorithm of this.algorithms) users.userHashes(algorithm, cfg.realm);
    this.nonces = new NonceSigner({ secret: cfg.nonceSecret, realm: cfg.realm, lifetimeMs: cfg.nonceLifetimeS * 1000 });
    this.now = opts.now ?? Date.now;
    this.windowMs = cfg.throttle.windowS * 1000;
  }

  async authenticate(input: AuthInput): Promise<AuthResult> {
    if (input.authorization === undefined || input.authorization.trim() === '') return this.challenge(input, 'no credentials');
    const creds = parseDigestCredentials(input.authorization);
    if (creds === undefined) return this.challenge(input, 'malformed credentials');
    // Credentials for another realm are not for us (RFC 3261 22.3): challenge for ours.
    if (creds.realm !== this.cfg.realm) return this.challenge(input, 'credentials for another realm');
    const algorithm = parseAlgorithm(creds.algorithm ?? 'MD5');
    if (algorithm === undefined || !this.algorithms.includes(algorithm)) return this.challenge(input, 'algorithm not offered');
    const qop = creds.qop?.toLowerCase();
    if (qop !== undefined && qop !== 'auth') return this.challenge(input, 'unsupported qop');
    // nc 0 is never sent (RFC 7616 3.4: the first request with a nonce has nc=00000001).
    if (qop !== undefined && (creds.nc === undefined || !NC.test(creds.nc) || /^0+$/.test(creds.nc) || !creds.cnonce)) {
      return this.challenge(input, 'malformed credentials');
    }

    const nonceState = this.nonces.checkNonce(creds.nonce, this.now());
    // Not ours (another secret, tampered, garbage): no password was tried against it, so it is not a failure.
    if (nonceState === 'invalid') return this.challenge(input, 'invalid nonce');

    // Verified here, then settled with the store in one step: throttling is looked at first there, so a throttled
    // guesser learns nothing about its guess. RFC 7616 3.3: stale=true only when the response was right, so the
    // device retries without asking for a password; a wrong one under an old nonce counts as a failure.
    // RFC 7616 3.4.4: a hashed name is looked up; HA1 is still over the real one. An unknown hash fails like an
    // unknown user (and is counted under the hash).
    const user = creds.userhash ? this.users.userOfHash(creds.username, algorithm, this.cfg.realm) : creds.username;
    const right = this.responseMatches(user, creds, algorithm, qop, input.method);
    const verdict = await this.store.settleDigest({
      userKey: `user:${user ?? creds.username}`,
      sourceKey: `ip:${input.sourceIp}`,
      maxFailures: this.cfg.throttle.maxFailures,
      windowMs: this.windowMs,
      check: !right ? 'wrong' : nonceState === 'stale' ? 'stale' : 'right',
      nonce: creds.nonce,
      // RFC 7616 3.4.5: each request under a nonce must carry a higher nc. Without qop (RFC 2069) there is no nc,
      // so the nonce is accepted once (as nc 1): a second use is a replay and gets a fresh challenge.
      nc: qop === undefined ? 1 : parseInt(creds.nc!, 16),
      ncTtlMs: this.nonces.nonceCountTtlMs,
    });
    switch (verdict) {
      case 'throttled':
        this.stats.throttled++;
        return { ok: false, status: 403, reason: 'Too many failed attempts' };
      case 'failed':
        this.stats.failures++;
        return this.challenge(input, 'wrong credentials');
      case 'stale':
        this.stats.stale++;
        return this.challenge(input, 'stale nonce', true);
      case 'replay':
        this.stats.replays++;
        return this.challenge(input, 'nonce count replay');
      case 'accepted':
        this.stats.successes++;
        return { ok: true, user: user! };
    }
  }

  /**
   * Recomputes the response from the stored HA1. The uri parameter is deliberately not compared with the
   * Request-URI: proxies on the way may rewrite the Request-URI (RFC 3261 16.5), and the digest still covers the
   * uri the client signed. An unknown user is checked against a dummy HA1 so it costs the same as a wrong password.
   */
  private responseMatches(
    user: string | undefined,
    creds: DigestCredentials,
    algorithm: DigestAlgorithm,
    qop: 'auth' | undefined,
    method: string,
  ): boolean {
    const stored = user === undefined ? undefined : this.users.lookup(user, algorithm);
    const expected = digestResponse({
      algorithm,
      ha1: stored ?? '0'.repeat(HEX_LENGTH[algorithm]),
      method,
      uri: creds.uri,
      nonce: creds.nonce,
      ...(qop === undefined ? {} : { qop, nc: creds.nc, cnonce: creds.cnonce }),
    });
    return constantTimeEqual(expected, creds.response.toLowerCase()) && stored !== undefined;
  }

  /** A 401/407 with one challenge per configured algorithm, preferred first (RFC 8760 2.4), on one fresh nonce. */
  private challenge(input: AuthInput, reason: string, stale = false): AuthResult {
    this.stats.challenges++;
    const nonce = this.nonces.issueNonce(this.now());
    const userhash = this.cfg.userhash;
    const challenges = this.algorithms.map((algorithm) => formatDigestChallenge({ realm: this.cfg.realm, nonce, algorithm, stale, userhash }));
    return { ok: false, status: input.proxy ? 407 : 401, challenges, reason };
  }
}
