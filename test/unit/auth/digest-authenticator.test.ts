// The digest authenticator against an in-memory stand-in of the shared store: challenges, MD5 and SHA-256
// answers, failures and throttling, replayed nonce counts, stale nonces, two nodes, and store outages.
import t from 'tap';
import { createHash } from 'node:crypto';
import { DigestAuthenticator, type AuthResult } from '../../../lib/auth/digest-authenticator.js';
import { ha1 } from '../../../lib/auth/digest-hash.js';
import { UserDirectory, type Ha1Hashes } from '../../../lib/auth/user-directory.js';
import type { AuthConfig } from '../../../lib/config/config-schema.js';
import {
  settleDigestStepwise,
  StoreUnavailableError,
  type AorChange,
  type AorReadAhead,
  type Binding,
  type DigestAttempt,
  type DigestVerdict,
  type RegistrationStore,
} from '../../../lib/store/registration-store.js';

const REALM = 'sipedge.test';
const IP = '198.51.100.7';

/** Test double of the store: only the nonce-count and failure-counter parts, on Maps with a settable clock. */
class FakeStore implements RegistrationStore {
  readonly kind = 'memory' as const;
  readonly nonceCounts = new Map<string, number>();
  readonly failures = new Map<string, { count: number; until: number }>();
  ttls: number[] = [];
  down = false;
  constructor(private readonly clock: () => number) {}

  private check(): void {
    if (this.down) throw new StoreUnavailableError('store down');
  }
  async lookup(): Promise<Binding[]> {
    throw new Error('not used');
  }
  async updateAor<T>(_aor: string, _decide: (current: Binding[]) => AorChange<T>): Promise<T> {
    throw new Error('not used');
  }
  async dropConnection(): Promise<number> {
    throw new Error('not used');
  }
  async connectionsBound(): Promise<boolean[]> {
    throw new Error('not used');
  }
  async acceptNonceCount(nonce: string, nc: number, ttlMs: number): Promise<boolean> {
    this.check();
    this.ttls.push(ttlMs);
    if ((this.nonceCounts.get(nonce) ?? 0) >= nc) return false;
    this.nonceCounts.set(nonce, nc);
    return true;
  }
  async recordFailure(key: string, windowMs: number): Promise<number> {
    this.check();
    const f = this.failures.get(key);
    if (f !== undefined && f.until > this.clock()) return ++f.count;
    this.failures.set(key, { count: 1, until: this.clock() + windowMs });
    return 1;
  }
  async failureCount(key: string): Promise<number> {
    this.check();
    const f = this.failures.get(key);
    return f !== undefined && f.until > this.clock() ? f.count : 0;
  }
  async clearFailures(key: string): Promise<void> {
    this.check();
    this.failures.delete(key);
  }
  settleDigest(a: DigestAttempt): Promise<DigestVerdict> {
    return settleDigestStepwise(this, a);
  }
  readAhead(): AorReadAhead | undefined {
    return undefined;
  }
  async close(): Promise<void> {}
}

const config = (over: Partial<AuthConfig> = {}): AuthConfig => ({
  enabled: true,
  realm: REALM,
  nonceSecret: 'cluster-secret',
  nonceLifetimeS: 300,
  algorithms: ['SHA-256', 'MD5'],
  userhash: false,
  usersFile: 'unused',
  methods: ['REGISTER', 'INVITE'],
  throttle: { maxFailures: 3, windowS: 60 },
  ...over,
});

function directory(passwords: Record<string, string>, realm = REALM): UserDirectory {
  const users = new Map<string, Ha1Hashes>();
  for (const [user, pw] of Object.entries(passwords)) users.set(user, { MD5: ha1('MD5', user, realm, pw), 'SHA-256': ha1('SHA-256', user, realm, pw) });
  return new UserDirectory(realm, users);
}

function setup(over: Partial<AuthConfig> = {}) {
  const clock = { now: 1_700_000_000_000 };
  const store = new FakeStore(() => clock.now);
  const users = directory({ alice: 'alice-secret', bob: 'bob-secret' });
  const auth = new DigestAuthenticator(config(over), users, store, { now: () => clock.now });
  return { clock, store, users, auth };
}

interface Challenge {
  realm: string;
  nonce: string;
  algorithm: string;
  qop?: string;
  stale: boolean;
  userhash: boolean;
}

function parseChallenge(v: string): Challenge {
  const p = new Map<string, string>();
  for (const m of v.replace(/^Digest\s+/, '').matchAll(/([\w-]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) p.set(m[1]!, m[2] ?? m[3]!);
  return {
    realm: p.get('realm')!,
    nonce: p.get('nonce')!,
    algorithm: p.get('algorithm')!,
    qop: p.get('qop'),
    stale: p.get('stale') === 'true',
    userhash: p.get('userhash') === 'true',
  };
}

function challengesOf(r: AuthResult): Challenge[] {
  if (r.ok || r.status === 403) throw new Error(`expected a challenge, got ${JSON.stringify(r)}`);
  return r.challenges.map(parseChallenge);
}

const H = (alg: string, s: string) => createHash(alg === 'SHA-256' ? 'sha256' : 'md5').update(s).digest('hex');

/**
 * What a device sends for a challenge: written out here, independent of lib/auth/digest-hash.ts. `name` says how
 * the user name travels: as is (default), hashed (RFC 7616 3.4.4 userhash) or as an RFC 8187 `username*`.
 */
function answer(
  c: Challenge,
  user: string,
  password: string,
  o: { method?: string; uri?: string; nc?: number; qop?: boolean; realm?: string; name?: 'plain' | 'hashed' | 'extended' } = {},
): string {
  const method = o.method ?? 'REGISTER';
  const uri = o.uri ?? 'sip:sipedge.test';
  const realm = o.realm ?? c.realm;
  const h1 = H(c.algorithm, `${user}:${realm}:${password}`);
  const h2 = H(c.algorithm, `${method}:${uri}`);
  const username =
    o.name === 'hashed'
      ? `username="${H(c.algorithm, `${user}:${realm}`)}", userhash=true`
      : o.name === 'extended'
        ? `username*=UTF-8''${encodeURIComponent(user)}`
        : `username="${user}"`;
  const base = `Digest ${username}, realm="${realm}", nonce="${c.nonce}", uri="${uri}", algorithm=${c.algorithm}`;
  if (o.qop === false) return `${base}, response="${H(c.algorithm, `${h1}:${c.nonce}:${h2}`)}"`;
  const nc = (o.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = 'c0ffee42';
  return `${base}, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${H(c.algorithm, `${h1}:${c.nonce}:${nc}:${cnonce}:auth:${h2}`)}"`;
}

const req = (authorization?: string, over: { method?: string; proxy?: boolean; sourceIp?: string } = {}) => ({
  method: over.method ?? 'REGISTER',
  authorization,
  sourceIp: over.sourceIp ?? IP,
  proxy: over.proxy ?? false,
});

async function firstChallenge(auth: DigestAuthenticator, algorithm: string, proxy = false): Promise<Challenge> {
  const c = challengesOf(await auth.authenticate(req(undefined, { proxy }))).find((x) => x.algorithm === algorithm);
  if (c === undefined) throw new Error(`no ${algorithm} challenge`);
  return c;
}

t.test('no credentials: 401 with one challenge per algorithm, in config order', async (t) => {
  const { auth } = setup();
  const r = await auth.authenticate(req());
  t.match(r, { ok: false, status: 401, reason: 'no credentials' });
  const cs = challengesOf(r);
  t.same(cs.map((c) => c.algorithm), ['SHA-256', 'MD5']);
  t.ok(cs.every((c) => c.realm === REALM && c.qop === 'auth' && !c.stale && c.nonce.length > 20));
  const { auth: md5First } = setup({ algorithms: ['MD5', 'SHA-256'] });
  t.same(challengesOf(await md5First.authenticate(req())).map((c) => c.algorithm), ['MD5', 'SHA-256']);
  t.equal(auth.stats.challenges, 1);
});

t.test('correct MD5 and SHA-256 answers succeed', async (t) => {
  const { auth, store } = setup();
  for (const alg of ['MD5', 'SHA-256']) {
    const c = await firstChallenge(auth, alg);
    t.same(await auth.authenticate(req(answer(c, 'alice', 'alice-secret'))), { ok: true, user: 'alice' }, alg);
  }
  t.equal(auth.stats.successes, 2);
  t.same(store.ttls, [305_000, 305_000], 'nonce-count records outlive the nonce');
});

t.test('RFC 7616 3.4.4: hashed user names and username* succeed with both algorithms', async (t) => {
  const { auth, users } = setup({ throttle: { maxFailures: 10, windowS: 60 } });
  t.equal(challengesOf(await auth.authenticate(req())).some((c) => c.userhash), false, 'userhash not offered by default');
  for (const alg of ['MD5', 'SHA-256']) {
    const c1 = await firstChallenge(auth, alg);
    t.same(await auth.authenticate(req(answer(c1, 'alice', 'alice-secret', { name: 'hashed' }))), { ok: true, user: 'alice' }, `${alg} hashed`);
    const c2 = await firstChallenge(auth, alg);
    t.match(await auth.authenticate(req(answer(c2, 'alice', 'wrong', { name: 'hashed' }))), { ok: false, status: 401, reason: 'wrong credentials' }, `${alg} hashed, wrong password`);
    const c3 = await firstChallenge(auth, alg);
    t.match(await auth.authenticate(req(answer(c3, 'mallory', 'x', { name: 'hashed' }))), { ok: false, reason: 'wrong credentials' }, `${alg} unknown hash`);
  }
  // A name a quoted string cannot carry as is (RFC 8187 UTF-8).
  const jurgen = directory({ 'jürgen': 'pw' });
  const store = new FakeStore(() => 1_700_000_000_000);
  const a2 = new DigestAuthenticator(config({ userhash: true }), jurgen, store, { now: () => 1_700_000_000_000 });
  const cs = challengesOf(await a2.authenticate(req()));
  t.ok(cs.every((c) => c.userhash), 'userhash=true offered when configured');
  const c = cs.find((x) => x.algorithm === 'SHA-256')!;
  t.same(await a2.authenticate(req(answer(c, 'jürgen', 'pw', { name: 'extended' }))), { ok: true, user: 'jürgen' }, 'username*');
  const c4 = challengesOf(await a2.authenticate(req())).find((x) => x.algorithm === 'MD5')!;
  t.same(await a2.authenticate(req(answer(c4, 'jürgen', 'pw', { name: 'hashed' }))), { ok: true, user: 'jürgen' }, 'hashed UTF-8 name');
  t.equal(users.size, 2);
});

t.test('the nonce can be reused with increasing nc; the uri need not be the Request-URI', async (t) => {
  const { auth } = setup();
  const c = await firstChallenge(auth, 'SHA-256');
  t.match(await auth.authenticate(req(answer(c, 'bob', 'bob-secret', { nc: 1 }))), { ok: true });
  t.match(await auth.authenticate(req(answer(c, 'bob', 'bob-secret', { nc: 2, uri: 'sip:rewritten.example' }))), { ok: true });
  t.match(await auth.authenticate(req(answer(c, 'bob', 'bob-secret', { nc: 7 }))), { ok: true });
});

t.test('without qop (RFC 2069) the response is accepted once per nonce', async (t) => {
  const { auth } = setup();
  const c = await firstChallenge(auth, 'MD5');
  const a = answer(c, 'alice', 'alice-secret', { qop: false });
  t.same(await auth.authenticate(req(a)), { ok: true, user: 'alice' });
  t.match(await auth.authenticate(req(a)), { ok: false, status: 401, reason: 'nonce count replay' });
});

t.test('no algorithm parameter means MD5', async (t) => {
  const { auth } = setup();
  const c = await firstChallenge(auth, 'MD5');
  t.same(await auth.authenticate(req(answer(c, 'alice', 'alice-secret').replace(', algorithm=MD5', ''))), { ok: true, user: 'alice' });
  const { auth: shaOnly } = setup({ algorithms: ['SHA-256'] });
  const s = await firstChallenge(shaOnly, 'SHA-256');
  const md5Answer = answer({ ...s, algorithm: 'MD5' }, 'alice', 'alice-secret').replace(', algorithm=MD5', '');
  t.match(await shaOnly.authenticate(req(md5Answer)), { ok: false, status: 401, reason: 'algorithm not offered' });
});

t.test('wrong password: 401 with a fresh challenge, failure counted by user and address', async (t) => {
  const { auth, store } = setup();
  const c = await firstChallenge(auth, 'SHA-256');
  const r = await auth.authenticate(req(answer(c, 'alice', 'wrong')));
  t.match(r, { ok: false, status: 401, reason: 'wrong credentials' });
  t.equal(challengesOf(r).length, 2);
  t.equal(await store.failureCount('user:alice'), 1);
  t.equal(await store.failureCount(`ip:${IP}`), 1);
  t.equal(auth.stats.failures, 1);
  t.equal(store.nonceCounts.size, 0, 'a wrong answer does not use up a nonce count');
});

t.test('unknown user is a failure too', async (t) => {
  const { auth, store } = setup();
  const c = await firstChallenge(auth, 'MD5');
  t.match(await auth.authenticate(req(answer(c, 'mallory', 'x'))), { ok: false, status: 401 });
  t.equal(await store.failureCount('user:mallory'), 1);
  t.equal(auth.stats.failures, 1);
});

t.test('success clears the user\'s failures but not the address\'s', async (t) => {
  const { auth, store } = setup();
  const c = await firstChallenge(auth, 'MD5');
  await auth.authenticate(req(answer(c, 'alice', 'wrong')));
  t.match(await auth.authenticate(req(answer(c, 'alice', 'alice-secret'))), { ok: true });
  t.equal(await store.failureCount('user:alice'), 0);
  t.equal(await store.failureCount(`ip:${IP}`), 1);
});

t.test('a replayed nonce count never succeeds', async (t) => {
  const { auth } = setup();
  const c = await firstChallenge(auth, 'SHA-256');
  const a = answer(c, 'alice', 'alice-secret', { nc: 5 });
  t.match(await auth.authenticate(req(a)), { ok: true });
  const replay = await auth.authenticate(req(a));
  t.match(replay, { ok: false, status: 401, reason: 'nonce count replay' });
  t.equal(challengesOf(replay).length, 2);
  t.match(await auth.authenticate(req(answer(c, 'alice', 'alice-secret', { nc: 4 }))), { ok: false, reason: 'nonce count replay' });
  t.equal(auth.stats.replays, 2);
  t.equal(auth.stats.successes, 1);
});

t.test('stale nonce with the right password: stale=true, and the fresh nonce works', async (t) => {
  const { auth, clock } = setup();
  const old = await firstChallenge(auth, 'SHA-256');
  clock.now += 300_001;
  const r = await auth.authenticate(req(answer(old, 'alice', 'alice-secret')));
  t.match(r, { ok: false, status: 401, reason: 'stale nonce' });
  const fresh = challengesOf(r);
  t.ok(fresh.every((c) => c.stale), 'every challenge says stale=true');
  t.not(fresh[0]!.nonce, old.nonce);
  t.equal(auth.stats.stale, 1);
  t.equal(auth.stats.failures, 0);
  t.same(await auth.authenticate(req(answer(fresh[0]!, 'alice', 'alice-secret'))), { ok: true, user: 'alice' });
});

t.test('stale nonce with a wrong password: a failure, no stale=true', async (t) => {
  const { auth, clock, store } = setup();
  const old = await firstChallenge(auth, 'MD5');
  clock.now += 400_000;
  const r = await auth.authenticate(req(answer(old, 'alice', 'guess')));
  t.match(r, { ok: false, status: 401, reason: 'wrong credentials' });
  t.ok(challengesOf(r).every((c) => !c.stale));
  t.equal(await store.failureCount('user:alice'), 1);
  t.equal(auth.stats.stale, 0);
});

t.test('throttled after maxFailures: 403 without verifying', async (t) => {
  const { auth, store } = setup();
  const c = await firstChallenge(auth, 'MD5');
  for (let i = 0; i < 3; i++) t.match(await auth.authenticate(req(answer(c, 'alice', `guess-${i}`))), { status: 401 });
  const right = await auth.authenticate(req(answer(c, 'alice', 'alice-secret')));
  t.same(right, { ok: false, status: 403, reason: 'Too many failed attempts' }, 'even the right password is refused now');
  t.equal(auth.stats.throttled, 1);
  t.equal(await store.failureCount('user:alice'), 3, 'a throttled attempt is not verified or counted');
  t.equal(store.nonceCounts.size, 0);
});

t.test('throttling by address covers every user name from it; the window ends it', async (t) => {
  const { auth, clock } = setup();
  const c = await firstChallenge(auth, 'MD5');
  for (const u of ['u1', 'u2', 'u3']) await auth.authenticate(req(answer(c, u, 'x')));
  t.match(await auth.authenticate(req(answer(c, 'bob', 'bob-secret'))), { status: 403 });
  t.match(await auth.authenticate(req(answer(c, 'bob', 'bob-secret'), { sourceIp: '203.0.113.9' })), { ok: true }, 'another address is fine');
  clock.now += 60_001;
  const fresh = await firstChallenge(auth, 'MD5');
  t.match(await auth.authenticate(req(answer(fresh, 'bob', 'bob-secret'))), { ok: true }, 'after the window');
});

t.test('proxy: true answers 407 and accepts Proxy-Authorization credentials', async (t) => {
  const { auth } = setup();
  const r = await auth.authenticate(req(undefined, { proxy: true, method: 'INVITE' }));
  t.match(r, { ok: false, status: 407 });
  const c = challengesOf(r)[0]!;
  t.match(await auth.authenticate(req(answer(c, 'bob', 'wrong', { method: 'INVITE' }), { proxy: true, method: 'INVITE' })), { status: 407 });
  t.same(await auth.authenticate(req(answer(c, 'bob', 'bob-secret', { method: 'INVITE' }), { proxy: true, method: 'INVITE' })), { ok: true, user: 'bob' });
});

t.test('the method is part of the digest', async (t) => {
  const { auth } = setup();
  const c = await firstChallenge(auth, 'MD5');
  t.match(await auth.authenticate(req(answer(c, 'bob', 'bob-secret', { method: 'INVITE' }), { method: 'REGISTER' })), { ok: false, status: 401 });
});

t.test('a nonce issued by one node is accepted by another with the same secret, not with another', async (t) => {
  const a = setup();
  const b = setup();
  const c = await firstChallenge(a.auth, 'SHA-256');
  t.match(await b.auth.authenticate(req(answer(c, 'alice', 'alice-secret'))), { ok: true });
  const other = setup({ nonceSecret: 'other-secret' });
  const r = await other.auth.authenticate(req(answer(c, 'alice', 'alice-secret')));
  t.match(r, { ok: false, status: 401, reason: 'invalid nonce' });
  t.equal(other.auth.stats.failures, 0, 'a foreign nonce is not a password failure');
});

t.test('credentials for another realm, malformed credentials, bad qop or nc: a challenge', async (t) => {
  const { auth, store } = setup();
  const c = await firstChallenge(auth, 'MD5');
  t.match(await auth.authenticate(req(answer(c, 'alice', 'alice-secret', { realm: 'elsewhere' }))), {
    status: 401,
    reason: 'credentials for another realm',
  });
  t.match(await auth.authenticate(req('Digest username="alice"')), { status: 401, reason: 'malformed credentials' });
  t.match(await auth.authenticate(req('Basic YWxpY2U6eA==')), { status: 401, reason: 'malformed credentials' });
  const good = answer(c, 'alice', 'alice-secret');
  t.match(await auth.authenticate(req(good.replace('qop=auth', 'qop=auth-int'))), { status: 401, reason: 'unsupported qop' });
  t.match(await auth.authenticate(req(good.replace(/, cnonce="[^"]*"/, ''))), { status: 401, reason: 'malformed credentials' });
  t.match(await auth.authenticate(req(good.replace('nc=00000001', 'nc=1'))), { status: 401, reason: 'malformed credentials' });
  t.match(await auth.authenticate(req(good.replace('nc=00000001', 'nc=00000000'))), { status: 401, reason: 'malformed credentials' });
  t.match(await auth.authenticate(req(good.replace(/nonce="[^"]*"/, 'nonce="made-up"'))), { status: 401, reason: 'invalid nonce' });
  t.equal(store.failures.size, 0, 'none of these tried a password');
  t.same(await auth.authenticate(req(good)), { ok: true, user: 'alice' }, 'the untouched answer still works');
});

t.test('an upper-case response and a lower-case algorithm token are accepted', async (t) => {
  const { auth } = setup();
  const c = await firstChallenge(auth, 'SHA-256');
  const a = answer(c, 'alice', 'alice-secret')
    .replace(/response="([0-9a-f]+)"/, (_m, hex: string) => `response="${hex.toUpperCase()}"`)
    .replace('algorithm=SHA-256', 'algorithm=sha-256');
  t.same(await auth.authenticate(req(a)), { ok: true, user: 'alice' });
});

t.test('StoreUnavailableError propagates', async (t) => {
  const { auth, store } = setup();
  const c = await firstChallenge(auth, 'MD5');
  store.down = true;
  await t.rejects(auth.authenticate(req(answer(c, 'alice', 'alice-secret'))), StoreUnavailableError);
  await t.rejects(auth.authenticate(req(answer(c, 'alice', 'wrong'))), StoreUnavailableError);
});

t.test('StoreUnavailableError from the nonce-count check propagates (no false success)', async (t) => {
  const { auth, store } = setup();
  const c = await firstChallenge(auth, 'MD5');
  store.acceptNonceCount = async () => {
    throw new StoreUnavailableError('timeout');
  };
  await t.rejects(auth.authenticate(req(answer(c, 'alice', 'alice-secret'))), StoreUnavailableError);
});

t.test('bad configuration is refused at construction', async (t) => {
  const store = new FakeStore(() => 0);
  const users = directory({});
  t.throws(() => new DigestAuthenticator(config({ algorithms: ['SHA-512'] }), users, store), /unsupported algorithm 'SHA-512'/);
  t.throws(() => new DigestAuthenticator(config({ algorithms: [] }), users, store), /at least one/);
  t.throws(() => new DigestAuthenticator(config(), directory({}, 'other-realm'), store), /realm 'other-realm' differs/);
  t.doesNotThrow(() => new DigestAuthenticator(config(), new UserDirectory(undefined, new Map(), true), store), 'a missing file is fine');
});

t.test('with a missing user file every digest fails', async (t) => {
  const store = new FakeStore(() => 0);
  const auth = new DigestAuthenticator(config(), new UserDirectory(undefined, new Map(), true), store, { now: () => 0 });
  const c = await firstChallenge(auth, 'MD5');
  t.match(await auth.authenticate(req(answer(c, 'alice', 'alice-secret'))), { ok: false, status: 401, reason: 'wrong credentials' });
});
