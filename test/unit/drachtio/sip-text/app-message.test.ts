import t from 'tap';
import { parseAppSipText, type AppSipMessage } from '../../../../lib/engine/drachtio/sip-text/app-message.js';

function ok(text: string): AppSipMessage {
  const r = parseAppSipText(text);
  if ('error' in r) throw new Error(r.error);
  return r;
}

t.test('srf response text: lower-case headers, no Via, CRLF', async (t) => {
  const body = 'v=0\r\no=- 1 1 IN IP4 10.0.0.10\r\n';
  const m = ok(
    'SIP/2.0 200 OK\r\nCall-ID: cid-1@192.0.2.1\r\ncseq: 1 INVITE\r\nfrom: "Alice" <sip:alice@192.0.2.1>;tag=ftag1\r\n' +
      'to: <sip:1000@10.0.0.10>\r\nContent-Length: 31\r\nX-Custom: yes\r\nuser-agent: test\r\n\r\n' + body,
  );
  if (m.kind !== 'response') throw new Error('kind');
  t.equal(m.status, 200);
  t.equal(m.reason, 'OK');
  t.same(m.headers.map((h) => h.name), ['Call-ID', 'cseq', 'from', 'to', 'X-Custom', 'user-agent'], 'Content-Length dropped, names as given');
  t.equal(m.headers[2]!.value, '"Alice" <sip:alice@192.0.2.1>;tag=ftag1');
  t.equal(m.body.toString('utf8'), body, 'body kept byte for byte, trailing CRLF included');
  t.equal(m.body.length, 31);
});

t.test('request with bare LF line ends and no Content-Length', async (t) => {
  const m = ok('INVITE sip:bob@192.0.2.5 SIP/2.0\nX-Foo: bar\nfrom: sip:+15551234@localhost\ncontact: sip:+15551234@localhost\n\nv=0\n');
  if (m.kind !== 'request') throw new Error('kind');
  t.equal(m.method, 'INVITE');
  t.equal(m.uri, 'sip:bob@192.0.2.5');
  t.same(m.headers, [
    { name: 'X-Foo', value: 'bar' },
    { name: 'from', value: 'sip:+15551234@localhost' },
    { name: 'contact', value: 'sip:+15551234@localhost' },
  ]);
  t.equal(m.body.toString(), 'v=0\n');
});

t.test('wrong (UTF-16) Content-Length with an emoji body is ignored', async (t) => {
  const body = 'hi 😀 ünïcode';
  const wrong = body.length; // what srf writes: UTF-16 units
  const m = ok(`MESSAGE sip:bob@192.0.2.5 SIP/2.0\r\nContent-Type: text/plain\r\nContent-Length: ${wrong}\r\n\r\n${body}`);
  t.equal(m.body.toString('utf8'), body);
  t.equal(m.body.length, Buffer.byteLength(body, 'utf8'));
  t.not(m.body.length, wrong);
  t.notOk(m.headers.some((h) => h.name.toLowerCase() === 'content-length'));
});

t.test('compact Content-Length (l) is dropped too; compact others kept', async (t) => {
  const m = ok('OPTIONS sip:x@192.0.2.1 SIP/2.0\r\nl: 99\r\nf: <sip:a@b>\r\n\r\n');
  t.same(m.headers, [{ name: 'f', value: '<sip:a@b>' }]);
  t.equal(m.body.length, 0);
});

t.test('comma-joined values stay on one line; folded lines are joined', async (t) => {
  const m = ok('SIP/2.0 200 OK\r\nsupported: timer, 100rel\r\nSubject: a\r\n  b\r\n\r\n');
  t.same(m.headers, [
    { name: 'supported', value: 'timer, 100rel' },
    { name: 'Subject', value: 'a b' },
  ]);
});

t.test('no blank line: no body; empty reason allowed; leading CRLFs skipped', async (t) => {
  const m = ok('\r\nSIP/2.0 180\r\nto: <sip:a@b>');
  if (m.kind !== 'response') throw new Error('kind');
  t.equal(m.status, 180);
  t.equal(m.reason, '');
  t.equal(m.headers.length, 1);
  t.equal(m.body.length, 0);
});

t.test('in-dialog placeholder URI and PRACK with rack', async (t) => {
  const m = ok('PRACK sip:bob@192.0.2.5 SIP/2.0\r\nContent-Length: 0\r\nrack: 7 100 INVITE\r\n\r\n');
  t.same(m.headers, [{ name: 'rack', value: '7 100 INVITE' }]);
  const bye = ok('BYE sip:placeholder SIP/2.0\r\nContent-Length: 0\r\n\r\n');
  if (bye.kind !== 'request') throw new Error('kind');
  t.equal(bye.uri, 'sip:placeholder');
  t.equal(bye.body.length, 0);
});

t.test('lines without a colon are skipped', async (t) => {
  const m = ok('SIP/2.0 200 OK\r\ngarbage line\r\nto: <sip:a@b>\r\n\r\n');
  t.same(m.headers, [{ name: 'to', value: '<sip:a@b>' }]);
});

t.test('bad start lines', async (t) => {
  for (const line of ['INVITE', 'INVITE sip:bob@x', 'INVITE  SIP/2.0', 'INVITE sip:bob@x HTTP/1.1', 'SIP/2.0 99 Bad', 'SIP/2.0 2000 X', 'IN VITE sip:x SIP/2.0', 'INV@TE sip:x SIP/2.0']) {
    const r = parseAppSipText(line + '\r\nto: x\r\n\r\n');
    t.same(r, { error: `invalid request-uri: ${line}` }, JSON.stringify(line));
  }
  t.same(parseAppSipText(''), { error: 'invalid request-uri: ' });
  t.same(parseAppSipText('INVITE sip:bob@[::1 SIP/2.0\r\n\r\n'), { error: 'invalid request-uri: INVITE sip:bob@[::1 SIP/2.0' });
});

t.test('mixed line ends: CRLF, bare LF and bare CR in one text', async (t) => {
  const m = ok('INFO sip:placeholder SIP/2.0\r\na: 1\nb: 2\rc: 3\r\nContent-Type: text/plain\n\r\nline1\r\nline2\n');
  t.same(m.headers, [
    { name: 'a', value: '1' },
    { name: 'b', value: '2' },
    { name: 'c', value: '3' },
    { name: 'Content-Type', value: 'text/plain' },
  ]);
  t.equal(m.body.toString(), 'line1\r\nline2\n', 'body bytes untouched');
  const many = Array.from({ length: 50 }, (_, i) => `x-h${i}: v${i}`).join('\n');
  const big = ok(`MESSAGE sip:a@192.0.2.1 SIP/2.0\n${many}\n\nbody`);
  t.equal(big.headers.length, 50);
  t.same(big.headers[49], { name: 'x-h49', value: 'v49' });
  t.equal(big.body.toString(), 'body');
});
