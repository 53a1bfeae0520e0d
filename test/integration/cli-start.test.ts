// `sipedge start` (what `npm start` runs): the node starts from a config file (embedded engine + app over the drachtio
// control channel, on a free port here), answers OPTIONS probes with 200 (the app does),
// serves /metrics and /health, and stops cleanly on SIGTERM.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { startProcess } from '../helpers/processes.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { connect } from '../helpers/sip-tls-client.js';

t.test('the CLI runs a node that answers OPTIONS', async (t) => {
  const dir = makeTempDir(t, 'sipedge-cli-');
  const cfg = join(dir, 'node.json');
  writeFileSync(cfg, JSON.stringify({ node: { id: 'cli-test' }, admin: { port: 0 }, sip: { udp: { port: 0 }, tcp: { port: 0 } }, drachtio: { port: 0 } }));
  const proc = startProcess(t, process.execPath, [join(repoRoot(), 'bin', 'sipedge.js'), 'start', '--config', cfg]);
  const m = await proc.waitForOutput(/"msg":"sipedge node started"/, 15000);
  const line = proc.stdout().split('\n').find((l) => l.includes('"msg":"sipedge node started"'))!;
  t.ok(m, 'started');
  const started = JSON.parse(line) as { node: string; tcp: { port: number }; admin: { port: number } };
  t.equal(started.node, 'cli-test', 'the config file was used');
  const c = await connect({ port: started.tcp.port, transport: 'tcp' });
  t.teardown(() => c.close());
  const res = await c.request((ctx) =>
    [
      'OPTIONS sip:127.0.0.1 SIP/2.0',
      `Via: SIP/2.0/TCP ${ctx.sentBy};branch=z9hG4bKcli1`,
      'Max-Forwards: 70',
      'From: <sip:probe@127.0.0.1>;tag=c1',
      'To: <sip:127.0.0.1>',
      'Call-ID: cli-1',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
  t.equal(res.status, 200, 'OPTIONS answered 200');
  const health = await fetch(`http://127.0.0.1:${started.admin.port}/health`);
  t.equal(health.status, 200);
  const metrics = await (await fetch(`http://127.0.0.1:${started.admin.port}/metrics`)).text();
  t.match(metrics, /sipedge_sip_messages_total\{direction="in",transport="tcp",kind="request",method="OPTIONS"\} 1/);
  proc.signal('SIGTERM');
  const exit = await proc.waitForExit(10000);
  t.equal(exit.code, 0, 'clean exit on SIGTERM');
  t.match(proc.stdout(), /"msg":"sipedge node stopped"/);
});
