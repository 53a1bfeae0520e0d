// Digest authentication of REGISTER on real gateway nodes sharing a real redis-server: SIPp (MD5) and the
// stream client (SHA-256, TLS), wrong passwords, replayed nonce counts, stale nonces, and a nonce issued by
// one node answered to another.
import t from 'tap';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { addUser } from '../../../lib/auth/user-directory.js';
import { makeTestPki } from '../../helpers/certs.js';
import { authorizationFor, challengesOf, Device, startGateway } from '../../helpers/gateway.js';
import { startRedis } from '../../helpers/redis.js';
import { headerValue, headerValues } from '../../helpers/sip-message.js';
import { runSippUac } from '../../helpers/sipp.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const REALM = 'sipedge.test';

async function until(cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('digest authentication across two nodes on one Redis', async (t) => {
  const redis = await startRedis(t);
  const dir = makeTempDir(t, 'sipedge-auth-');
  const usersFile = join(dir, 'users.json');
  await addUser(usersFile, REALM, 'alice', 'alice-secret');
  await addUser(usersFile, REALM, 'bob', 'bob-secret');
  const pki = await makeTestPki(dir);
  const config = (nodeId: string, lifetimeS = 300) => ({
    node: { id: nodeId },
    store: { type: 'redis', redis: { port: redis.port, keyPrefix: 'auth-test:' } },
    auth: { realm: REALM, nonceSecret: 'cluster-secret', usersFile, algorithms: ['MD5', 'SHA-256'], nonceLifetimeS: lifetimeS },
    sip: { tls: { keyFile: pki.server.keyPath, certFile: pki.server.chainPath } },
  });
  const a = await startGateway(t, config('node-a'), { tls: true });
  const b = await startGateway(t, config('node-b'));

  await t.test('SIPp over TCP: challenge, then success with MD5', async (t) => {
    const before = await a.metricValue('sipedge_registrar_registers_total', { result: 'ok' });
    const r = await runSippUac(t, {
      scenario: 'register-auth-uac',
      port: a.sipPort,
      transport: 't1',
      calls: 1,
      injection: [['alice', '[authentication username=alice password=alice-secret]']],
    });
    t.equal(r.exitCode, 0, `SIPp registered (${r.errors})`);
    t.equal(await a.metricValue('sipedge_registrar_registers_total', { result: 'ok' }), before + 1);
    // SIPp closed its connection on exit, which ends the bindings that came over it.
    await until(async () => (await b.bindings('sip:alice@127.0.0.1')).length === 0);
    t.pass('the binding went with SIPp\'s connection');
  });

  await t.test('SHA-256 over TCP, and the challenge order follows config', async (t) => {
    const dev = await Device.connect({ port: a.sipPort, transport: 'tcp' }, 'bob');
    t.teardown(() => dev.close());
    const first = await dev.register();
    t.equal(first.status, 401);
    t.same(challengesOf(first).map((c) => c.algorithm), ['MD5', 'SHA-256']);
    t.ok(challengesOf(first).every((c) => c.realm === REALM && c.qop === 'auth'));
    const { res } = await dev.registerWithAuth('bob-secret', 'SHA-256');
    t.equal(res.status, 200);
    t.match(headerValue(res, 'contact') ?? '', /expires=\d+/);
  });

  await t.test('SHA-256 over TLS', async (t) => {
    const dev = await Device.connect({ port: a.tlsPort!, transport: 'tls', ca: pki.ca.certPem }, 'alice');
    t.teardown(() => dev.close());
    const { res } = await dev.registerWithAuth('alice-secret', 'SHA-256');
    t.equal(res.status, 200);
    const bs = await a.bindings('sip:alice@127.0.0.1');
    t.ok(bs.some((x) => x.transport === 'tls' && x.connectionId.startsWith('tls:')), 'TLS binding recorded');
  });

  await t.test('a wrong password is refused and counted', async (t) => {
    const before = await a.metricValue('sipedge_auth_events', { event: 'failures' });
    const dev = await Device.connect({ port: a.sipPort, transport: 'tcp' }, 'bob');
    t.teardown(() => dev.close());
    const { res } = await dev.registerWithAuth('wrong-password', 'MD5');
    t.ok(res.status === 401 || res.status === 403, `refused with ${res.status}`);
    t.equal(await a.metricValue('sipedge_auth_events', { event: 'failures' }), before + 1);
  });

  await t.test('a replayed nonce count is rejected', async (t) => {
    const dev = await Device.connect({ port: a.sipPort, transport: 'tcp' }, 'alice');
    t.teardown(() => dev.close());
    const { res, authorization } = await dev.registerWithAuth('alice-secret', 'MD5');
    t.equal(res.status, 200);
    const replay = await dev.register({ headers: [['Authorization', authorization!]] });
    t.not(replay.status, 200, 'the same nc twice never succeeds');
    t.ok(replay.status === 401 || replay.status === 403, `answered ${replay.status}`);
  });

  await t.test('a nonce issued by node A is accepted by node B', async (t) => {
    const onA = await Device.connect({ port: a.sipPort, transport: 'tcp' }, 'bob');
    const onB = await Device.connect({ port: b.sipPort, transport: 'tcp' }, 'bob');
    t.teardown(() => Promise.all([onA.close(), onB.close()]));
    const challenge = challengesOf(await onA.register())[0]!;
    const res = await onB.register({ headers: [['Authorization', authorizationFor(challenge, 'bob', 'bob-secret', 'REGISTER', 'sip:127.0.0.1')]] });
    t.equal(res.status, 200);
  });

  await t.test('an expired nonce gets stale=true and the retry succeeds', async (t) => {
    const c = await startGateway(t, config('node-c', 1));
    const dev = await Device.connect({ port: c.sipPort, transport: 'tcp' }, 'alice');
    t.teardown(() => dev.close());
    const old = challengesOf(await dev.register())[0]!;
    await new Promise((r) => setTimeout(r, 2200));
    const staleRes = await dev.register({ headers: [['Authorization', authorizationFor(old, 'alice', 'alice-secret', 'REGISTER', 'sip:127.0.0.1')]] });
    t.equal(staleRes.status, 401);
    const fresh = challengesOf(staleRes);
    t.ok(fresh.length > 0 && fresh.every((x) => x.stale), `stale=true on ${headerValues(staleRes, 'www-authenticate').join(' | ')}`);
    const ok = await dev.register({ headers: [['Authorization', authorizationFor(fresh[0]!, 'alice', 'alice-secret', 'REGISTER', 'sip:127.0.0.1')]] });
    t.equal(ok.status, 200);
  });

  await t.test('a hashed user name (RFC 7616 userhash) registers alice', async (t) => {
    const dev = await Device.connect({ port: a.sipPort, transport: 'tcp' }, 'alice');
    t.teardown(() => dev.close());
    const c = challengesOf(await dev.register()).find((x) => x.algorithm === 'SHA-256')!;
    const hashed = createHash('sha256').update(`alice:${c.realm}`).digest('hex');
    const authorization = authorizationFor(c, 'alice', 'alice-secret', 'REGISTER', 'sip:127.0.0.1').replace(
      'username="alice"',
      `username="${hashed}", userhash=true`,
    );
    t.match(authorization, /userhash=true/);
    const res = await dev.register({ headers: [['Authorization', authorization]] });
    t.equal(res.status, 200, 'registered under the hashed name');
  });

  await t.test('another user cannot register alice', async (t) => {
    const dev = await Device.connect({ port: a.sipPort, transport: 'tcp' }, 'alice');
    t.teardown(() => dev.close());
    const first = await dev.register();
    const c = challengesOf(first)[0]!;
    const res = await dev.register({ headers: [['Authorization', authorizationFor(c, 'bob', 'bob-secret', 'REGISTER', 'sip:127.0.0.1')]] });
    t.equal(res.status, 403);
  });
});
