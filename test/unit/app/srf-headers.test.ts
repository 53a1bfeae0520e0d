// Header reads on srf-parsed messages without srf's get()/has(): same answers as srf's own lookup.
import t from 'tap';
import Srf from 'drachtio-srf';
import { headerValue } from '../../../lib/app/srf-headers.js';

const RAW = [
  'REGISTER sip:example.com SIP/2.0',
  'Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-1',
  'f: <sip:alice@example.com>;tag=1',
  'To: <sip:alice@example.com>',
  'i: call-1@192.0.2.1',
  'CSeq: 2 REGISTER',
  'Contact: <sip:alice@192.0.2.1:5060;transport=tcp>',
  'Contact: <sip:alice@192.0.2.1:5062;transport=tcp>',
  'AUTHORIZATION: Digest username="alice"',
  'X-Custom-Thing: Value-1',
  'P-Preferred-Identity: <sip:alice@example.com>',
  'P-Asserted-Identity: <sip:alice@example.com>',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

type Parsed = { headers: Record<string, unknown>; get(n: string): string | undefined };
// srf's own parser, as it parses what the server sends.
const SipMessage = (Srf as unknown as { SipMessage: new (raw: string) => Parsed }).SipMessage;

t.test('every header reads as srf reads it, by lower-case name', async (t) => {
  const msg = new SipMessage(RAW);
  for (const [lower, srfName] of [
    ['via', 'Via'],
    ['from', 'From'],
    ['to', 'To'],
    ['call-id', 'Call-ID'],
    ['cseq', 'CSeq'],
    ['contact', 'Contact'],
    ['authorization', 'Authorization'],
    ['x-custom-thing', 'X-Custom-Thing'],
    ['p-preferred-identity', 'P-Preferred-Identity'],
    ['p-asserted-identity', 'P-Asserted-Identity'],
  ] as const) {
    const v = headerValue(msg, lower);
    t.ok(v !== undefined && v.length > 0, `${lower} found`);
    t.equal(v, msg.get(srfName), `${lower} as srf gives it`);
  }
});

t.test('compact forms and repeated headers', async (t) => {
  const msg = new SipMessage(RAW);
  t.equal(headerValue(msg, 'from'), '<sip:alice@example.com>;tag=1');
  t.equal(headerValue(msg, 'call-id'), 'call-1@192.0.2.1');
  t.equal(headerValue(msg, 'contact'), '<sip:alice@192.0.2.1:5060;transport=tcp>,<sip:alice@192.0.2.1:5062;transport=tcp>');
});

t.test('absent headers are undefined', async (t) => {
  const msg = new SipMessage(RAW);
  t.equal(headerValue(msg, 'expires'), undefined);
  t.equal(headerValue(msg, 'path'), undefined);
  t.equal(headerValue(msg, 'x-absent'), undefined);
});
