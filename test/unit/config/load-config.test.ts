import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, resolveConfig } from '../../../lib/config/load-config.js';

const cliPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../lib/cli/main.js');

t.test('defaults are the vendor recommendations', async (t) => {
  const c = resolveConfig({});
  t.equal(c.sip.tcp.idleTimeoutS, 1200);
  t.equal(c.sip.tls.idleTimeoutS, 1200);
  t.equal(c.sip.tcp.port, 5060);
  t.equal(c.sip.tls.port, 5061);
  t.equal(c.sip.tls.minVersion, 'TLSv1.2');
  t.equal(c.sip.udp.address, '127.0.0.1');
  t.equal(c.drachtio.mode, 'embedded');
});

t.test('overrides merge over defaults', async (t) => {
  const c = resolveConfig({ sip: { tcp: { idleTimeoutS: 2 } } });
  t.equal(c.sip.tcp.idleTimeoutS, 2);
  t.equal(c.sip.tcp.port, 5060, 'siblings keep their defaults');
});

const bad: Array<[string, unknown, RegExp]> = [
  ['wrong type', { sip: { tcp: { port: 'x' } } }, /^invalid config: sip\.tcp\.port: expected a number, got string$/],
  ['out of range', { sip: { tcp: { idleTimeoutS: 0 } } }, /sip\.tcp\.idleTimeoutS: must be >= 0\.1, got 0/],
  ['not an integer', { admin: { port: 1.5 } }, /admin\.port: expected an integer/],
  ['unknown key', { sip: { tpc: {} } }, /sip\.tpc: unknown key/],
  ['bad enum', { log: { level: 'loud' } }, /log\.level: must be one of/],
  ['tls without files', { sip: { tls: { enabled: true } } }, /sip\.tls: keyFile and certFile are required/],
  ['t2 below t1', { sip: { timers: { t1Ms: 1000, t2Ms: 500 } } }, /sip\.timers\.t2Ms: must be >= t1Ms/],
  ['not an object', { sip: 5 }, /sip: expected an object, got number/],
];
for (const [name, input, re] of bad) {
  t.test(`invalid config is refused with the key path: ${name}`, async (t) => {
    t.throws(() => resolveConfig(input), re);
    try {
      resolveConfig(input);
    } catch (err) {
      t.type(err, ConfigError);
    }
  });
}

t.test('a file that is not JSON names the file', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sipedge-cfg-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bad.json');
  await writeFile(file, '{ nope');
  await t.rejects(loadConfig(file), /bad\.json is not valid JSON/);
  await t.rejects(loadConfig(path.join(dir, 'missing.json')), /cannot read .*missing\.json/);
});

t.test('the CLI fails at start with the key path and exit code 1', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sipedge-cfg-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bad.json');
  await writeFile(file, JSON.stringify({ sip: { tcp: { idleTimeoutS: -1 } } }));
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(process.execPath, [cliPath, 'start', '--config', file], { timeout: 20000 }, (err, _out, stderr) => {
      resolve({ code: err ? ((err as NodeJS.ErrnoException & { code?: number }).code as unknown as number) : 0, stderr });
    });
  });
  t.equal(result.code, 1);
  t.match(result.stderr, /invalid config: sip\.tcp\.idleTimeoutS: must be >= 0\.1, got -1/);
});

t.test('check-config prints the resolved config', async (t) => {
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [cliPath, 'check-config'], { timeout: 20000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  t.equal(JSON.parse(out).sip.tcp.idleTimeoutS, 1200);
});

t.test('node.appProcesses above 1 needs the Redis store, the embedded engine and no launched rtpengine', async (t) => {
  const redis = { type: 'redis', redis: {} };
  t.equal(resolveConfig({ node: { appProcesses: 2 }, store: redis }).node.appProcesses, 2);
  t.equal(resolveConfig({}).node.appProcesses, 1, 'default: the node process alone');
  t.throws(() => resolveConfig({ node: { appProcesses: 2 } }), { keyPath: 'node.appProcesses', message: /store.type "redis"/ });
  t.throws(() => resolveConfig({ node: { appProcesses: 2 }, store: redis, drachtio: { mode: 'external' } }), {
    keyPath: 'node.appProcesses',
    message: /drachtio.mode "embedded"/,
  });
  t.throws(() => resolveConfig({ node: { appProcesses: 2 }, store: redis, media: { launch: { enabled: true } } }), {
    keyPath: 'node.appProcesses',
    message: /media.launch/,
  });
  t.throws(() => resolveConfig({ node: { appProcesses: 0 } }), { keyPath: 'node.appProcesses', message: /node.appProcesses/ });
});
