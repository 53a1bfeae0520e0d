// Calls from the call server to registered devices through a real gateway node: a user with two registered SIPp
// devices is rung on both, the one that answers gets the call and the other a CANCEL; a user with no binding
// gets 480 within a second. Devices register over UDP with SIPp (digest) and then take calls on the same port.
import t from 'tap';
import { join } from 'node:path';
import { addUser } from '../../../lib/auth/user-directory.js';
import { startGateway } from '../../helpers/gateway.js';
import { freePort } from '../../helpers/ports.js';
import { runSippUac, startSippUas } from '../../helpers/sipp.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const REALM = 'calls.test';

t.test('call server to devices', async (t) => {
  const dir = makeTempDir(t, 'sipedge-calls-in-');
  const usersFile = join(dir, 'users.json');
  await addUser(usersFile, REALM, 'bob', 'bob-secret');
  const pbxPort = await freePort('both');
  const gw = await startGateway(t, {
    node: { id: 'calls-in' },
    auth: { realm: REALM, usersFile, algorithms: ['MD5'] },
    callServers: { probeIntervalS: 3600, servers: [`sip:127.0.0.1:${pbxPort};transport=udp`], trustedSources: [`127.0.0.1:${pbxPort}`] },
  });

  // Two devices of bob, each registering from its own UDP port and then listening there.
  const devicePorts = [await freePort('both'), await freePort('both')];
  for (const port of devicePorts) {
    const reg = await runSippUac(t, {
      scenario: 'register-auth-uac',
      port: gw.sipPort,
      transport: 'u1',
      localPort: port,
      calls: 1,
      injection: [['bob', '[authentication username=bob password=bob-secret]']],
    });
    t.equal(reg.exitCode, 0, `device on port ${port} registered (${reg.errors})`);
  }
  t.equal((await gw.bindings('sip:bob@127.0.0.1')).length, 2, 'bob has two bindings');

  await t.test('both devices ring; the one that answers gets the call, the other is cancelled', async (t) => {
    const answering = await startSippUas(t, 'uas-answer.xml', devicePorts[0], 'u1', { calls: 1 });
    const ringing = await startSippUas(t, 'proxy-uas-ring-cancel.xml', devicePorts[1], 'u1', { calls: 1 });
    const call = await runSippUac(t, { scenario: 'uac-call', port: gw.sipPort, transport: 'u1', localPort: pbxPort, service: 'bob', calls: 1, callDurationMs: 200 });
    t.equal(call.exitCode, 0, `the call server's call was answered and ended (${call.errors})`);
    const a = await answering.waitForResult(10_000);
    t.equal(a.successful, 1, `the answering device had the whole call (${a.errors})`);
    const r = await ringing.waitForResult(10_000);
    t.equal(r.successful, 1, `the other device was rung and then cancelled (${r.errors})`);
    t.equal(await gw.metricValue('sipedge_calls_total', { direction: 'callserver-to-device', result: 'answered' }), 1);
    t.equal(await gw.metricValue('sipedge_calls_active'), 0, 'the call is over on the gateway too');
  });

  await t.test('a user with no binding gets 480 within a second', async (t) => {
    const call = await runSippUac(t, { scenario: 'uac-invite-480', port: gw.sipPort, transport: 'u1', localPort: pbxPort, service: 'nobody', calls: 1, rtt: true });
    t.equal(call.exitCode, 0, `480 received (${call.errors})`);
    const ms = call.rttMs?.max ?? Number.POSITIVE_INFINITY;
    t.ok(ms < 1000, `480 after ${ms} ms`);
  });

  await t.test('a device (not the call server) cannot call in as the call server', async (t) => {
    // Same scenario from another port: it is a device, and an unauthenticated INVITE is challenged, not routed.
    const call = await runSippUac(t, { scenario: 'uac-invite-480', port: gw.sipPort, transport: 'u1', service: 'bob', calls: 1, timeoutS: 5 });
    t.not(call.exitCode, 0, 'not routed as the call server');
    t.match(call.errors + call.output, /407/, 'challenged with 407');
  });
});
