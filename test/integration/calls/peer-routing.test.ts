// A call for a device registered on another node goes through that node: two gateway nodes share one Redis;
// alice registers on node A; the call server calls node B, which finds A's binding and forwards the INVITE to A
// (cluster.peers), and A rings alice over her own TCP connection. Over UDP, A trusts B's listening address; over
// TCP, B connects from an ephemeral port and A trusts it by default as a configured peer host.
import t from 'tap';
import { Device, startGateway } from '../../helpers/gateway.js';
import { deviceSdp, takeCalls } from '../../helpers/device-calls.js';
import { freePort } from '../../helpers/ports.js';
import { startRedis } from '../../helpers/redis.js';
import { runSippUac } from '../../helpers/sipp.js';

for (const peerTransport of ['udp', 'tcp'] as const) t.test(`call server to a device on a peer node (peers over ${peerTransport})`, async (t) => {
  const redis = await startRedis(t);
  const store = { type: 'redis', redis: { port: redis.port, keyPrefix: 'peer-test:' } };
  const [portA, pbxPort] = [await freePort('both'), await freePort('both')];
  const b = await startGateway(t, {
    node: { id: 'node-b' },
    auth: { enabled: false },
    store,
    cluster: { peers: [`node-a=sip:127.0.0.1:${portA};transport=${peerTransport}`] },
    callServers: { probeIntervalS: 0, servers: [`sip:127.0.0.1:${pbxPort};transport=udp`], trustedSources: [`127.0.0.1:${pbxPort}`] },
  });
  const a = await startGateway(t, {
    node: { id: 'node-a' },
    auth: { enabled: false },
    store,
    sip: { udp: { port: portA }, tcp: { port: portA } },
    ...(peerTransport === 'udp'
      ? // Node A trusts node B's UDP listening address, which B sends from.
        { callServers: { probeIntervalS: 0, trustedSources: [`127.0.0.1:${b.sipPort}`] } }
      : // No trustedSources: node B's host is trusted as a peer in cluster.peers.
        { callServers: { probeIntervalS: 0 }, cluster: { peers: [`node-b=sip:127.0.0.1:${b.sipPort};transport=tcp`] } }),
  });
  const alice = await Device.connect({ port: portA, transport: 'tcp' }, 'alice');
  t.teardown(() => alice.close());
  t.equal((await alice.register()).status, 200, 'alice registered on node A');
  const seenByB = await b.bindings('sip:alice@127.0.0.1');
  t.equal(seenByB[0]?.nodeId, 'node-a', 'node B sees the binding, owned by node A');

  const taken = takeCalls(alice, { answer: true, sdp: deviceSdp(40200, false) });
  const r = await runSippUac(t, { scenario: 'uac-call', port: b.sipPort, transport: 'u1', localPort: pbxPort, service: 'alice', calls: 1, callDurationMs: 200 });
  t.equal(r.exitCode, 0, `the call server's call to node B was answered by alice on node A (${r.errors})`);
  t.equal(taken.calls.length, 1, 'alice was rung once, over her connection to node A');
  // The call server's BYE is answered by node B at once; the BYE to alice follows through node A.
  for (let i = 0; i < 50 && taken.byes.length === 0; i++) await new Promise((res) => setTimeout(res, 100));
  t.equal(taken.byes.length, 1, 'and got the BYE');
  t.equal(await b.metricValue('sipedge_calls_total', { direction: 'callserver-to-device', result: 'answered' }), 1, 'node B bridged the call');
  t.equal(await a.metricValue('sipedge_calls_total', { direction: 'callserver-to-device', result: 'answered' }), 1, 'node A bridged it to alice');
});
