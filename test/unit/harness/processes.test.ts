import t from 'tap';
import { MissingBinaryError, requireBinary } from '../../helpers/binaries.js';
import { isRunning, startProcess } from '../../helpers/processes.js';

const node = process.execPath;
// Children would otherwise inherit tap's NODE_OPTIONS loaders, which only slow them down.
const plain = { env: { NODE_OPTIONS: undefined } };


t.test('collects output, matches it, and reports the exit', async (t) => {
  const p = startProcess(t, node, ['-e', 'console.log("hello out"); console.error("hello err"); process.exit(3)'], plain);
  const m = await p.waitForOutput(/hello (\w+)/, 5000);
  t.ok(m[1] === 'out' || m[1] === 'err');
  const exit = await p.waitForExit(5000);
  t.same(exit, { code: 3, signal: null });
  t.match(p.stdout(), /hello out/);
  t.match(p.stderr(), /hello err/);
  t.match(p.output(), /hello out[\s\S]*hello err|hello err[\s\S]*hello out/);
});

t.test('waitForOutput rejects on timeout and on exit without a match', async (t) => {
  const slow = startProcess(t, node, ['-e', 'setTimeout(() => {}, 10000)'], plain);
  await t.rejects(slow.waitForOutput(/never/, 200), /no output matching \/never\/ within 200 ms/);
  const quick = startProcess(t, node, ['-e', 'console.log("bye")'], plain);
  await t.rejects(quick.waitForOutput(/never/, 5000), /exited \(code 0/);
});

t.test('since-cursor ignores earlier output', async (t) => {
  const p = startProcess(t, node, ['-e', 'console.log("tick 1"); setTimeout(() => console.log("tick 2"), 300); setTimeout(() => {}, 2000)'], plain);
  await p.waitForOutput(/tick 1/, 5000);
  const mark = p.outputCursor();
  const m = await p.waitForOutput(/tick \d/, 5000, { since: mark });
  t.equal(m[0], 'tick 2');
});

t.test('output is bounded, keeping the newest text', async (t) => {
  const p = startProcess(t, node, ['-e', 'process.stdout.write("a".repeat(50000) + "END")'], { ...plain, maxOutputChars: 1000 });
  await p.waitForExit(5000);
  await p.waitForOutput(/END/, 1000);
  t.ok(p.output().length <= 1000, `retained ${p.output().length} chars`);
  t.ok(p.outputCursor() >= 50003, 'cursor counts dropped text');
});

t.test('stop sends SIGTERM by PID', async (t) => {
  const p = startProcess(t, node, ['-e', 'console.log("up"); setInterval(() => {}, 1000)'], plain);
  await p.waitForOutput(/up/, 5000);
  t.ok(isRunning(p.pid));
  const exit = await p.stop();
  t.equal(exit.signal, 'SIGTERM');
  t.notOk(isRunning(p.pid), 'process gone');
});

t.test('stop escalates to SIGKILL when SIGTERM is ignored', async (t) => {
  const p = startProcess(
    t,
    node,
    ['-e', 'process.on("SIGTERM", () => console.log("ignored")); console.log("up"); setInterval(() => {}, 1000)'],
    { ...plain, stopGraceMs: 300 },
  );
  await p.waitForOutput(/up/, 5000);
  const started = Date.now();
  const exit = await p.stop();
  t.equal(exit.signal, 'SIGKILL');
  t.ok(Date.now() - started >= 250, 'waited for the grace period first');
  t.match(p.output(), /ignored/);
});

t.test('teardown stops a process left running', async (t) => {
  let pid = 0;
  await t.test('inner', async (t) => {
    const p = startProcess(t, node, ['-e', 'console.log("up"); setInterval(() => {}, 1000)'], plain);
    await p.waitForOutput(/up/, 5000);
    pid = p.pid;
  });
  t.ok(pid > 0);
  t.notOk(isRunning(pid), `pid ${pid} stopped by the subtest's teardown`);
});

t.test('a missing binary fails with the binary and Debian package named', async (t) => {
  t.throws(() => startProcess(t, 'sipp-does-not-exist', []), MissingBinaryError);
  t.throws(() => requireBinary('no-such-tool-xyz', 'some-package'), /'no-such-tool-xyz'.*'some-package'.*apt-get install -y some-package/);
  const saved = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    t.throws(() => startProcess(t, 'sipp', []), /'sipp'.*Debian package 'sip-tester'/);
    t.throws(() => requireBinary('rtpengine'), /'rtpengine-daemon'/);
  } finally {
    process.env.PATH = saved;
  }
});
