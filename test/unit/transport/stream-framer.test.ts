import t from 'tap';
import { StreamFramer, type FrameSink, type FramingError } from '../../../lib/engine/transport/stream-framer.js';

class Collector implements FrameSink {
  frames: Buffer[] = [];
  pings = 0;
  errors: FramingError[] = [];
  onFrame(message: Buffer): void {
    // Copy so that a later overwrite of the framer's memory would show up as corruption.
    this.frames.push(Buffer.from(message));
  }
  onKeepAlive(): void {
    this.pings++;
  }
  onFramingError(error: FramingError): void {
    this.errors.push(error);
  }
}

const limits = { maxMessageBytes: 65535, maxHeaders: 256 };

function request(n: number, body = ''): string {
  return (
    `OPTIONS sip:alice@example.com SIP/2.0\r\n` +
    `Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK${n}\r\n` +
    `Max-Forwards: 70\r\n` +
    `From: <sip:bob@example.com>;tag=${n}\r\n` +
    `To: <sip:alice@example.com>\r\n` +
    `Call-ID: call-${n}\r\n` +
    `CSeq: ${n} OPTIONS\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
    body
  );
}

function feed(framer: StreamFramer, sink: Collector, data: Buffer, chunk: number): void {
  for (let i = 0; i < data.length; i += chunk) framer.push(data.subarray(i, Math.min(data.length, i + chunk)), 0, sink);
}

t.test('a message split at every byte offset comes out whole, once', async (t) => {
  const msg = Buffer.from(request(1, 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n'));
  for (let cut = 1; cut < msg.length; cut++) {
    const f = new StreamFramer(limits);
    const s = new Collector();
    f.push(msg.subarray(0, cut), 0, s);
    t.equal(s.frames.length, 0);
    t.ok(f.hasPartial);
    f.push(msg.subarray(cut), 0, s);
    if (s.frames.length !== 1 || !s.frames[0].equals(msg)) {
      t.fail(`split at ${cut} gave ${s.frames.length} frames`);
      return;
    }
    t.notOk(f.hasPartial);
  }
  t.pass('all split points');
});

t.test('a message split in three at every pair of offsets (head boundary cases)', async (t) => {
  const msg = Buffer.from(request(7, 'hello'));
  let ok = 0;
  for (let a = 1; a < msg.length - 1; a++) {
    for (let b = a + 1; b < msg.length; b++) {
      const f = new StreamFramer(limits);
      const s = new Collector();
      f.push(msg.subarray(0, a), 0, s);
      f.push(msg.subarray(a, b), 0, s);
      f.push(msg.subarray(b), 0, s);
      if (s.frames.length === 1 && s.frames[0].equals(msg) && s.errors.length === 0) ok++;
    }
  }
  const pairs = ((msg.length - 2) * (msg.length - 1)) / 2;
  t.equal(ok, pairs);
});

t.test('several messages in one chunk, plus a trailing partial', async (t) => {
  const a = request(1);
  const b = request(2, 'body-two');
  const c = request(3, 'x');
  const all = Buffer.from(a + b + c);
  const f = new StreamFramer(limits);
  const s = new Collector();
  f.push(all.subarray(0, all.length - 3), 0, s);
  t.equal(s.frames.length, 2);
  t.equal(s.frames[0].toString(), a);
  t.equal(s.frames[1].toString(), b);
  t.ok(f.hasPartial);
  f.push(all.subarray(all.length - 3), 0, s);
  t.equal(s.frames.length, 3);
  t.equal(s.frames[2].toString(), c);
});

t.test('messages that fit in a chunk are zero-copy views of it', async (t) => {
  const chunk = Buffer.from(request(1) + request(2));
  const seen: Buffer[] = [];
  const f = new StreamFramer(limits);
  f.push(chunk, 0, {
    onFrame: (m) => seen.push(m),
    onKeepAlive: () => {},
    onFramingError: () => {},
  });
  t.equal(seen.length, 2);
  t.equal(seen[0].buffer, chunk.buffer);
  t.equal(seen[1].byteOffset, chunk.byteOffset + Buffer.byteLength(request(1)));
});

t.test('a buffer handed out for a straddling message is never overwritten', async (t) => {
  const msgs = [request(1, 'aaaa'), request(2, 'bbbb'), request(3, 'cccc')].join('');
  const data = Buffer.from(msgs);
  const seen: Buffer[] = [];
  const f = new StreamFramer(limits);
  const sink: FrameSink = { onFrame: (m) => seen.push(m), onKeepAlive: () => {}, onFramingError: () => {} };
  for (let i = 0; i < data.length; i += 7) f.push(data.subarray(i, i + 7), 0, sink);
  t.same(
    seen.map((m) => m.toString()),
    [request(1, 'aaaa'), request(2, 'bbbb'), request(3, 'cccc')],
  );
});

t.test('CRLF keep-alives: CRLFCRLF between messages is a ping, lone CRLFs are skipped', async (t) => {
  const f = new StreamFramer(limits);
  const s = new Collector();
  f.push(Buffer.from('\r\n\r\n'), 0, s);
  t.equal(s.pings, 1);
  f.push(Buffer.from('\r\n'), 0, s);
  t.equal(s.pings, 1, 'a lone CRLF is not a ping');
  t.notOk(f.hasPartial, 'keep-alive bytes are not a partial message');
  f.push(Buffer.from(request(1)), 0, s);
  t.equal(s.frames.length, 1, 'the CRLF before the message is skipped');
  // A ping split across reads, then a ping right after a message in the same chunk.
  f.push(Buffer.from('\r\n\r'), 0, s);
  f.push(Buffer.from('\n'), 0, s);
  t.equal(s.pings, 2);
  f.push(Buffer.from(request(2) + '\r\n\r\n' + request(3)), 0, s);
  t.equal(s.pings, 3);
  t.equal(s.frames.length, 3);
  t.equal(s.errors.length, 0);
});

t.test('binary body with CRLFs and NULs is framed by Content-Length', async (t) => {
  const body = Buffer.alloc(300);
  for (let i = 0; i < body.length; i++) body[i] = (i * 37) & 0xff;
  body.write('\r\n\r\n', 10, 'latin1');
  const head = Buffer.from(request(1).replace('Content-Length: 0', `Content-Length: ${body.length}`));
  const msg = Buffer.concat([head, body]);
  const f = new StreamFramer(limits);
  const s = new Collector();
  feed(f, s, Buffer.concat([msg, msg]), 13);
  t.equal(s.frames.length, 2);
  t.ok(s.frames[0].equals(msg));
  t.ok(s.frames[1].equals(msg));
});

t.test('compact l header, LF-only line endings, missing Content-Length', async (t) => {
  const f = new StreamFramer(limits);
  const s = new Collector();
  const compact = 'MESSAGE sip:a@b SIP/2.0\r\nv: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl : 3\r\n\r\nabc';
  const lfOnly = 'MESSAGE sip:a@b SIP/2.0\nVia: SIP/2.0/TCP h;branch=z9hG4bK2\nContent-Length: 2\n\nxy';
  const noLength = 'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK3\r\n\r\n';
  const sameTwice = 'OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 1\r\n\r\nz';
  f.push(Buffer.from(compact + lfOnly + noLength + sameTwice), 0, s);
  t.same(
    s.frames.map((m) => m.toString()),
    [compact, lfOnly, noLength, sameTwice],
  );
  // LF LF split across reads.
  const g = new StreamFramer(limits);
  const s2 = new Collector();
  g.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\nContent-Length: 1\n'), 0, s2);
  g.push(Buffer.from('\nQ'), 0, s2);
  t.equal(s2.frames.length, 1);
  t.equal(s2.frames[0].toString().slice(-1), 'Q');
});

t.test('Content-Length in other headers or values is not mistaken', async (t) => {
  const f = new StreamFramer(limits);
  const s = new Collector();
  const msg =
    'OPTIONS sip:a@b SIP/2.0\r\nLocation: l: 99\r\nContent-Length-Foo: 7\r\nX: Content-Length: 5\r\nCall-ID: l\r\n' +
    ' Content-Length: 8\r\nContent-Length: 0\r\n\r\n';
  f.push(Buffer.from(msg + msg), 0, s);
  t.equal(s.frames.length, 2);
  t.equal(s.errors.length, 0);
});

t.test('framing errors', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['negative', 'INVITE sip:a@b SIP/2.0\r\nContent-Length: -999\r\n\r\n', 'Negative Content-Length'],
    ['conflicting', 'INVITE sip:a@b SIP/2.0\r\nContent-Length: 3\r\nl: 5\r\n\r\nabcde', 'Conflicting Content-Length'],
    ['non-numeric', 'INVITE sip:a@b SIP/2.0\r\nContent-Length: ten\r\n\r\n', 'Invalid Content-Length'],
    ['trailing junk', 'INVITE sip:a@b SIP/2.0\r\nContent-Length: 1 0\r\n\r\n', 'Invalid Content-Length'],
  ];
  for (const [name, text, reason] of cases) {
    for (const chunk of [text.length, 1]) {
      const f = new StreamFramer(limits);
      const s = new Collector();
      feed(f, s, Buffer.from(text + request(9)), chunk);
      t.equal(s.errors.length, 1, `${name} (chunk ${chunk}) reported once`);
      t.equal(s.errors[0]?.kind, 'framing-error');
      t.equal(s.errors[0]?.reason, reason);
      t.ok(s.errors[0]?.head?.toString().startsWith('INVITE sip:a@b'), 'head given for an answer');
      t.equal(s.frames.length, 0, 'nothing after framing is lost');
      t.ok(f.closed);
    }
  }
});

t.test('size and header-count limits', async (t) => {
  const small = { maxMessageBytes: 600, maxHeaders: 10 };
  // Body too large: head is complete, so it is given for a 513.
  const big = new StreamFramer(small);
  const s1 = new Collector();
  big.push(Buffer.from('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 5000\r\n\r\nabc'), 0, s1);
  t.equal(s1.errors[0]?.kind, 'message-too-large');
  t.ok(s1.errors[0]?.head);
  // A header block that never ends, arriving in pieces.
  const endless = new StreamFramer(small);
  const s2 = new Collector();
  endless.push(Buffer.from('MESSAGE sip:a@b SIP/2.0\r\n'), 0, s2);
  for (let i = 0; i < 100 && s2.errors.length === 0; i++) endless.push(Buffer.from(`X-Pad: ${'p'.repeat(20)}\r\n`.slice(0, 9)), 0, s2);
  t.equal(s2.errors.length, 1);
  t.equal(s2.errors[0].kind, 'message-too-large');
  t.equal(s2.errors[0].head, undefined);
  // One oversize chunk without a blank line.
  const oneChunk = new StreamFramer(small);
  const s3 = new Collector();
  oneChunk.push(Buffer.from('MESSAGE sip:a@b SIP/2.0\r\nX: ' + 'y'.repeat(700)), 0, s3);
  t.equal(s3.errors[0]?.kind, 'message-too-large');
  // Too many headers, in one chunk and byte by byte.
  for (const chunk of [10000, 1]) {
    const f = new StreamFramer(small);
    const s = new Collector();
    feed(f, s, Buffer.from('OPTIONS sip:a@b SIP/2.0\r\n' + 'X: y\r\n'.repeat(11) + '\r\n'), chunk);
    t.equal(s.errors.length, 1);
    t.equal(s.errors[0].kind, 'too-many-headers');
  }
  // Exactly at the limits is fine; continuation lines do not count as headers.
  const edge = new StreamFramer(small);
  const s4 = new Collector();
  const ok = 'OPTIONS sip:a@b SIP/2.0\r\n' + 'X: y\r\n  folded\r\n'.repeat(10) + '\r\n';
  edge.push(Buffer.from(ok), 0, s4);
  t.equal(s4.frames.length, 1);
  t.equal(s4.errors.length, 0);
  const exact = new StreamFramer({ maxMessageBytes: Buffer.byteLength(request(1, 'abc')), maxHeaders: 10 });
  const s5 = new Collector();
  feed(exact, s5, Buffer.from(request(1, 'abc') + request(1, 'abcd')), 5);
  t.equal(s5.frames.length, 1);
  t.equal(s5.errors[0]?.kind, 'message-too-large');
});

t.test('partial message start time is reported', async (t) => {
  const f = new StreamFramer(limits);
  const s = new Collector();
  f.push(Buffer.from('\r\n'), 100, s);
  t.notOk(f.hasPartial);
  f.push(Buffer.from('OPTIONS sip:a@b'), 250, s);
  t.ok(f.hasPartial);
  t.equal(f.partialSince, 250);
  f.push(Buffer.from(' SIP/2.0\r\n'), 900, s);
  t.equal(f.partialSince, 250, 'more bytes do not restart the clock');
  f.push(Buffer.from('\r\n'), 1000, s);
  t.notOk(f.hasPartial);
  t.equal(s.frames.length, 1);
});

t.test('dispose from inside onFrame stops processing', async (t) => {
  const f = new StreamFramer(limits);
  let n = 0;
  f.push(Buffer.from(request(1) + request(2)), 0, {
    onFrame: () => {
      n++;
      f.dispose();
    },
    onKeepAlive: () => {},
    onFramingError: () => t.fail('no error'),
  });
  t.equal(n, 1);
});

t.test('linear: 10,000 messages in one chunk and in 1-byte chunks', async (t) => {
  const parts: string[] = [];
  for (let i = 0; i < 10000; i++) parts.push(request(i, i % 3 === 0 ? `body-${i}` : ''));
  const data = Buffer.from(parts.join(''));
  for (const chunk of [data.length, 1, 1000]) {
    const f = new StreamFramer(limits);
    const s = new Collector();
    const started = performance.now();
    feed(f, s, data, chunk);
    const ms = performance.now() - started;
    t.equal(s.frames.length, 10000, `chunk ${chunk}: every message once`);
    let same = true;
    for (let i = 0; i < parts.length; i++) if (s.frames[i].toString() !== parts[i]) same = false;
    t.ok(same, `chunk ${chunk}: in order and intact`);
    t.equal(s.errors.length, 0);
    // Quadratic behaviour would take minutes here (about 2.7 MB fed byte by byte).
    t.ok(ms < 20000, `chunk ${chunk} took ${ms.toFixed(0)} ms`);
  }
});
