import t from 'tap';
import { parseCallServers } from '../../../lib/callservers/call-server-config.js';
import { CallServerPool } from '../../../lib/callservers/call-server-pool.js';
import { OptionsProber } from '../../../lib/callservers/options-prober.js';

// The prober's timers are unref'd (they never hold a node open): keep this test process alive meanwhile.
const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));

t.test('probe outcomes: response, send error, timeout; a late answer is ignored', async (t) => {
  const pool = new CallServerPool(parseCallServers(['sip:a.test', 'sip:b.test', 'sip:c.test']));
  let lateAnswer: ((status: number) => void) | undefined;
  const sent: string[] = [];
  const prober = new OptionsProber({
    pool,
    intervalMs: 60_000,
    timeoutMs: 50,
    send: (uri) => {
      sent.push(uri);
      if (uri === 'sip:a.test') return Promise.resolve(200);
      if (uri === 'sip:b.test') return Promise.reject(new Error('ECONNREFUSED'));
      return new Promise<number>((resolve) => (lateAnswer = resolve));
    },
  });
  t.teardown(() => prober.stop());
  await prober.probeAll();
  t.same(pool.status().map((s) => s.state), ['up', 'down', 'down']);
  t.equal(pool.status()[1]!.lastError, 'ECONNREFUSED');
  t.equal(pool.status()[2]!.lastError, 'timeout');
  lateAnswer!(200);
  await new Promise((r) => setImmediate(r));
  t.equal(pool.status()[2]!.state, 'down', 'late 200 after the timeout does not count');
  t.same(sent, ['sip:a.test', 'sip:b.test', 'sip:c.test']);
});

t.test('interval probing, no overlap per server, stop', async (t) => {
  const pool = new CallServerPool(parseCallServers(['sip:slow.test', 'sip:fast.test']));
  const counts = new Map<string, number>();
  const prober = new OptionsProber({
    pool,
    intervalMs: 20,
    timeoutMs: 1000,
    send: (uri) => {
      counts.set(uri, (counts.get(uri) ?? 0) + 1);
      return uri === 'sip:slow.test' ? new Promise<number>(() => undefined) : Promise.resolve(200);
    },
  });
  prober.start();
  await new Promise((r) => setTimeout(r, 130));
  await prober.stop();
  const fast = counts.get('sip:fast.test')!;
  t.ok(fast >= 4, `fast probed ${fast} times`);
  t.equal(counts.get('sip:slow.test'), 1, 'a probe still running is not repeated');
  await new Promise((r) => setTimeout(r, 60));
  t.equal(counts.get('sip:fast.test'), fast, 'nothing after stop');
});
