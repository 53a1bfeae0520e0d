import t from 'tap';
import { passThroughHeaders, withoutTag } from '../../../lib/calls/passthrough-headers.js';

t.test('identity, diversion, session timer and unknown headers pass', async (t) => {
  const h = {
    'P-Asserted-Identity': '<sip:+15551234@pbx.example.com>',
    Privacy: 'id',
    Diversion: '<sip:100@pbx.example.com>;reason=unconditional',
    'History-Info': '<sip:100@pbx.example.com>;index=1',
    'X-Custom': 'abc',
    'x-lowercase': 'def',
    'Session-Expires': '1800;refresher=uac',
    Supported: 'timer, replaces',
    'User-Agent': 'phone/1.0',
  };
  t.same(passThroughHeaders(h), h);
});

t.test('leg-local headers are dropped, whatever their case', async (t) => {
  const dropped = [
    'via', 'from', 'to', 'call-id', 'cseq', 'contact', 'max-forwards', 'content-length', 'content-type', 'route',
    'record-route', 'authorization', 'proxy-authorization', 'rseq', 'rack', 'www-authenticate', 'proxy-authenticate', 'path',
  ];
  const variants = (n: string) => [n, n.toUpperCase(), n.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase())];
  for (const name of dropped) {
    for (const v of variants(name)) {
      t.same(passThroughHeaders({ [v]: 'x', 'X-Keep': 'k' }), { 'X-Keep': 'k' }, `${v} dropped`);
    }
  }
});

t.test('a mixed request keeps exactly the passing headers, values untouched', async (t) => {
  const out = passThroughHeaders({
    Via: 'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1',
    From: '<sip:a@x>;tag=1',
    To: '<sip:b@x>',
    'Call-ID': 'c1',
    CSeq: '1 INVITE',
    Contact: '<sip:a@10.0.0.1>',
    'Max-Forwards': '70',
    'Content-Type': 'application/sdp',
    'Content-Length': '100',
    'P-Asserted-Identity': '"Alice" <sip:alice@x>',
    Privacy: 'none',
  });
  t.same(out, { 'P-Asserted-Identity': '"Alice" <sip:alice@x>', Privacy: 'none' });
  t.same(passThroughHeaders({}), {});
});

t.test('passThroughHeaders returns a new object', async (t) => {
  const h = { 'X-A': '1', Via: 'v' };
  const out = passThroughHeaders(h);
  t.not(out, h);
  t.same(h, { 'X-A': '1', Via: 'v' }, 'input untouched');
});

t.test('withoutTag', async (t) => {
  t.equal(withoutTag('<sip:alice@example.com>;tag=abc123'), '<sip:alice@example.com>');
  t.equal(withoutTag('"Alice" <sip:alice@example.com>;tag=abc;x=1'), '"Alice" <sip:alice@example.com>;x=1');
  t.equal(withoutTag('<sip:alice@example.com>;x=1;TAG=AbC'), '<sip:alice@example.com>;x=1', 'case-insensitive name');
  t.equal(withoutTag('<sip:alice@example.com>; tag=abc'), '<sip:alice@example.com>');
  t.equal(withoutTag('sip:alice@example.com;tag=abc'), 'sip:alice@example.com');
  t.equal(withoutTag('<sip:alice@example.com>'), '<sip:alice@example.com>', 'no tag: unchanged');
  t.equal(withoutTag('<sip:alice@example.com>;mytag=1'), '<sip:alice@example.com>;mytag=1', 'only the tag parameter');
});
