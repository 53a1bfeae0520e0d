import t, { type Test } from 'tap';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMessage, serializeMessage, type SipRequest, type SipResponse } from '../../../lib/engine/messages/index.js';
import { INTERNAL_ERROR_REASON } from '../../../lib/engine/messages/parser.js';
import { seededRandom as prng } from '../../helpers/seeded-random.js';

const CRLF = '\r\n';

function msg(lines: string[], body = ''): Buffer {
  return Buffer.from(lines.join(CRLF) + CRLF + CRLF + body, 'utf8');
}

const BASIC = [
  'OPTIONS sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport',
  'Max-Forwards: 70',
  'To: <sip:bob@example.com>',
  'From: "Alice" <sip:alice@example.com>;tag=a1',
  'Call-ID: c1@10.0.0.1',
  'CSeq: 7 OPTIONS',
];

function ok(t: Tap, data: Buffer): SipRequest | SipResponse {
  const r = parseMessage(data);
  if (!r.ok) {
    t.fail(`refused: ${r.status} ${r.reason}`);
    throw new Error(r.reason);
  }
  return r.message;
}

type Tap = Test;

function refused(t: Tap, data: Buffer, status: number, reason: RegExp | string, answerable = true): void {
  const r = parseMessage(data);
  if (r.ok) {
    t.fail('expected refusal');
    return;
  }
  t.equal(r.status, status);
  if (typeof reason === 'string') t.equal(r.reason, reason);
  else t.match(r.reason, reason);
  t.equal(r.answerable !== undefined, answerable, answerable ? 'answerable' : 'not answerable');
}

t.test('basic request and round trip', async (t) => {
  const data = msg([...BASIC, 'Content-Length: 0']);
  const m = ok(t, data) as SipRequest;
  t.equal(m.method, 'OPTIONS');
  t.equal(m.uri, 'sip:bob@example.com');
  t.equal(m.callId, 'c1@10.0.0.1');
  t.equal(m.from.displayName, 'Alice');
  const again = ok(t, Buffer.from(serializeMessage(m.clone()))) as SipRequest;
  t.same(again.headers, m.headers);
  t.equal(again.method, m.method);
});

t.test('folding, spaces before colon, compact forms, bare LF', async (t) => {
  const data = msg([
    'INVITE sip:bob@example.com SIP/2.0',
    'v: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1',
    'f : <sip:alice@example.com>',
    '\t;tag=a1',
    't:<sip:bob@example.com>',
    'i: c2',
    'CSeq: 1',
    '   INVITE',
    'Subject: hello',
    '  world  ',
    'k: 100rel, timer',
    'c: application/sdp',
    'l: 3',
  ], 'v=0');
  const m = ok(t, data) as SipRequest;
  t.equal(m.from.tag, 'a1');
  t.same(m.cseq, { seq: 1, method: 'INVITE' });
  t.equal(m.get('subject'), 'hello world', 'folded lines join with one SP');
  t.same(m.getList('supported'), ['100rel', 'timer']);
  t.equal(m.body.toString(), 'v=0');
  t.equal(m.headers[1]!.name, 'f', 'name as received, without the space before the colon');

  const lf = Buffer.from([...BASIC, 'Content-Length: 2'].join('\n') + '\n\nab');
  const m2 = ok(t, lf);
  t.equal(m2.body.toString(), 'ab', 'bare LF line ends tolerated');
  t.match(serializeMessage(m2).toString(), /\r\nCall-ID: c1@10\.0\.0\.1\r\n/, 're-serialized with CRLF, not the received bytes');

  const lead = Buffer.concat([Buffer.from('\r\n\r\n'), msg([...BASIC, 'Content-Length: 0'])]);
  t.match(ok(t, lead).kind, 'request', 'leading CRLFs ignored (RFC 3261 7.5)');
});

t.test('comma lists with quoted commas', async (t) => {
  const m = ok(t, msg([...BASIC, 'Contact: "Bell, A." <sip:a@x>;q=0.5, <sip:b@y>', 'Contact: sip:c@z', 'Content-Length: 0']));
  t.same(m.getList('m'), ['"Bell, A." <sip:a@x>;q=0.5', '<sip:b@y>', 'sip:c@z']);
  t.same(m.getAll('contact'), ['"Bell, A." <sip:a@x>;q=0.5, <sip:b@y>', 'sip:c@z']);
});

t.test('body is raw bytes framed by Content-Length', async (t) => {
  const head = Buffer.from([...BASIC, 'Content-Type: application/octet-stream', 'Content-Length: 8'].join(CRLF) + CRLF + CRLF);
  const body = Buffer.from([0x00, 0x0d, 0x0a, 0x0d, 0x0a, 0xff, 0xfe, 0x0a]);
  const m = ok(t, Buffer.concat([head, body, Buffer.from('trailing junk')]));
  t.ok(m.body.equals(body), 'binary body kept, empty-line look-alike inside it ignored');
  const out = serializeMessage(m);
  t.ok(out.subarray(out.length - 8).equals(body), 'serialized without the trailing junk');
  t.equal(out.length, head.length + 8);

  const noCl = ok(t, Buffer.concat([Buffer.from(BASIC.join(CRLF) + CRLF + CRLF), body]));
  t.ok(noCl.body.equals(body), 'no Content-Length: rest of the datagram');
  t.match(serializeMessage(noCl).toString('latin1'), /Content-Length: 8\r\n\r\n/);

  const dup = ok(t, msg([...BASIC, 'Content-Length: 2', 'l: 2'], 'abXX'));
  t.equal(dup.body.toString(), 'ab', 'identical duplicate Content-Length accepted');
  t.equal((serializeMessage(dup).toString().match(/Content-Length|l:/gi) ?? []).length, 1, 'serialized with one Content-Length');
});

t.test('request refusals', async (t) => {
  refused(t, msg([...BASIC, 'Content-Length: 10'], 'short'), 400, 'Content-Length larger than body');
  refused(t, msg([...BASIC, 'Content-Length: -1']), 400, 'Bad Content-Length');
  refused(t, msg([...BASIC, 'Content-Length: 12345678901']), 400, 'Bad Content-Length');
  refused(t, msg([...BASIC, 'Content-Length: 1', 'Content-Length: 2'], 'ab'), 400, 'Conflicting Content-Length headers');
  refused(t, msg(BASIC.filter((l) => !l.startsWith('Call-ID'))), 400, 'Missing Call-ID header');
  refused(t, msg(BASIC.filter((l) => !l.startsWith('CSeq'))), 400, 'Missing CSeq header');
  refused(t, msg(BASIC.filter((l) => !l.startsWith('From'))), 400, 'Missing From header');
  refused(t, msg(BASIC.filter((l) => !l.startsWith('Via'))), 400, 'Missing Via header', false);
  refused(t, msg([...BASIC, 'Call-ID: other']), 400, 'Multiple Call-ID headers');
  refused(t, msg([...BASIC, 'Max-Forwards: 1']), 400, 'Multiple Max-Forwards headers');
  refused(t, msg(BASIC.map((l) => (l.startsWith('Max') ? 'Max-Forwards: 256' : l))), 400, 'Bad Max-Forwards');
  refused(t, msg(BASIC.map((l) => (l.startsWith('CSeq') ? 'CSeq: 2147483648 OPTIONS' : l))), 400, 'Bad CSeq number');
  t.ok(parseMessage(msg(BASIC.map((l) => (l.startsWith('CSeq') ? 'CSeq: 2147483647 OPTIONS' : l)))).ok, 'CSeq 2^31-1 is fine');
  refused(t, msg(BASIC.map((l) => (l.startsWith('CSeq') ? 'CSeq: 7 INVITE' : l))), 400, 'CSeq method does not match request method');
  refused(t, msg(BASIC.map((l) => (l.startsWith('CSeq') ? 'CSeq: 7' : l))), 400, 'Malformed CSeq header');
  refused(t, msg(BASIC.map((l) => (l.startsWith('Call-ID') ? 'Call-ID: a b' : l))), 400, 'Malformed Call-ID header');
  refused(t, msg(BASIC.map((l) => (l.startsWith('Via') ? 'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1,' : l))), 400, 'Malformed Via header');
  refused(t, msg([...BASIC, 'Contact: <sip:a@b>;;']), 400, 'Malformed Contact header');
  refused(t, msg([...BASIC, 'Bad Header: x']), 400, 'Malformed header name');
  refused(t, msg([...BASIC, 'no colon here']), 400, 'Malformed header line');
  refused(t, Buffer.from(BASIC.join(CRLF) + CRLF), 400, 'Missing empty line after headers');
  refused(t, msg(['OPTIONS sip:bob@example.com SIP/3.0', ...BASIC.slice(1)]), 505, 'Version Not Supported');
  refused(t, msg(['OPTIONS sip:bob@example.com HTTP/1.1', ...BASIC.slice(1)]), 400, 'Malformed Request-Line');
  refused(t, msg(['OPTIONS  sip:bob@example.com SIP/2.0', ...BASIC.slice(1)]), 400, 'Malformed Request-Line');
  refused(t, msg(['OPTIONS sip:bob@example.com SIP/2.0 ', ...BASIC.slice(1)]), 400, 'Malformed Request-Line');
  refused(t, msg(['OPTIONS <sip:bob@example.com> SIP/2.0', ...BASIC.slice(1)]), 400, 'Request-URI in angle brackets');
  refused(t, msg(['OPTIONS sip:bob@example.com?Route=x SIP/2.0', ...BASIC.slice(1)]), 400, 'Request-URI must not contain headers');
  refused(t, msg(['OPTIONS sip:bob@ SIP/2.0', ...BASIC.slice(1)]), 400, 'Malformed Request-URI');
  refused(t, msg(['OPT(IONS sip:bob@example.com SIP/2.0', ...BASIC.slice(1)]), 400, 'Malformed method', false);
  refused(t, Buffer.from('\r\n\r\n'), 400, 'Empty message', false);
  refused(t, Buffer.alloc(0), 400, 'Empty message', false);
});

t.test('responses', async (t) => {
  const lines = ['SIP/2.0 486 Busy Here', ...BASIC.slice(1).filter((l) => !l.startsWith('Max'))];
  const r = ok(t, msg([...lines, 'Content-Length: 0'])) as SipResponse;
  t.equal(r.kind, 'response');
  t.equal(r.status, 486);
  t.equal(r.reason, 'Busy Here');
  t.equal(r.cseq.method, 'OPTIONS');
  const noReason = ok(t, msg(['SIP/2.0 100', ...lines.slice(1)])) as SipResponse;
  t.equal(noReason.reason, '', 'missing SP before an empty reason tolerated');
  refused(t, msg(['SIP/2.0 99 Low', ...lines.slice(1)]), 400, 'Bad status code', false);
  refused(t, msg(['SIP/2.0 700 High', ...lines.slice(1)]), 400, 'Bad status code', false);
  refused(t, msg(['SIP/2.0 2000 OK', ...lines.slice(1)]), 400, 'Bad status code', false);
  refused(t, msg(['SIP/3.0 200 OK', ...lines.slice(1)]), 505, 'Version Not Supported', false);
  refused(t, msg(['SIP/2.0 200 OK', ...lines.slice(1).filter((l) => !l.startsWith('Via'))]), 400, 'Missing Via header', false);
  refused(t, msg(['SIP/2.0 200 OK', ...lines.slice(1).map((l) => (l.startsWith('CSeq') ? 'CSeq: 4294967296 INVITE' : l))]), 400, 'Bad CSeq number', false);
});

t.test('unknown headers and methods keep their case', async (t) => {
  const m = ok(t, msg(['FOO sip:x@example.com SIP/2.0', ...BASIC.slice(1, -1), 'CSeq: 7 FOO', 'X-WeIrD-CaSe: VaLuE  ', 'Content-Length: 0'])) as SipRequest;
  t.equal(m.method, 'FOO');
  const h = m.headers.find((x) => x.name === 'X-WeIrD-CaSe');
  t.equal(h?.value, 'VaLuE', 'name case kept, value trimmed');
  t.equal(m.get('x-weird-case'), 'VaLuE');
  t.equal(parseMessage(msg(['foo sip:x@example.com SIP/2.0', ...BASIC.slice(1, -1), 'CSeq: 7 FOO'])).ok, false, 'methods are case-sensitive (RFC 3261 7.1)');
});

t.test('maxHeaders limit', async (t) => {
  const many = [...BASIC];
  for (let i = 0; i < 20; i++) many.push(`X-H${i}: ${i}`);
  t.ok(parseMessage(msg(many), { maxHeaders: 40 }).ok);
  const r = parseMessage(msg(many), { maxHeaders: 10 });
  t.equal(r.ok, false);
  if (!r.ok) {
    t.equal(r.reason, 'Too many headers');
    t.ok(r.answerable, 'still answerable: Via comes first');
    t.ok(r.answerable!.headers.length <= 10, 'no more than the limit kept');
  }
});

// ---- fuzzing: parseMessage must never throw, and whatever it accepts must be self-consistent ----


function checkAccepted(t: Tap, data: Buffer, label: string): boolean {
  const r = parseMessage(data);
  if (!r.ok) {
    if (r.reason === INTERNAL_ERROR_REASON) {
      t.fail(`parser threw internally on ${label}: ${JSON.stringify(data.toString('latin1'))}`);
      return false;
    }
    if (r.answerable) {
      // the engine will answer: these must not throw
      void r.answerable.getAll('via');
      serializeMessage(r.answerable);
    }
    return true;
  }
  const m = r.message;
  try {
    // guaranteed-valid views
    void m.callId;
    void m.cseq;
    void m.via;
    void m.vias();
    void m.from;
    void m.to;
    const again = parseMessage(serializeMessage(withChange(m)));
    if (!again.ok) {
      t.fail(`re-serialized ${label} refused: ${again.reason}: ${JSON.stringify(data.toString('latin1'))}`);
      return false;
    }
    if (!again.message.body.equals(m.body)) {
      t.fail(`body changed in round trip of ${label}`);
      return false;
    }
  } catch (err) {
    t.fail(`accepted ${label} but a getter threw: ${(err as Error).message}: ${JSON.stringify(data.toString('latin1'))}`);
    return false;
  }
  return true;
}

/** A modified clone, to force re-serialization instead of reusing the received bytes. */
function withChange(m: SipRequest | SipResponse): SipRequest | SipResponse {
  const c = m.clone();
  c.append('X-Fuzz', '1');
  return c;
}

t.test('fuzz: random bytes', async (t) => {
  const rnd = prng(4475);
  let bad = 0;
  for (let i = 0; i < 3000 && bad < 5; i++) {
    const len = Math.floor(rnd() * 300);
    const buf = Buffer.alloc(len);
    for (let k = 0; k < len; k++) buf[k] = Math.floor(rnd() * 256);
    if (!checkAccepted(t, buf, `random #${i}`)) bad++;
  }
  t.equal(bad, 0, 'no random input broke the parser');
});

t.test('fuzz: mutated RFC 4475 messages', async (t) => {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
  const dir = path.resolve(repoRoot, '../shared/testdata/rfc4475');
  if (!existsSync(dir)) {
    t.fail(`RFC 4475 test data not found at ${dir}`);
    return;
  }
  const seeds = readdirSync(dir).filter((f) => f.endsWith('.dat')).map((f) => readFileSync(path.join(dir, f)));
  const rnd = prng(3261);
  const alphabet = Buffer.from(' \t\r\n:;,=<>"\\/@?%[]*0123456789abcSIP\x00\xff');
  let bad = 0;
  let accepted = 0;
  for (let i = 0; i < 6000 && bad < 5; i++) {
    const seed = seeds[Math.floor(rnd() * seeds.length)]!;
    let buf = Buffer.from(seed);
    const edits = 1 + Math.floor(rnd() * 4);
    for (let e = 0; e < edits; e++) {
      const pos = Math.floor(rnd() * (buf.length + 1));
      const op = rnd();
      if (op < 0.4 && buf.length > 0) {
        buf[Math.min(pos, buf.length - 1)] = alphabet[Math.floor(rnd() * alphabet.length)]!;
      } else if (op < 0.6) {
        buf = Buffer.concat([buf.subarray(0, pos), buf.subarray(Math.min(buf.length, pos + 1 + Math.floor(rnd() * 20)))]);
      } else if (op < 0.8) {
        const ins = Buffer.from([alphabet[Math.floor(rnd() * alphabet.length)]!]);
        buf = Buffer.concat([buf.subarray(0, pos), ins, buf.subarray(pos)]);
      } else {
        buf = buf.subarray(0, pos); // truncation
      }
    }
    if (parseMessage(buf).ok) accepted++;
    if (!checkAccepted(t, buf, `mutation #${i}`)) bad++;
  }
  t.equal(bad, 0, 'no mutated message broke the parser');
  t.ok(accepted > 100, `a fair share of mutations still parse (${accepted})`);
});
