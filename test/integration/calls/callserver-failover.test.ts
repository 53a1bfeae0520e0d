// Call-server failover for device calls on a real gateway node: a call server that does not answer at all is
// skipped after callServers.failoverTimeoutS; a call server found down by the OPTIONS probes is not tried; once
// it is up again new calls go back to it (failback). The call servers are SIPp UASes over TCP.
import t from 'tap';
import { join } from 'node:path';
import { addUser } from '../../../lib/auth/user-directory.js';
import { Device, startGateway, type GatewayNode } from '../../helpers/gateway.js';
import { ack, deviceSdp, inDialog, placeCall } from '../../helpers/device-calls.js';
import { freePort } from '../../helpers/ports.js';
import { startSippUas } from '../../helpers/sipp.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const REALM = 'calls.test';

async function until(what: string, cond: () => Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stateOf(gw: GatewayNode, name: string): Promise<string | undefined> {
  const res = await fetch(`http://127.0.0.1:${gw.adminPort}/status`);
  const body = (await res.json()) as { callServers: Array<{ name: string; state: string }> };
  return body.callServers.find((c) => c.name === name)?.state;
}

t.test('call-server failover and failback', async (t) => {
  const dir = makeTempDir(t, 'sipedge-failover-');
  const usersFile = join(dir, 'users.json');
  await addUser(usersFile, REALM, 'alice', 'alice-secret');
  const [p1, p2] = [await freePort('both'), await freePort('both')];
  const first = `sip:127.0.0.1:${p1};transport=tcp;priority=10`;
  const second = `sip:127.0.0.1:${p2};transport=tcp;priority=20`;
  const silent = await startSippUas(t, 'uas-silent.xml', p1, 't1', { autoAnswer: true });
  await startSippUas(t, 'uas-answer.xml', p2, 't1', { autoAnswer: true });
  const gw = await startGateway(t, {
    node: { id: 'failover' },
    auth: { realm: REALM, usersFile, algorithms: ['MD5'] },
    callServers: {
      probeIntervalS: 1,
      // Generous: a probe timing out under CPU load (tests run in parallel) would mark a live server down.
      probeTimeoutS: 3,
      failoverTimeoutS: 1,
      servers: [first, second],
      trustedSources: [`127.0.0.1:${p1}`, `127.0.0.1:${p2}`],
    },
  });
  const alice = await Device.connect({ port: gw.sipPort, transport: 'tcp' }, 'alice');
  t.teardown(() => alice.close());
  t.equal((await alice.registerWithAuth('alice-secret')).res.status, 200);
  await until('both call servers up', async () => (await stateOf(gw, first)) === 'up' && (await stateOf(gw, second)) === 'up');

  const call = async (port: number) => {
    const c = await placeCall(alice, { uri: 'sip:1000@127.0.0.1', password: 'alice-secret', sdp: deviceSdp(port, false) });
    if (c.final.status === 200) {
      await ack(alice, c);
      await inDialog(alice, c, 'BYE');
    }
    return c;
  };
  const invites = (name: string, result: string) => gw.metricValue('sipedge_call_server_invites_total', { server: name, result });

  await t.test('a call server that sends nothing is skipped after failoverTimeoutS', async (t) => {
    const started = Date.now();
    const c = await call(41000);
    t.equal(c.final.status, 200, 'answered by the second call server');
    const took = Date.now() - started;
    t.ok(took >= 900 && took < 5000, `failed over after ${took} ms`);
    t.equal(await invites(first, 'abandoned'), 1, 'the first was tried and abandoned');
    t.equal(await invites(second, 'answered'), 1);
  });

  await t.test('a call server the probes found down is not tried; failback once it is up', async (t) => {
    await silent.stop();
    // What this subtest needs is the first down and the second up, as the probes see them (a probe answer used to
    // be lost when it came in the same read as the request's echo; see lib/app/srf-request.ts).
    await until('first call server down, second up', async () => (await stateOf(gw, first)) === 'down' && (await stateOf(gw, second)) === 'up');
    const c = await call(41002);
    t.equal(c.final.status, 200, `answered (${c.final.status} ${c.final.reason})`);
    t.equal(await invites(first, 'abandoned'), 1, 'the down server was not tried again');
    t.equal(await invites(second, 'answered'), 2, 'the second took the call');

    const back = await startSippUas(t, 'uas-answer.xml', p1, 't1', { autoAnswer: true });
    await until('first call server up again', async () => (await stateOf(gw, first)) === 'up');
    const c2 = await call(41004);
    t.equal(c2.final.status, 200);
    t.equal(await invites(first, 'answered'), 1, 'failback: the preferred server took the new call');
    t.equal(await invites(second, 'answered'), 2);
    await back.stop();
  });
});
