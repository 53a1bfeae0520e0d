import t from 'tap';
import {
  appHeaderName,
  applyHeaderRules,
  contentTypeFor,
  rewriteLocalhost,
} from '../../../../lib/engine/drachtio/sip-text/header-rules.js';

const ctx = { localHostport: '10.0.0.10:5060' };

t.test('bad lines are skipped', async (t) => {
  const out = applyHeaderRules(
    [
      { name: 'Bad Name', value: 'x' },
      { name: 'Bad:Name', value: 'x' },
      { name: '', value: 'x' },
      { name: 'X-Inject', value: 'a\r\nVia: evil' },
      { name: 'X-Lf', value: 'a\nb' },
      { name: 'X-Ok', value: 'fine' },
    ],
    ctx,
  );
  t.same(out, [{ name: 'X-Ok', value: 'fine' }]);
});

t.test('immutable headers are dropped silently, in any spelling', async (t) => {
  const out = applyHeaderRules(
    [
      { name: 'via', value: 'SIP/2.0/UDP 1.2.3.4' },
      { name: 'v', value: 'SIP/2.0/UDP 1.2.3.4' },
      { name: 'ROUTE', value: '<sip:p>' },
      { name: 'Record-Route', value: '<sip:p>' },
      { name: 'rseq', value: '1' },
      { name: 'Content-Length', value: '3' },
      { name: 'l', value: '3' },
      { name: 'cseq', value: '1 INVITE' },
    ],
    ctx,
  );
  t.same(out, [{ name: 'CSeq', value: '1 INVITE' }]);
});

t.test('known headers get canonical names (compact forms too)', async (t) => {
  const cases: Array<[string, string]> = [
    ['content-type', 'Content-Type'], ['user-agent', 'User-Agent'], ['p-asserted-identity', 'P-Asserted-Identity'],
    ['session-expires', 'Session-Expires'], ['www-authenticate', 'WWW-Authenticate'], ['proxy-authenticate', 'Proxy-Authenticate'],
    ['authorization', 'Authorization'], ['proxy-authorization', 'Proxy-Authorization'], ['call-id', 'Call-ID'],
    ['CALL-ID', 'Call-ID'], ['cseq', 'CSeq'], ['from', 'From'], ['to', 'To'], ['contact', 'Contact'],
    ['max-forwards', 'Max-Forwards'], ['expires', 'Expires'], ['min-expires', 'Min-Expires'], ['supported', 'Supported'],
    ['require', 'Require'], ['allow', 'Allow'], ['event', 'Event'], ['subscription-state', 'Subscription-State'],
    ['refer-to', 'Refer-To'], ['referred-by', 'Referred-By'], ['replaces', 'Replaces'], ['reason', 'Reason'],
    ['rack', 'RAck'], ['accept', 'Accept'], ['min-se', 'Min-SE'], ['privacy', 'Privacy'], ['diversion', 'Diversion'],
    ['history-info', 'History-Info'], ['server', 'Server'], ['warning', 'Warning'], ['retry-after', 'Retry-After'],
    ['date', 'Date'], ['subject', 'Subject'], ['organization', 'Organization'], ['allow-events', 'Allow-Events'],
    ['path', 'Path'], ['unsupported', 'Unsupported'], ['content-disposition', 'Content-Disposition'],
    ['content-encoding', 'Content-Encoding'], ['i', 'Call-ID'], ['m', 'Contact'], ['c', 'Content-Type'],
    ['k', 'Supported'], ['o', 'Event'], ['x', 'Session-Expires'], ['sip-etag', 'SIP-ETag'],
  ];
  for (const [given, want] of cases) t.equal(appHeaderName(given), want, given);
  const out = applyHeaderRules([{ name: 'user-agent', value: 'test' }, { name: 'Content-Type', value: 'application/sdp' }], ctx);
  t.same(out, [{ name: 'User-Agent', value: 'test' }, { name: 'Content-Type', value: 'application/sdp' }]);
});

t.test('custom headers: per-word capitals; X- names exactly as given', async (t) => {
  t.equal(appHeaderName('user-to-user'), 'User-To-User');
  t.equal(appHeaderName('my-custom-header'), 'My-Custom-Header');
  t.equal(appHeaderName('p-early-media'), 'P-Early-Media');
  t.equal(appHeaderName('x-foo-bar'), 'x-foo-bar');
  t.equal(appHeaderName('X-foo'), 'X-foo');
  t.equal(appHeaderName('X-FOO'), 'X-FOO');
  t.equal(appHeaderName('xylophone'), 'Xylophone', 'only an x followed by a dash is special');
});

t.test('preserve list keeps names exactly (case-insensitive match), but not immutable ones', async (t) => {
  const preserve = ['user-to-user', 'CONTENT-length'];
  const out = applyHeaderRules(
    [
      { name: 'user-to-user', value: 'abc' },
      { name: 'USER-TO-USER', value: 'def' },
      { name: 'other-one', value: '1' },
      { name: 'content-length', value: '1' },
    ],
    { ...ctx, preserve },
  );
  t.same(out, [
    { name: 'user-to-user', value: 'abc' },
    { name: 'USER-TO-USER', value: 'def' },
    { name: 'Other-One', value: '1' },
  ]);
});

t.test('order is kept and the input is not modified', async (t) => {
  const input = [{ name: 'b-h', value: '1' }, { name: 'a-h', value: '2' }, { name: 'from', value: 'sip:x@localhost' }];
  const copy = JSON.parse(JSON.stringify(input)) as typeof input;
  const out = applyHeaderRules(input, ctx);
  t.same(out.map((h) => h.name), ['B-H', 'A-H', 'From']);
  t.same(input, copy);
});

t.test('localhost rewriting', async (t) => {
  t.equal(rewriteLocalhost('sip:+1555@localhost', '10.0.0.10:5060'), '<sip:+1555@10.0.0.10:5060>');
  t.equal(rewriteLocalhost('<sip:me@localhost>;expires=3600', '10.0.0.10:5060'), '<sip:me@10.0.0.10:5060>;expires=3600');
  t.equal(rewriteLocalhost('"Me" <sip:me@LocalHost:5099;transport=tcp>;tag=abc', '10.0.0.10:5070'), '"Me" <sip:me@10.0.0.10:5070;transport=tcp>;tag=abc');
  t.equal(rewriteLocalhost('sip:+1555@localhost;tag=t1', '[2001:db8::1]:5060'), '<sip:+1555@[2001:db8::1]:5060>;tag=t1', 'addr-spec params are header params');
  t.equal(rewriteLocalhost('<sip:a@localhost>, <sip:b@192.0.2.1>', '1.2.3.4:5060'), '<sip:a@1.2.3.4:5060>, <sip:b@192.0.2.1>');
  t.equal(rewriteLocalhost('<sip:a@localhost.example.com>', '1.2.3.4:5060'), '<sip:a@localhost.example.com>', 'whole host only');
  t.equal(rewriteLocalhost('<sip:a@192.0.2.1>', '1.2.3.4:5060'), '<sip:a@192.0.2.1>');
  t.equal(rewriteLocalhost('"x@localhost" <sip:a@192.0.2.1>', '1.2.3.4:5060'), '"x@localhost" <sip:a@192.0.2.1>', 'display name untouched');

  const out = applyHeaderRules(
    [
      { name: 'from', value: 'sip:+1555@localhost' },
      { name: 'contact', value: '<sip:me@localhost>;expires=3600' },
      { name: 'P-Asserted-Identity', value: '"Caller" <sip:+1555@localhost>' },
      { name: 'To', value: '<sip:bob@localhost>' },
      { name: 'X-Note', value: 'sip:me@localhost' },
      { name: 'Refer-To', value: '<sip:me@localhost>' },
    ],
    ctx,
  );
  t.same(out, [
    { name: 'From', value: '<sip:+1555@10.0.0.10:5060>' },
    { name: 'Contact', value: '<sip:me@10.0.0.10:5060>;expires=3600' },
    { name: 'P-Asserted-Identity', value: '"Caller" <sip:+1555@10.0.0.10:5060>' },
    { name: 'To', value: '<sip:bob@10.0.0.10:5060>' },
    { name: 'X-Note', value: 'sip:me@localhost' },
    { name: 'Refer-To', value: '<sip:me@localhost>' },
  ]);
});

t.test('contentTypeFor', async (t) => {
  const sdp = Buffer.from('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n');
  const text = Buffer.from('hello');
  const empty = Buffer.alloc(0);
  t.same(contentTypeFor(sdp, [], 'request'), { contentType: 'application/sdp', inferred: true });
  t.same(contentTypeFor(sdp, [], 'response'), { contentType: 'application/sdp', inferred: true });
  t.same(contentTypeFor(text, [], 'request'), { error: 'missing content-type' });
  t.same(contentTypeFor(text, [], 'response'), {});
  t.same(contentTypeFor(text, [{ name: 'content-type', value: 'text/plain' }], 'request'), { contentType: 'text/plain' });
  t.same(contentTypeFor(text, [{ name: 'c', value: 'text/plain' }], 'request'), { contentType: 'text/plain' });
  t.same(contentTypeFor(sdp, [{ name: 'Content-Type', value: 'application/x-foo' }], 'request'), { contentType: 'application/x-foo' });
  t.same(contentTypeFor(empty, [], 'request'), {});
});

t.test('localhost detection is case-insensitive and needs a host boundary', async (t) => {
  t.equal(rewriteLocalhost('<sip:a@LOCALHOST>', 'h:1'), '<sip:a@h:1>');
  t.equal(rewriteLocalhost('<sip:a@localhostx>', 'h:1'), '<sip:a@localhostx>');
  t.equal(rewriteLocalhost('<sip:a@local>', 'h:1'), '<sip:a@local>');
  t.equal(rewriteLocalhost('<sip:a@localhost?subject=x>', 'h:1'), '<sip:a@h:1?subject=x>');
  t.equal(rewriteLocalhost('x@y <sip:a@localhost:5090>', 'h:1'), 'x@y <sip:a@localhost:5090>', 'unparseable value left alone');
});
