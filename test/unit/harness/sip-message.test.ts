import t from 'tap';
import {
  buildRequest,
  buildResponse,
  cseqOf,
  headerValue,
  headerValues,
  parseSipMessage,
  SipStreamFramer,
  transactionKey,
  type SipRequest,
} from '../../helpers/sip-message.js';

const invite = buildRequest({
  method: 'INVITE',
  uri: 'sip:bob@127.0.0.1',
  transport: 'tls',
  sentBy: '127.0.0.1:5061',
  from: '<sip:alice@127.0.0.1>',
  fromTag: 'ft',
  to: '<sip:bob@127.0.0.1>',
  callId: 'cid-1',
  cseq: 7,
  contact: '<sip:alice@127.0.0.1:5061;transport=tls>',
  body: 'v=0\r\nöäü\r\n',
});

t.test('buildRequest produces a parseable request with a byte-correct Content-Length', async (t) => {
  const msg = parseSipMessage(invite);
  t.equal(msg.kind, 'request');
  const req = msg as SipRequest;
  t.equal(req.method, 'INVITE');
  t.equal(req.uri, 'sip:bob@127.0.0.1');
  t.match(headerValue(req, 'via') ?? '', /^SIP\/2\.0\/TLS 127\.0\.0\.1:5061;branch=z9hG4bK\w+/);
  t.equal(headerValue(req, 'content-length'), String(Buffer.byteLength('v=0\r\nöäü\r\n')));
  t.same(cseqOf(req), { seq: 7, method: 'INVITE' });
  t.equal(headerValue(req, 'from'), '<sip:alice@127.0.0.1>;tag=ft');
});

t.test('buildResponse copies Via, From, To (+tag), Call-ID, CSeq', async (t) => {
  const req = parseSipMessage(invite) as SipRequest;
  const res = parseSipMessage(buildResponse(req, 180, 'Ringing', { toTag: 'tt' }));
  t.equal(res.kind, 'response');
  if (res.kind !== 'response') return;
  t.equal(res.status, 180);
  t.equal(res.reason, 'Ringing');
  t.same(headerValues(res, 'via'), headerValues(req, 'via'));
  t.equal(headerValue(res, 'to'), '<sip:bob@127.0.0.1>;tag=tt');
  t.equal(transactionKey(res), transactionKey(req));
});

t.test('compact header names and folded lines are normalised', async (t) => {
  const raw = 'SIP/2.0 200 OK\r\nv: SIP/2.0/TCP a;branch=z9hG4bK1\r\ni: x@y\r\nSubject: one\r\n two\r\nl: 0\r\n\r\n';
  const msg = parseSipMessage(raw);
  t.equal(headerValue(msg, 'Call-ID'), 'x@y');
  t.equal(headerValue(msg, 'v'), 'SIP/2.0/TCP a;branch=z9hG4bK1');
  t.equal(headerValue(msg, 'subject'), 'one two');
});

t.test('parseSipMessage rejects garbage', async (t) => {
  t.throws(() => parseSipMessage('HELLO WORLD\r\n\r\n'), /not a SIP message/);
});

t.test('framer splits by Content-Length across arbitrary chunking', async (t) => {
  const stream = Buffer.from(`\r\n\r\n${invite}${invite}\r\n\r\n${invite}`);
  for (const size of [1, 3, 17, 200, stream.length]) {
    const framer = new SipStreamFramer();
    const got: string[] = [];
    for (let i = 0; i < stream.length; i += size) got.push(...framer.push(stream.subarray(i, i + size)));
    t.equal(got.length, 3, `chunk size ${size}: 3 messages`);
    t.ok(got.every((m) => m === invite), `chunk size ${size}: messages intact`);
    t.equal(framer.pending, 0);
    t.ok(framer.keepAlives >= 2, `chunk size ${size}: keep-alives counted`);
  }
});

t.test('framer holds an incomplete body and rejects oversize input', async (t) => {
  const framer = new SipStreamFramer(2000);
  const half = Buffer.from(invite).subarray(0, invite.length - 3);
  t.same(framer.push(half), []);
  t.equal(framer.push(Buffer.from(invite).subarray(invite.length - 3)).length, 1);
  t.throws(() => framer.push(Buffer.from(`OPTIONS sip:x SIP/2.0\r\nContent-Length: 5000\r\n\r\n`)), /too large/);
});
