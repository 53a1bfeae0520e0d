// Call-server probing on a real gateway node: two SIPp UASes as call servers (one answering OPTIONS with 200, one
// with 503), their states in /status and /metrics, and a call server that stops answering going down.
import t from 'tap';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../helpers/paths.js';
import { startGateway, type GatewayNode } from '../../helpers/gateway.js';
import { startSippUas } from '../../helpers/sipp.js';

interface StatusBody {
  nodeId: string;
  callServers: Array<{ name: string; state: string; lastStatus?: number; lastError?: string; counts: { up: number; down: number; failed: number } }>;
}

async function status(gw: GatewayNode): Promise<StatusBody> {
  const res = await fetch(`http://127.0.0.1:${gw.adminPort}/status`);
  if (!res.ok) throw new Error(`/status answered ${res.status}`);
  return (await res.json()) as StatusBody;
}

/** Polls /status until `ok` holds (or fails after timeoutMs with the last body). */
async function waitForStatus(gw: GatewayNode, ok: (s: StatusBody) => boolean, timeoutMs: number): Promise<StatusBody> {
  const end = Date.now() + timeoutMs;
  let last: StatusBody | undefined;
  while (Date.now() < end) {
    last = await status(gw);
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`/status never matched: ${JSON.stringify(last)}`);
}

t.test('call servers probed with OPTIONS: up, down (503), down (no answer)', async (t) => {
  const good = await startSippUas(t, 'options-uas-ok.xml', 0, 'u1');
  const busy = await startSippUas(t, 'options-uas-503.xml', 0, 'u1');
  const goodName = `sip:127.0.0.1:${good.port};transport=udp;priority=10`;
  const busyName = `sip:127.0.0.1:${busy.port};transport=udp;priority=20`;
  const gw = await startGateway(t, {
    node: { id: 'cs-node' },
    auth: { enabled: false },
    callServers: { probeIntervalS: 1, probeTimeoutS: 1, servers: [goodName, busyName] },
  });

  const byName = (s: StatusBody, name: string) => s.callServers.find((c) => c.name === name);
  const s1 = await waitForStatus(gw, (s) => byName(s, goodName)?.state === 'up' && byName(s, busyName)?.state === 'down', 5000);
  t.equal(s1.nodeId, 'cs-node');
  t.equal(byName(s1, goodName)?.lastStatus, 200);
  t.equal(byName(s1, busyName)?.lastStatus, 503);

  t.equal(await gw.metricValue('sipedge_call_server_up', { server: goodName }), 1);
  t.equal(await gw.metricValue('sipedge_call_server_up', { server: busyName }), 0);
  t.ok((await gw.metricValue('sipedge_call_server_probes_total', { server: busyName, result: 'down' })) >= 1, 'probe counted as down');

  // Probing goes on every interval.
  const before = byName(s1, goodName)!.counts.up;
  await waitForStatus(gw, (s) => byName(s, goodName)!.counts.up >= before + 2, 5000);
  t.pass('the up server is probed every interval');

  // The good server stops answering: down after the probe timeout.
  await good.stop();
  const s2 = await waitForStatus(gw, (s) => byName(s, goodName)?.state === 'down', 6000);
  t.ok(byName(s2, goodName)!.counts.down >= 1);
  t.equal(await gw.metricValue('sipedge_call_server_up', { server: goodName }), 0);

  // Back on the same address: up again (failback: it is the preferred server once more).
  await startSippUas(t, 'options-uas-ok.xml', good.port, 'u1');
  await waitForStatus(gw, (s) => byName(s, goodName)?.state === 'up', 6000);
  t.pass('the server that came back is up again');

  // `sipedge status` prints the same.
  const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot(), 'dist/lib/cli/main.js'), 'status', '--admin', `http://127.0.0.1:${gw.adminPort}`]);
  const printed = JSON.parse(stdout) as StatusBody;
  t.equal(printed.nodeId, 'cs-node');
  t.same(printed.callServers.map((c) => c.name), [goodName, busyName]);
});
