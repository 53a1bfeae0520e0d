import t from 'tap';
import {
  canonicalName,
  expandCompact,
  headerKey,
  isListHeader,
  isSingletonHeader,
  splitCommaList,
} from '../../../lib/engine/messages/index.js';

t.test('compact forms (RFC 3261 7.3.3 and extensions)', async (t) => {
  const expected: Record<string, string> = {
    i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type', f: 'from', s: 'subject',
    k: 'supported', t: 'to', v: 'via', o: 'event', r: 'refer-to', b: 'referred-by', u: 'allow-events',
    x: 'session-expires', a: 'accept-contact', j: 'reject-contact', d: 'request-disposition', y: 'identity', n: 'identity-info',
  };
  for (const [c, long] of Object.entries(expected)) {
    t.equal(headerKey(c), long, c);
    t.equal(headerKey(c.toUpperCase()), long, c.toUpperCase());
    t.equal(expandCompact(c), long);
  }
  t.equal(expandCompact('q'), undefined);
  t.equal(headerKey('q'), 'q', 'unknown one-letter names stay');
});

t.test('keys are case-insensitive', async (t) => {
  t.equal(headerKey('MaX-fOrWaRdS'), 'max-forwards');
  t.equal(headerKey('CALL-ID'), 'call-id');
  t.equal(headerKey('X-Custom'), 'x-custom');
});

t.test('canonical names', async (t) => {
  t.equal(canonicalName('i'), 'Call-ID');
  t.equal(canonicalName('cseq'), 'CSeq');
  t.equal(canonicalName('www-authenticate'), 'WWW-Authenticate');
  t.equal(canonicalName('v'), 'Via');
  t.equal(canonicalName('record-route'), 'Record-Route');
  t.equal(canonicalName('x-my-header'), 'X-My-Header');
});

t.test('list and singleton headers', async (t) => {
  for (const h of ['Via', 'v', 'Contact', 'm', 'Route', 'Record-Route', 'Allow', 'Supported', 'k', 'Require', 'Proxy-Require']) {
    t.ok(isListHeader(h), h);
  }
  for (const h of ['WWW-Authenticate', 'Authorization', 'Date', 'To', 'Call-ID', 'Subject']) t.notOk(isListHeader(h), h);
  for (const h of ['To', 't', 'From', 'Call-ID', 'i', 'CSeq', 'Max-Forwards', 'Content-Length', 'l', 'Content-Type']) {
    t.ok(isSingletonHeader(h), h);
  }
  t.notOk(isSingletonHeader('Via'));
});

t.test('comma lists respect quotes and <>', async (t) => {
  t.same(splitCommaList('"Bell, A." <sip:a@b>;q=0.5 , <sip:c@d?x=1,2>, sip:e@f'), ['"Bell, A." <sip:a@b>;q=0.5', '<sip:c@d?x=1,2>', 'sip:e@f']);
  t.same(splitCommaList('"a \\", b" <sip:a@b>, x'), ['"a \\", b" <sip:a@b>', 'x'], 'escaped quote inside');
  t.same(splitCommaList('a,,b,'), ['a', '', 'b', ''], 'empty elements visible to validators');
  t.equal(splitCommaList('"open, <sip:a@b>'), undefined);
  t.equal(splitCommaList('<sip:a@b, c'), undefined);
});
