import t from 'tap';
import { FrameDecoder, FrameError, encode, encodeString } from '../../../../lib/engine/drachtio/wire/frame-codec.js';

function collect(maxFrameBytes?: number): { d: FrameDecoder; frames: string[]; errors: FrameError[] } {
  const frames: string[] = [];
  const errors: FrameError[] = [];
  const d = new FrameDecoder({ maxFrameBytes, onFrame: (p) => frames.push(p), onError: (e) => errors.push(e) });
  return { d, frames, errors };
}

const payloads = [
  'a1|ping',
  'x|sip|network|10|udp|1.2.3.4|5060|00:00:00.000000|t1||\r\nMESSAGE sip:a@b SIP/2.0\r\n\r\nhi 😀 ünïcödé 日本',
  '😀😀😀',
  'b|route|invite',
];

t.test('encode counts UTF-8 bytes, not characters', async (t) => {
  const p = 'x😀é';
  t.equal(p.length, 4);
  const buf = encode(p);
  t.equal(buf.toString('utf8'), '7#x😀é');
  t.equal(encodeString(p), '7#x😀é');
});

t.test('every split offset of a multi-frame buffer (incl. inside digits and multi-byte chars)', async (t) => {
  const all = Buffer.concat(payloads.map(encode));
  for (let cut = 0; cut <= all.length; cut++) {
    const { d, frames, errors } = collect();
    d.push(all.subarray(0, cut));
    d.push(all.subarray(cut));
    if (errors.length !== 0 || frames.join('\u0000') !== payloads.join('\u0000')) {
      t.fail(`split at ${cut}`);
      return;
    }
  }
  t.pass('all split offsets decode identically');
});

t.test('three-way splits', async (t) => {
  const all = Buffer.concat(payloads.map(encode));
  let bad = 0;
  for (let a = 0; a <= all.length; a += 3) {
    for (let b = a; b <= all.length; b += 5) {
      const { d, frames } = collect();
      d.push(all.subarray(0, a));
      d.push(all.subarray(a, b));
      d.push(all.subarray(b));
      if (frames.join('\u0000') !== payloads.join('\u0000')) bad++;
    }
  }
  t.equal(bad, 0);
});

t.test('10k frames in one chunk and byte by byte', async (t) => {
  const many: string[] = [];
  for (let i = 0; i < 10_000; i++) many.push(`${i}|sip|x\r\nbody ${i} ${i % 7 === 0 ? '😀' : ''}`);
  const all = Buffer.concat(many.map(encode));
  const one = collect();
  one.d.push(all);
  t.equal(one.frames.length, 10_000);
  t.same(one.frames, many);
  const bytewise = collect();
  for (let i = 0; i < all.length; i++) bytewise.d.push(all.subarray(i, i + 1));
  t.equal(bytewise.frames.length, 10_000);
  t.same(bytewise.frames, many);
  t.equal(bytewise.errors.length, 0);
});

t.test('malformed prefixes are errors and stop decoding', async (t) => {
  const cases: Array<[string, string]> = [
    ['#abc', 'empty length prefix'],
    ['12x#abc', 'non-digit in length prefix'],
    [' 3#abc', 'non-digit in length prefix'],
    ['-3#abc', 'non-digit in length prefix'],
    ['123456789#', 'length prefix too long'],
    ['0#', 'zero-length frame'],
    ['HTTP/1.1 GET /', 'non-digit in length prefix'],
  ];
  for (const [input, reason] of cases) {
    const { d, frames, errors } = collect();
    d.push(Buffer.from(input));
    d.push(encode('after|ping'));
    t.equal(errors.length, 1, input);
    t.equal(errors[0]?.message, reason, input);
    t.equal(frames.length, 0, `${input}: nothing decoded after the error`);
    t.ok(d.failed);
  }
});

t.test('a valid frame before garbage is still delivered', async (t) => {
  const { d, frames, errors } = collect();
  d.push(Buffer.concat([encode('a|ping'), Buffer.from('zz#')]));
  t.same(frames, ['a|ping']);
  t.equal(errors.length, 1);
});

t.test('frame over the configured maximum is an error, detected from the prefix alone', async (t) => {
  const { d, frames, errors } = collect(100);
  d.push(Buffer.from('101'));
  t.equal(errors.length, 1);
  t.equal(errors[0]?.message, 'frame exceeds maximum size');
  const ok = collect(100);
  ok.d.push(encode('x'.repeat(100)));
  t.equal(ok.frames.length, 1);
  t.equal(frames.length, 0);
});

t.test('stop() drops buffered input', async (t) => {
  const { d, frames } = collect();
  const buf = encode('abc|ping');
  d.push(buf.subarray(0, 4));
  d.stop();
  d.push(buf.subarray(4));
  t.equal(frames.length, 0);
});

t.test('onFrame may stop the decoder mid-chunk', async (t) => {
  const frames: string[] = [];
  const d: FrameDecoder = new FrameDecoder({
    onFrame: (p) => {
      frames.push(p);
      d.stop();
    },
    onError: () => t.fail('no error expected'),
  });
  d.push(Buffer.concat([encode('one'), encode('two')]));
  t.same(frames, ['one']);
});
