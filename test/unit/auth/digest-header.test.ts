// Parsing Digest credentials and formatting challenges (RFC 3261 25.1 grammar, RFC 7616 3.3-3.4).
import t from 'tap';
import { formatDigestChallenge, parseDigestCredentials, quote } from '../../../lib/auth/digest-header.js';

const FULL =
  'Digest username="alice", realm="r", nonce="n1", uri="sip:x", response="abc", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="c1", opaque="o1"';

t.test('a full credentials value', async (t) => {
  t.same(parseDigestCredentials(FULL), {
    username: 'alice',
    realm: 'r',
    nonce: 'n1',
    uri: 'sip:x',
    response: 'abc',
    algorithm: 'SHA-256',
    qop: 'auth',
    nc: '00000001',
    cnonce: 'c1',
    opaque: 'o1',
  });
});

t.test('only the required parameters; optional ones stay absent', async (t) => {
  const c = parseDigestCredentials('Digest username="a",realm="r",nonce="n",uri="sip:h",response="x"');
  t.same(c, { username: 'a', realm: 'r', nonce: 'n', uri: 'sip:h', response: 'x' });
});

t.test('quoted strings keep commas, equals signs and escaped quotes', async (t) => {
  const c = parseDigestCredentials('Digest username="a\\"b\\\\c", realm="x, y=z", nonce="n", uri="sip:u@h;a=b,c", response="r"');
  t.equal(c?.username, 'a"b\\c');
  t.equal(c?.realm, 'x, y=z');
  t.equal(c?.uri, 'sip:u@h;a=b,c');
});

t.test('scheme and parameter names are case-insensitive; whitespace and empty elements tolerated', async (t) => {
  const c = parseDigestCredentials(' DIGEST  UserName = "a" ,, Realm="r",\tNONCE="n" , URI="sip:h", Response="x", ALGORITHM=md5 , ');
  t.match(c, { username: 'a', realm: 'r', nonce: 'n', uri: 'sip:h', response: 'x', algorithm: 'md5' });
  t.equal(parseDigestCredentials('digest username="a", realm="r", nonce="n", uri="sip:h", response="x"')?.username, 'a');
});

t.test('userhash=false and unknown parameters are ignored', async (t) => {
  const c = parseDigestCredentials('Digest username="a", realm="r", nonce="n", uri="sip:h", response="x", userhash=false, foo="bar"');
  t.same(c, { username: 'a', realm: 'r', nonce: 'n', uri: 'sip:h', response: 'x' });
});

t.test('RFC 7616 3.4.4: userhash=true and username*', async (t) => {
  const rest = 'realm="r", nonce="n", uri="sip:h", response="x"';
  t.same(parseDigestCredentials(`Digest username="0abc", userhash=TRUE, ${rest}`), {
    username: '0abc',
    userhash: true,
    realm: 'r',
    nonce: 'n',
    uri: 'sip:h',
    response: 'x',
  });
  t.equal(parseDigestCredentials(`Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, ${rest}`)?.username, 'Jäsøn Doe', 'RFC 7616 3.9.2 example name');
  t.equal(parseDigestCredentials(`Digest username*=utf-8'en'a%22b, ${rest}`)?.username, 'a"b', 'language tag, case-insensitive charset');
  t.equal(parseDigestCredentials(`Digest username*=ISO-8859-1''j%FCrgen, ${rest}`)?.username, 'jürgen', 'ISO-8859-1');
  for (const bad of [
    `Digest username="a", username*=UTF-8''a, ${rest}`,
    `Digest ${rest}`,
    `Digest username*=UTF-8''a, userhash=true, ${rest}`,
    `Digest username*=UTF-8''%C3, ${rest}`,
    `Digest username*=UTF-8''%zz, ${rest}`,
    `Digest username*=KOI8-R''a, ${rest}`,
    `Digest username*=a, ${rest}`,
    `Digest username="a", userhash=maybe, ${rest}`,
  ]) {
    t.equal(parseDigestCredentials(bad), undefined, bad);
  }
});

t.test('malformed values give undefined', async (t) => {
  const bad = [
    '',
    'Digest',
    'Basic dXNlcjpwYXNz',
    'Digestusername="a", realm="r", nonce="n", uri="sip:h", response="x"',
    'Digest username="a", realm="r", nonce="n", uri="sip:h"', // no response
    'Digest username="a", realm="r", nonce="n", uri="sip:h", response="x', // unterminated
    'Digest username="a", realm="r", nonce="n", uri="sip:h", response="x\\', // dangling escape
    'Digest username="a" realm="r", nonce="n", uri="sip:h", response="x"', // missing comma
    'Digest username=, realm="r", nonce="n", uri="sip:h", response="x"', // empty value
    'Digest ="a", realm="r", nonce="n", uri="sip:h", response="x"', // no name
    'Digest username="a", realm="r", nonce="n", uri=sip:h, response="x"', // ':' is not a token character
    'Digest username="a", username="b", realm="r", nonce="n", uri="sip:h", response="x"', // repeated
    'Digest username "a", realm="r", nonce="n", uri="sip:h", response="x"', // no '='
    'Digest username="a", realm="r\nb", nonce="n", uri="sip:h", response="x"', // raw line break
  ];
  for (const v of bad) t.equal(parseDigestCredentials(v), undefined, JSON.stringify(v));
});

t.test('challenge formatting', async (t) => {
  t.equal(
    formatDigestChallenge({ realm: 'r', nonce: 'n', algorithm: 'SHA-256' }),
    'Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth"',
  );
  t.equal(
    formatDigestChallenge({ realm: 'a"b', nonce: 'n', algorithm: 'MD5', stale: true, opaque: 'o\\p' }),
    'Digest realm="a\\"b", nonce="n", algorithm=MD5, qop="auth", stale=true, opaque="o\\\\p"',
  );
  t.equal(
    formatDigestChallenge({ realm: 'r', nonce: 'n', algorithm: 'MD5', userhash: true }),
    'Digest realm="r", nonce="n", algorithm=MD5, qop="auth", userhash=true',
  );
  t.equal(quote('x'), '"x"');
});

t.test('a quoted value round-trips through format and parse', async (t) => {
  const realm = 'we "quote", \\ and comma';
  const challenge = formatDigestChallenge({ realm, nonce: 'n', algorithm: 'MD5' });
  const asCredentials = `${challenge.replace(', algorithm=MD5, qop="auth"', '')}, username="u", uri="sip:h", response="x"`;
  t.equal(parseDigestCredentials(asCredentials)?.realm, realm);
});
