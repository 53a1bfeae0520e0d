import t from 'tap';
import { createSocket } from 'node:dgram';
import { createRtpenginePool, parseNgAddress } from '../../../lib/media/rtpengine-pool.js';
import { rtpengineArgs } from '../../../lib/media/rtpengine-launcher.js';
import { bTagFor } from '../../../lib/media/rtpengine-call-media.js';

t.test('ng addresses', async (t) => {
  t.strictSame(parseNgAddress('127.0.0.1:22222'), { host: '127.0.0.1', port: 22222 });
  t.strictSame(parseNgAddress('rtp1.example.com:2223'), { host: 'rtp1.example.com', port: 2223 });
  for (const bad of ['127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '[::1]:2223', '::1:2223', 'a b:1']) {
    t.throws(() => parseNgAddress(bad), /invalid rtpengine address/, bad);
  }
});

t.test('an instance that never answers is not live; pick() throws 503; close() ends the wait', async (t) => {
  // A bound socket that never replies stands in for a hung rtpengine.
  const silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => silent.close());
  let received = 0;
  silent.on('message', () => received++);
  const pool = createRtpenginePool([`127.0.0.1:${silent.address().port}`], { ngTimeoutMs: 100, pingIntervalMs: 60_000 });
  await pool.pingAll();
  t.ok(received >= 1, 'the ping was sent to the configured address');
  t.notOk(pool.instances[0]?.live);
  t.throws(() => pool.pick(), { name: 'MediaUnavailableError', status: 503 });
  t.match(pool.status()[0], { live: false, sessions: 0, lastError: /ping: rtpengine timeout/ });
  const inst = pool.instances[0];
  if (!inst) throw new Error('no instance');
  const pending = pool.command(inst, 'list');
  await pool.close();
  await t.rejects(pending, /closed/);
});

t.test('no instances at all: pick() throws 503', async (t) => {
  const pool = createRtpenginePool([], { ngTimeoutMs: 100, pingIntervalMs: 60_000 });
  t.throws(() => pool.pick(), { status: 503, message: /no rtpengine configured/ });
  await pool.close();
});

t.test('launcher arguments', async (t) => {
  t.strictSame(
    rtpengineArgs({ launch: { enabled: true, binary: 'rtpengine', interface: '127.0.0.1', ngPort: 22222 }, portMin: 20000, portMax: 31000, dscp: 46 }),
    [
      '--config-file=none',
      '--foreground',
      '--log-stderr',
      '--table=-1',
      '--interface=127.0.0.1',
      '--listen-ng=127.0.0.1:22222',
      '--port-min=20000',
      '--port-max=31000',
      '--tos=184',
      '--log-level=4',
    ],
  );
});

t.test('B tag', async (t) => {
  t.equal(bTagFor('abc'), 'abc-sipedge-b');
});
