// Stateless nonces: signed, time-limited, verifiable by any node with the same secret.
import t from 'tap';
import { MAX_CLOCK_SKEW_MS, NonceSigner } from '../../../lib/auth/nonce.js';

const T0 = 1_700_000_000_000;
const signer = (secret = 'cluster-secret', realm = 'sipedge') => new NonceSigner({ secret, realm, lifetimeMs: 300_000 });

t.test('a fresh nonce is valid until its lifetime ends, then stale', async (t) => {
  const s = signer();
  const n = s.issueNonce(T0);
  t.match(n, /^[A-Za-z0-9_-]+$/, 'base64url');
  t.equal(s.checkNonce(n, T0), 'valid');
  t.equal(s.checkNonce(n, T0 + 300_000), 'valid');
  t.equal(s.checkNonce(n, T0 + 300_001), 'stale');
  t.equal(s.checkNonce(n, T0 + 86_400_000), 'stale');
});

t.test('every nonce is different', async (t) => {
  const s = signer();
  const all = new Set(Array.from({ length: 100 }, () => s.issueNonce(T0)));
  t.equal(all.size, 100);
});

t.test('a nonce from the future is invalid beyond the clock skew', async (t) => {
  const s = signer();
  const n = s.issueNonce(T0);
  t.equal(s.checkNonce(n, T0 - MAX_CLOCK_SKEW_MS), 'valid');
  t.equal(s.checkNonce(n, T0 - MAX_CLOCK_SKEW_MS - 1), 'invalid');
});

t.test('tampering with any byte makes it invalid', async (t) => {
  const s = signer();
  const n = s.issueNonce(T0);
  const raw = Buffer.from(n, 'base64url');
  for (const at of [0, 7, 8, 19, 20, raw.length - 1]) {
    const copy = Buffer.from(raw);
    copy[at] = copy[at]! ^ 0x01;
    t.equal(s.checkNonce(copy.toString('base64url'), T0), 'invalid', `byte ${at}`);
  }
  // Moving the issue time forward (to renew a stale nonce) breaks the signature.
  const renewed = Buffer.from(Buffer.from(s.issueNonce(T0 - 1_000_000), 'base64url'));
  renewed.writeBigUInt64BE(BigInt(T0), 0);
  t.equal(s.checkNonce(renewed.toString('base64url'), T0), 'invalid');
});

t.test('bad formats are invalid', async (t) => {
  const s = signer();
  const n = s.issueNonce(T0);
  for (const bad of ['', 'abc', `${n}A`, n.slice(0, -1), `${n.slice(0, -1)}=`, n.replace(/[A-Za-z]/, '+'), `${n} `]) {
    t.equal(s.checkNonce(bad, T0), 'invalid', JSON.stringify(bad));
  }
});

t.test('two nodes with the same secret verify each other; another secret or realm does not', async (t) => {
  const nodeA = signer();
  const nodeB = signer();
  t.equal(nodeB.checkNonce(nodeA.issueNonce(T0), T0 + 1000), 'valid');
  t.equal(nodeA.checkNonce(nodeB.issueNonce(T0), T0 + 1000), 'valid');
  t.equal(signer('other-secret').checkNonce(nodeA.issueNonce(T0), T0), 'invalid');
  t.equal(signer('cluster-secret', 'other-realm').checkNonce(nodeA.issueNonce(T0), T0), 'invalid');
});

t.test('the nonce-count record outlives every accepted nonce', async (t) => {
  t.equal(signer().nonceCountTtlMs, 300_000 + MAX_CLOCK_SKEW_MS);
  t.throws(() => new NonceSigner({ secret: '', realm: 'r', lifetimeMs: 1 }));
});
