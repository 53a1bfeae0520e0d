import t from 'tap';
import { formatUri, parseUri, tryParseUri, unescapeUriComponent } from '../../../lib/engine/messages/index.js';

t.test('sip URI with user, password, port, params and headers', async (t) => {
  const u = parseUri('sip:alice:secret@Atlanta.com:5061;transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent');
  t.equal(u.scheme, 'sip');
  t.equal(u.user, 'alice');
  t.equal(u.password, 'secret');
  t.equal(u.host, 'Atlanta.com', 'host kept as written');
  t.equal(u.port, 5061);
  t.equal(u.params.get('transport'), 'TCP');
  t.equal(u.params.get('lr'), null, 'flag param');
  t.equal(u.params.get('maddr'), '239.255.255.1');
  t.equal(u.headers.get('subject'), 'project%20x', 'headers stay escaped');
  t.equal(u.headers.get('priority'), 'urgent');
  t.equal(formatUri(u), 'sip:alice:secret@Atlanta.com:5061;transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent');
});

t.test('sips, scheme case, host only', async (t) => {
  const u = parseUri('SIPS:example.com');
  t.equal(u.scheme, 'sips');
  t.equal(u.user, undefined);
  t.equal(u.host, 'example.com');
  t.equal(u.port, undefined);
  t.equal(u.raw, 'SIPS:example.com');
  t.equal(formatUri(u), 'sips:example.com');
});

t.test('IPv6 references keep brackets', async (t) => {
  const u = parseUri('sip:bob@[2001:db8::10]:5070;transport=udp');
  t.equal(u.host, '[2001:db8::10]');
  t.equal(u.port, 5070);
  t.equal(parseUri('sip:[::1]').host, '[::1]');
  t.equal(tryParseUri('sip:[::1'), undefined, 'unclosed bracket');
  t.equal(tryParseUri('sip:[]'), undefined, 'empty reference');
  t.equal(formatUri(u), 'sip:bob@[2001:db8::10]:5070;transport=udp');
});

t.test('user part may hold ; and ? (RFC 4475 semiuri)', async (t) => {
  const u = parseUri('sip:user;par=u%40example.net@example.com;lr');
  t.equal(u.user, 'user;par=u%40example.net');
  t.equal(u.host, 'example.com');
  t.same([...u.params], [['lr', null]]);
});

t.test('tel and opaque schemes', async (t) => {
  const tel = parseUri('tel:+1-201-555-0123;phone-context=example.com');
  t.equal(tel.scheme, 'tel');
  t.equal(tel.user, '+1-201-555-0123');
  t.equal(tel.params.get('phone-context'), 'example.com');
  t.equal(formatUri(tel), 'tel:+1-201-555-0123;phone-context=example.com');
  const urn = parseUri('urn:service:sos');
  t.equal(urn.scheme, 'urn');
  t.equal(urn.opaque, 'service:sos');
  t.equal(urn.host, '');
  t.equal(formatUri(urn), 'urn:service:sos');
});

t.test('malformed URIs', async (t) => {
  for (const bad of ['', 'sip:', 'nocolon', '1sip:host', 'sip:user@', 'sip:@host', 'sip:host:99999', 'sip:host:', 'sip:ho st',
    'sip:host;;lr', 'sip:host?noequals', '<sip:host>', 'sip:host junk', 'tel:']) {
    t.equal(tryParseUri(bad), undefined, JSON.stringify(bad));
  }
  t.throws(() => parseUri('sip:'), /Malformed URI/);
});

t.test('unescapeUriComponent decodes exactly once', async (t) => {
  t.equal(unescapeUriComponent('v%61lue%25%34%31'), 'value%41', 'RFC 4475 esc01');
  t.equal(unescapeUriComponent('null-%00-null'), 'null-\x00-null', 'RFC 4475 escnull: NUL does not truncate');
  t.equal(unescapeUriComponent('%00%00').length, 2);
  t.equal(unescapeUriComponent('plain'), 'plain');
  t.equal(unescapeUriComponent('100%'), '100%', 'lone % stays');
  t.equal(unescapeUriComponent('%zz%4'), '%zz%4', 'bad escapes stay');
  t.equal(unescapeUriComponent('%C3%A9t%C3%A9'), 'été', 'UTF-8 octets');
  t.equal(unescapeUriComponent('caf\u00e9%20'), 'caf\u00e9 ', 'raw non-ASCII kept');
});
