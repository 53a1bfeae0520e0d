// Digest arithmetic against the RFCs' worked examples (RFC 2617 3.5, RFC 7616 3.9.1).
import t from 'tap';
import { createHash } from 'node:crypto';
import { constantTimeEqual, digestResponse, ha1, hashHex, parseAlgorithm } from '../../../lib/auth/digest-hash.js';

t.test('RFC 7616 3.9.1: MD5 and SHA-256 responses for Mufasa', async (t) => {
  const common = {
    method: 'GET',
    uri: '/dir/index.html',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    qop: 'auth' as const,
  };
  const realm = 'http-auth@example.org';
  t.equal(
    digestResponse({ ...common, algorithm: 'MD5', ha1: ha1('MD5', 'Mufasa', realm, 'Circle of Life') }),
    '8ca523f5e9506fed4657c9700eebdbec',
  );
  t.equal(
    digestResponse({ ...common, algorithm: 'SHA-256', ha1: ha1('SHA-256', 'Mufasa', realm, 'Circle of Life') }),
    '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
  );
});

t.test('RFC 2617 3.5: MD5 response for Mufasa', async (t) => {
  const response = digestResponse({
    algorithm: 'MD5',
    ha1: ha1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life'),
    method: 'GET',
    uri: '/dir/index.html',
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    nc: '00000001',
    cnonce: '0a4f113b',
    qop: 'auth',
  });
  t.equal(response, '6629fae49393a05397450978507c4ef1');
});

t.test('without qop the response is H(HA1:nonce:HA2) (RFC 2069)', async (t) => {
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const h1 = md5('bob:sipedge:pw');
  t.equal(ha1('MD5', 'bob', 'sipedge', 'pw'), h1);
  const expected = md5(`${h1}:abc:${md5('REGISTER:sip:example.com')}`);
  t.equal(digestResponse({ algorithm: 'MD5', ha1: h1, method: 'REGISTER', uri: 'sip:example.com', nonce: 'abc' }), expected);
  t.throws(() => digestResponse({ algorithm: 'MD5', ha1: h1, method: 'REGISTER', uri: 'sip:x', nonce: 'abc', qop: 'auth' }));
});

t.test('hashes are lower-case hex of UTF-8 text', async (t) => {
  t.equal(hashHex('SHA-256', 'é'), createHash('sha256').update(Buffer.from([0xc3, 0xa9])).digest('hex'));
  t.match(ha1('SHA-256', 'a', 'b', 'c'), /^[0-9a-f]{64}$/);
});

t.test('algorithm tokens are case-insensitive; others are refused', async (t) => {
  t.equal(parseAlgorithm('md5'), 'MD5');
  t.equal(parseAlgorithm('sha-256'), 'SHA-256');
  t.equal(parseAlgorithm('SHA-256-sess'), undefined);
  t.equal(parseAlgorithm('SHA-512-256'), undefined);
});

t.test('constant-time comparison', async (t) => {
  t.ok(constantTimeEqual('abc123', 'abc123'));
  t.notOk(constantTimeEqual('abc123', 'abc124'));
  t.notOk(constantTimeEqual('abc', 'abcd'));
  t.ok(constantTimeEqual('', ''));
});
