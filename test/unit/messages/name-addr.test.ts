import t from 'tap';
import { formatNameAddr, parseNameAddr, tryParseNameAddr } from '../../../lib/engine/messages/index.js';

t.test('quoted display name with escapes', async (t) => {
  const na = parseNameAddr('"J Rosenberg \\\\\\"" <sip:jdrosen@example.com>;tag=98asjd8');
  t.equal(na.displayName, 'J Rosenberg \\"');
  t.equal(na.uri, 'sip:jdrosen@example.com');
  t.equal(na.tag, '98asjd8');
  t.equal(formatNameAddr(na), '"J Rosenberg \\\\\\"" <sip:jdrosen@example.com>;tag=98asjd8', 'escapes round-trip');
});

t.test('quoted display name with comma and brackets inside', async (t) => {
  const na = parseNameAddr('"Bell, <Alexander>" <sip:a.g.bell@example.com>');
  t.equal(na.displayName, 'Bell, <Alexander>');
  t.equal(na.uri, 'sip:a.g.bell@example.com');
});

t.test('token display names', async (t) => {
  t.equal(parseNameAddr('Bob Smith <sip:bob@example.com>').displayName, 'Bob Smith');
  t.equal(parseNameAddr('A. Bell <sip:a@example.com>').displayName, 'A. Bell', "'.' is a token char");
  t.equal(parseNameAddr('caller<sip:caller@example.com>;tag=323').displayName, 'caller', 'no space before < (lwsdisp)');
  t.equal(parseNameAddr('<sip:x@example.com>').displayName, undefined);
});

t.test('addr-spec: ;params are header params (RFC 3261 20.10)', async (t) => {
  const na = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam;tag=5');
  t.equal(na.uri, 'sip:+19725552222@gw1.example.net');
  t.equal(na.params.get('unknownparam'), null);
  t.equal(na.tag, '5');
  const inBrackets = parseNameAddr('<sip:+19725552222@gw1.example.net;unknownparam>');
  t.equal(inBrackets.uri, 'sip:+19725552222@gw1.example.net;unknownparam');
  t.equal(inBrackets.params.size, 0);
});

t.test('params with LWS around ; and =', async (t) => {
  const na = parseNameAddr('"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33');
  t.equal(na.displayName, 'Quoted string ""');
  t.same([...na.params], [['newparam', 'newvalue'], ['secondparam', null], ['q', '0.33']]);
});

t.test('quoted param values and param name case', async (t) => {
  const na = parseNameAddr('<sip:a@b>;+sip.Instance="<urn:uuid:1;x>";TAG=Ab');
  t.equal(na.params.get('+sip.instance'), '"<urn:uuid:1;x>"', 'keys lower-case, values keep quotes');
  t.equal(na.tag, 'Ab', 'value case kept');
});

t.test('star', async (t) => {
  t.same(parseNameAddr(' * '), { uri: '*', params: new Map() });
  t.equal(formatNameAddr({ uri: '*', params: new Map() }), '*');
});

t.test('malformed values', async (t) => {
  const bad = [
    '"Mr. J. User <sip:j.user@example.com>', // quotbal
    'Bell, Alexander <sip:a.g.bell@example.com>;tag=43', // baddn
    'Watson, Thomas <sip:t.watson@example.org>',
    '"Watson, Thomas" < sip:t.watson@example.org >', // badaspec
    'sip:user@example.com?Route=%3Csip:sip.example.com%3E', // regbadct
    '"Joe" <sip:joe@example.org>;;;;', // badinv01
    '<sip:joe@example.org', '<>', 'just text', '', '"a" sip:x@y', '<sip:a@b>;tag=', '<sip:a@b> junk', 'sip:a@b,sip:c@d',
  ];
  for (const v of bad) t.equal(tryParseNameAddr(v), undefined, JSON.stringify(v));
  t.throws(() => parseNameAddr('<sip:x'), /Malformed name-addr/);
});

t.test('formatNameAddr', async (t) => {
  t.equal(formatNameAddr({ uri: 'sip:a@b', params: new Map([['tag', 'x']]), tag: 'x' }), '<sip:a@b>;tag=x');
  t.equal(formatNameAddr({ displayName: 'Bob', uri: 'sip:a@b', params: new Map(), tag: 'new' }), '"Bob" <sip:a@b>;tag=new', 'tag field wins');
  const round = parseNameAddr(formatNameAddr(parseNameAddr('Bob <sip:bob@example.com;transport=tcp>;expires=60')));
  t.equal(round.displayName, 'Bob');
  t.equal(round.uri, 'sip:bob@example.com;transport=tcp');
  t.equal(round.params.get('expires'), '60');
});
