import t from 'tap';
import { SipRequest, SipResponse, parseMessage, serializeMessage } from '../../../lib/engine/messages/index.js';

const INVITE =
  'INVITE sip:bob@biloxi.com SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds, SIP/2.0/TCP p1.example.com;branch=z9hG4bKp1\r\n' +
  'v: SIP/2.0/UDP p2.example.com;branch=z9hG4bKp2\r\n' +
  'Max-Forwards: 70\r\n' +
  'To: Bob <sip:bob@biloxi.com>\r\n' +
  'From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n' +
  'Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n' +
  'CSeq: 314159 INVITE\r\n' +
  'Contact: <sip:alice@pc33.atlanta.com>\r\n' +
  'X-Custom: one\r\n' +
  'x-custom: two\r\n' +
  'Content-Type: application/sdp\r\n' +
  'Content-Length: 4\r\n' +
  '\r\n' +
  'v=0\n';

function parsed(): SipRequest {
  const r = parseMessage(Buffer.from(INVITE));
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture does not parse');
  return r.message;
}

t.test('programmatic request', async (t) => {
  const req = new SipRequest('OPTIONS', 'sip:carol@chicago.com', [
    { name: 'Via', value: 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport' },
    { name: 'To', value: '<sip:carol@chicago.com>' },
    { name: 'From', value: '<sip:alice@atlanta.com>;tag=x1' },
    { name: 'Call-ID', value: 'cid-1' },
    { name: 'CSeq', value: '1 OPTIONS' },
  ]);
  t.equal(req.kind, 'request');
  t.equal(req.method, 'OPTIONS');
  t.equal(req.parsedUri.user, 'carol');
  t.equal(req.via.branch, 'z9hG4bKabc');
  t.equal(req.via.rport, null);
  t.equal(req.from.tag, 'x1');
  t.equal(req.to.tag, undefined);
  t.same(req.cseq, { seq: 1, method: 'OPTIONS' });
  t.equal(req.callId, 'cid-1');
  t.equal(req.body.length, 0);
  const text = serializeMessage(req).toString();
  t.equal(
    text,
    'OPTIONS sip:carol@chicago.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport\r\nTo: <sip:carol@chicago.com>\r\n' +
      'From: <sip:alice@atlanta.com>;tag=x1\r\nCall-ID: cid-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
  );
  const back = parseMessage(Buffer.from(text));
  t.ok(back.ok);
});

t.test('programmatic response with body', async (t) => {
  const res = new SipResponse(200, 'OK', [{ name: 'Content-Type', value: 'text/plain' }], Buffer.from('hi'));
  t.equal(res.kind, 'response');
  t.equal(res.status, 200);
  t.match(serializeMessage(res).toString(), /^SIP\/2\.0 200 OK\r\nContent-Type: text\/plain\r\nContent-Length: 2\r\n\r\nhi$/);
});

t.test('getters throw clear errors on missing or malformed headers', async (t) => {
  const req = new SipRequest('OPTIONS', 'sip:x@y', [{ name: 'CSeq', value: 'abc' }, { name: 'Via', value: 'garbage' }, { name: 'To', value: '"open <sip:a@b>' }]);
  t.throws(() => req.callId, /Missing Call-ID header/);
  t.throws(() => req.cseq, /Malformed CSeq header/);
  t.throws(() => req.via, /Malformed Via header/);
  t.throws(() => req.vias(), /Malformed Via header/);
  t.throws(() => req.from, /Missing From header/);
  t.throws(() => req.to, /Malformed To header/);
  t.throws(() => new SipRequest('OPTIONS', 'sip:').parsedUri, /Malformed Request-URI/);
  t.throws(() => new SipResponse(200, 'OK', [{ name: 'CSeq', value: '99999999999 INVITE' }]).cseq, /Bad CSeq number/);
});

t.test('case-insensitive and compact lookups', async (t) => {
  const m = parsed();
  t.equal(m.get('via'), 'SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds, SIP/2.0/TCP p1.example.com;branch=z9hG4bKp1');
  t.equal(m.getAll('V').length, 2, "'Via' and 'v' lines are one header");
  t.equal(m.getList('via').length, 3);
  t.same(m.vias().map((v) => v.branch), ['z9hG4bK776asdhds', 'z9hG4bKp1', 'z9hG4bKp2']);
  t.equal(m.get('i'), 'a84b4c76e66710@pc33.atlanta.com');
  t.equal(m.get('l'), '4');
  t.same(m.getAll('X-CUSTOM'), ['one', 'two']);
  t.same(m.getList('x-custom'), ['one', 'two'], 'non-list header: one element per line');
  t.ok(m.has('f'));
  t.notOk(m.has('Route'));
  t.equal(m.get('Route'), undefined);
  t.same(m.getAll('Route'), []);
  t.same(m.getList('Route'), []);
});

t.test('mutation keeps order and invalidates cached views', async (t) => {
  const m = parsed();
  t.equal(m.via.branch, 'z9hG4bK776asdhds');
  m.prepend('Via', 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKnew');
  t.equal(m.via.branch, 'z9hG4bKnew', 'top Via re-read');
  t.equal(m.vias().length, 4);
  t.equal(m.headers[0]!.value, 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKnew', 'placed before the first Via');

  t.equal(m.remove('via'), 3, 'three Via lines removed');
  t.throws(() => m.via, /Missing Via header/);
  m.append('Via', 'SIP/2.0/TCP a.example.com;branch=z9hG4bKa');
  t.equal(m.via.host, 'a.example.com');

  m.set('x-custom', 'only');
  t.same(m.getAll('X-Custom'), ['only'], 'set replaces all lines');
  const customIdx = m.headers.findIndex((h) => h.value === 'only');
  t.equal(m.headers[customIdx - 1]!.name, 'Contact', 'set keeps the position of the first line');

  m.set('Max-Forwards', '69');
  t.equal(m.get('max-forwards'), '69');

  t.equal(m.cseq.seq, 314159);
  m.set('CSeq', '314160 INVITE');
  t.equal(m.cseq.seq, 314160, 'CSeq re-read');

  t.equal(m.from.tag, '1928301774');
  m.set('f', '<sip:x@y>;tag=zz');
  t.equal(m.from.tag, 'zz', 'From re-read via compact name');

  t.equal(m.to.tag, undefined);
  m.set('To', 'Bob <sip:bob@biloxi.com>;tag=t2');
  t.equal(m.to.tag, 't2');

  m.set('Call-ID', 'new-id');
  t.equal(m.callId, 'new-id');

  m.append('Route', '<sip:r1.example.com;lr>');
  m.append('Route', '<sip:r2.example.com;lr>');
  m.prepend('Route', '<sip:r0.example.com;lr>');
  t.same(m.getList('route'), ['<sip:r0.example.com;lr>', '<sip:r1.example.com;lr>', '<sip:r2.example.com;lr>']);
  t.equal(m.remove('nothing-here'), 0);

  m.uri = 'sip:carol@chicago.com';
  t.equal(m.parsedUri.user, 'carol', 'parsedUri reset on assignment');
  m.method = 'INVITE';

  const again = parseMessage(serializeMessage(m));
  t.ok(again.ok, 'mutated message still parses');
  if (again.ok) {
    t.same(again.message.headers, m.headers, 'same header lines after a round trip');
    t.equal(again.message.body.toString(), 'v=0\n');
  }
});

t.test('zero-copy serialization of unmodified parsed messages', async (t) => {
  const bytes = Buffer.from(INVITE);
  const r = parseMessage(bytes);
  if (!r.ok) throw new Error('parse');
  const m = r.message;
  t.equal(serializeMessage(m), bytes, 'the very same Buffer');
  // reading does not count as a change
  void m.vias();
  void m.from;
  void m.getList('contact');
  t.equal(serializeMessage(m), bytes);

  const c = m.clone();
  t.equal(serializeMessage(c), bytes, 'a clone shares the bytes until changed');
  c.set('Max-Forwards', '69');
  const out = serializeMessage(c);
  t.not(out, bytes);
  t.match(out.toString(), /\r\nMax-Forwards: 69\r\n/);
  t.equal(serializeMessage(c), out, 'serialized bytes are remembered for retransmissions');
  t.equal(serializeMessage(m), bytes, 'the original is untouched');
  t.equal(m.get('max-forwards'), '70');

  const b = m.clone() as SipRequest;
  b.body = Buffer.from('v=1\r\nx');
  t.match(serializeMessage(b).toString(), /Content-Length: 6\r\n\r\nv=1\r\nx$/, 'Content-Length rewritten');
  const s = m.clone() as SipRequest;
  s.uri = 'sip:other@example.com';
  t.match(serializeMessage(s).toString(), /^INVITE sip:other@example\.com SIP\/2\.0\r\n/);
  const res = parseMessage(Buffer.from('SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@b>;tag=1\r\nFrom: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n'));
  if (!res.ok || res.message.kind !== 'response') throw new Error('parse');
  const rr = res.message;
  rr.reason = 'Ringing Loudly';
  t.match(serializeMessage(rr).toString(), /^SIP\/2\.0 180 Ringing Loudly\r\n/);
  rr.status = 183;
  t.match(serializeMessage(rr).toString(), /^SIP\/2\.0 183 Ringing Loudly\r\n/);
});

t.test('clone is independent', async (t) => {
  const m = parsed();
  const c = m.clone();
  t.equal(c.method, 'INVITE');
  t.equal(c.uri, m.uri);
  t.same(c.headers, m.headers);
  c.append('X-Clone', '1');
  c.set('Via', 'SIP/2.0/UDP other;branch=z9hG4bKo');
  t.notOk(m.has('x-clone'));
  t.equal(m.via.host, 'pc33.atlanta.com');
  t.equal(c.via.host, 'other');
  t.equal(c.body, m.body, 'body buffer shared (bodies are replaced, never edited)');
});
