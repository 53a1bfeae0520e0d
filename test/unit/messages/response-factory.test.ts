import t from 'tap';
import {
  SipRequest,
  SipResponse,
  createAckForNonSuccess,
  createCancel,
  createResponse,
  parseMessage,
  reasonPhrase,
  serializeMessage,
} from '../../../lib/engine/messages/index.js';

function invite(): SipRequest {
  const text = [
    'INVITE sip:bob@biloxi.com SIP/2.0',
    'Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8, SIP/2.0/UDP p0.atlanta.com;branch=z9hG4bKp0',
    'Via: SIP/2.0/TCP p1.atlanta.com;branch=z9hG4bKp1',
    'Route: <sip:p2.example.com;lr>',
    'Route: <sip:p3.example.com;lr>, <sip:p4.example.com;lr>',
    'Max-Forwards: 70',
    'To: Bob <sip:bob@biloxi.com>',
    'From: Alice <sip:alice@atlanta.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710',
    'CSeq: 314159 INVITE',
    'Timestamp: 54',
    'Contact: <sip:alice@pc33.atlanta.com>',
    'Content-Type: application/sdp',
    'Content-Length: 3',
    '',
    'v=0',
  ].join('\r\n');
  const r = parseMessage(Buffer.from(text));
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture');
  return r.message;
}

t.test('createResponse copies Via, From, To, Call-ID, CSeq (RFC 3261 8.2.6.2)', async (t) => {
  const req = invite();
  const res = createResponse(req, 486, undefined, { toTag: 'totag1', headers: [{ name: 'Retry-After', value: '30' }] });
  t.equal(res.status, 486);
  t.equal(res.reason, 'Busy Here', 'default reason');
  t.same(res.getAll('via'), req.getAll('via'), 'every Via line, in order');
  t.equal(res.vias().length, 3);
  t.equal(res.get('from'), req.get('from'));
  t.equal(res.to.tag, 'totag1', 'tag added');
  t.equal(res.to.uri, 'sip:bob@biloxi.com');
  t.equal(res.callId, 'a84b4c76e66710');
  t.same(res.cseq, { seq: 314159, method: 'INVITE' });
  t.equal(res.get('retry-after'), '30');
  t.notOk(res.has('contact'));
  t.notOk(res.has('route'));
  t.notOk(res.has('timestamp'), 'Timestamp only on 100');
  const bytes = serializeMessage(res);
  const back = parseMessage(bytes);
  t.ok(back.ok, 'parses');
  t.match(bytes.toString(), /^SIP\/2\.0 486 Busy Here\r\n/);
});

t.test('existing To tag kept; 100 Trying gets no tag but echoes Timestamp', async (t) => {
  const req = invite();
  req.set('To', 'Bob <sip:bob@biloxi.com>;tag=existing');
  t.equal(createResponse(req, 200, 'OK', { toTag: 'other' }).to.tag, 'existing');
  const trying = createResponse(invite(), 100, undefined, { toTag: 'x' });
  t.equal(trying.reason, 'Trying');
  t.equal(trying.to.tag, undefined);
  t.equal(trying.get('timestamp'), '54');
  const withBody = createResponse(invite(), 200, 'OK', { body: Buffer.from('abc'), headers: [{ name: 'Content-Type', value: 'text/plain' }] });
  t.match(serializeMessage(withBody).toString(), /Content-Length: 3\r\n\r\nabc$/);
});

t.test('createResponse tolerates a malformed request (400 path)', async (t) => {
  const r = parseMessage(Buffer.from('INVITE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKq\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n'));
  t.equal(r.ok, false);
  if (r.ok) return;
  t.ok(r.answerable);
  const res = createResponse(r.answerable!, r.status, r.reason, { toTag: 'abc' });
  t.equal(res.status, 400);
  t.equal(res.reason, 'Missing To header');
  t.equal(res.via.branch, 'z9hG4bKq');
  t.notOk(res.has('to'));
  t.match(serializeMessage(res).toString(), /^SIP\/2\.0 400 Missing To header\r\nVia: SIP\/2\.0\/UDP 192\.0\.2\.1;branch=z9hG4bKq\r\nCSeq: 1 INVITE\r\n/);
  const bare = createResponse(new SipRequest('OPTIONS', 'sip:a@b'), 400, 'Bad Request', { toTag: 't' });
  t.equal(bare.headers.length, 0, 'an empty request gives an empty response, no throw');
});

t.test('createAckForNonSuccess (RFC 3261 17.1.1.3)', async (t) => {
  const inv = invite();
  const resp = createResponse(inv, 486, undefined, { toTag: 'busy1' });
  const ack = createAckForNonSuccess(inv, resp);
  t.equal(ack.method, 'ACK');
  t.equal(ack.uri, inv.uri);
  t.same(ack.getList('via'), ['SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8'], 'only the top Via');
  t.same(ack.getList('route'), ['<sip:p2.example.com;lr>', '<sip:p3.example.com;lr>', '<sip:p4.example.com;lr>']);
  t.equal(ack.get('max-forwards'), '70');
  t.equal(ack.get('from'), inv.get('from'));
  t.equal(ack.to.tag, 'busy1', 'To from the response');
  t.equal(ack.callId, inv.callId);
  t.same(ack.cseq, { seq: 314159, method: 'ACK' });
  t.equal(ack.body.length, 0);
  t.notOk(ack.has('contact'));
  const back = parseMessage(serializeMessage(ack));
  t.ok(back.ok, 'ACK parses and validates');
});

t.test('createCancel (RFC 3261 9.1)', async (t) => {
  const inv = invite();
  const cancel = createCancel(inv);
  t.equal(cancel.method, 'CANCEL');
  t.equal(cancel.uri, 'sip:bob@biloxi.com');
  t.equal(cancel.getList('via').length, 1);
  t.equal(cancel.via.branch, 'z9hG4bKnashds8', 'same branch as the INVITE');
  t.equal(cancel.getList('route').length, 3);
  t.equal(cancel.get('to'), inv.get('to'));
  t.equal(cancel.get('from'), inv.get('from'));
  t.same(cancel.cseq, { seq: 314159, method: 'CANCEL' });
  t.equal(cancel.body.length, 0);
  t.ok(parseMessage(serializeMessage(cancel)).ok);
  t.throws(() => createCancel(new SipRequest('INVITE', 'sip:a@b')), /Via/);
  t.throws(() => createAckForNonSuccess(new SipRequest('INVITE', 'sip:a@b', [{ name: 'Via', value: 'SIP/2.0/UDP h' }]), new SipResponse(400, 'x')), /Missing/);
});

t.test('reason phrases', async (t) => {
  t.equal(reasonPhrase(200), 'OK');
  t.equal(reasonPhrase(416), 'Unsupported URI Scheme');
  t.equal(reasonPhrase(420), 'Bad Extension');
  t.equal(reasonPhrase(483), 'Too Many Hops');
  t.equal(reasonPhrase(505), 'Version Not Supported');
  t.equal(reasonPhrase(499), 'Client Error', 'unknown codes get their class phrase');
  t.equal(reasonPhrase(299), 'Success');
});
