// A gateway node running its app in two processes (node.appProcesses: 2) on one real redis-server: both apps on
// the engine, digest registrations that succeed whichever process answers the challenge and which the
// credentials, metrics summed over both, a killed app process restarted, and every process stopped with the node.
import t from 'tap';
import { join } from 'node:path';
import { addUser } from '../../../lib/auth/user-directory.js';
import { Device, startGateway } from '../../helpers/gateway.js';
import { isRunning } from '../../helpers/processes.js';
import { startRedis } from '../../helpers/redis.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const REALM = 'sipedge.test';
const USERS = 8;

interface AppProcessStatus {
  index: number;
  pid: number;
  alive: boolean;
}

async function until(what: string, cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.test('a node with two app processes', async (t) => {
  const redis = await startRedis(t);
  const dir = makeTempDir(t, 'sipedge-apps-');
  const usersFile = join(dir, 'users.json');
  for (let i = 1; i <= USERS; i++) await addUser(usersFile, REALM, `u${i}`, `pw-${i}`);
  const node = await startGateway(t, {
    node: { id: 'multi', appProcesses: 2 },
    store: { type: 'redis', redis: { port: redis.port, keyPrefix: 'apps-test:' } },
    auth: { realm: REALM, nonceSecret: 'cluster-secret', usersFile, algorithms: ['MD5'] },
  });
  const appProcesses = async (): Promise<AppProcessStatus[]> => {
    const res = await fetch(`http://127.0.0.1:${node.adminPort}/status`);
    return ((await res.json()) as { appProcesses: AppProcessStatus[] }).appProcesses;
  };

  await t.test('both apps are connected to the engine', async (t) => {
    t.equal(await node.metricValue('sipedge_drachtio_apps'), 2);
    const [child, ...more] = await appProcesses();
    t.equal(more.length, 0, 'one child process besides the node');
    t.ok(child?.alive && isRunning(child.pid), 'the child is running');
  });

  await t.test('digest registrations succeed whichever process answers each request', async (t) => {
    for (let i = 1; i <= USERS; i++) {
      const dev = await Device.connect({ port: node.sipPort, transport: 'tcp' }, `u${i}`);
      t.teardown(() => dev.close());
      // The 401 and the authenticated REGISTER go to the apps in turn: nonces and nonce counts must hold across.
      for (let round = 0; round < 2; round++) t.equal((await dev.registerWithAuth(`pw-${i}`)).res.status, 200, `u${i} round ${round + 1}`);
      t.equal((await node.bindings(`sip:u${i}@127.0.0.1`)).length, 1);
    }
    // /metrics sums both processes' counters (the next subtest shows each process saw only part of them).
    t.equal(await node.metricValue('sipedge_registrar_registers_total', { result: 'ok' }), 2 * USERS);
    t.equal(await node.metricValue('sipedge_requests_refused_total', { reason: 'challenged' }), 2 * USERS);
  });

  await t.test('a killed app process is restarted', async (t) => {
    const [before] = await appProcesses();
    const okBefore = await node.metricValue('sipedge_registrar_registers_total', { result: 'ok' });
    process.kill(before!.pid, 'SIGKILL');
    await until('a new app process', async () => {
      const [now] = await appProcesses();
      return now !== undefined && now.pid !== before!.pid && now.alive && (await node.metricValue('sipedge_drachtio_apps')) === 2;
    });
    // The killed process's counters went with it: it had answered part of the registrations above.
    const okAfter = await node.metricValue('sipedge_registrar_registers_total', { result: 'ok' });
    t.ok(okAfter < okBefore, `the child had served registrations (${okBefore} counted before, ${okAfter} after)`);
    const dev = await Device.connect({ port: node.sipPort, transport: 'tcp' }, 'u1');
    t.teardown(() => dev.close());
    t.equal((await dev.registerWithAuth('pw-1')).res.status, 200);
  });

  await t.test('stopping the node stops its app processes', async (t) => {
    const [child] = await appProcesses();
    await node.proc.stop();
    await until('the app process to exit', async () => !isRunning(child!.pid));
    t.pass('no app process left');
  });
});
