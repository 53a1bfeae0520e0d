// `sipedge engine`: the embedded engine and its drachtio control channel alone, like a drachtio-server; any
// drachtio-srf app connects to it and answers SIP.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Srf from 'drachtio-srf';
import { pino } from 'pino';
import { connectSrf, disconnectSrf } from '../../../lib/app/srf-connection.js';
import { methodRouting } from '../../../lib/app/srf-routing.js';
import { repoRoot } from '../../helpers/paths.js';
import { freePort } from '../../helpers/ports.js';
import { startProcess } from '../../helpers/processes.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { connect } from '../../helpers/sip-tls-client.js';
import { rawRequest } from '../../helpers/raw-requests.js';

t.test('sipedge engine serves a drachtio-srf app', async (t) => {
  const dir = makeTempDir(t, 'sipedge-engine-cli-');
  const cfg = join(dir, 'engine.json');
  const controlPort = await freePort('tcp');
  writeFileSync(
    cfg,
    JSON.stringify({
      node: { id: 'engine-test' },
      admin: { port: 0 },
      sip: { udp: { port: 0 }, tcp: { port: 0 } },
      drachtio: { port: controlPort, secret: 's3cret' },
    }),
  );
  const proc = startProcess(t, process.execPath, [join(repoRoot(), 'bin', 'sipedge.js'), 'engine', '--config', cfg]);
  await proc.waitForOutput(/"msg":"sipedge engine started"/, 15000);
  const line = proc.stdout().split('\n').find((l) => l.includes('"msg":"sipedge engine started"'))!;
  const started = JSON.parse(line) as { tcp: { port: number }; drachtio: { port: number } };
  t.equal(started.drachtio.port, controlPort, 'control channel on the configured port');

  const c = await connect({ port: started.tcp.port, transport: 'tcp' });
  t.teardown(() => c.close());
  t.equal((await c.request(rawRequest('OPTIONS'), { timeoutMs: 5000 })).status, 503, 'no app yet: 503');

  const wrong = new Srf();
  await t.rejects(connectSrf(wrong, { host: '127.0.0.1', port: controlPort, secret: 'nope' }, pino({ level: 'silent' }), 5000), /refused/);

  const srf = new Srf();
  methodRouting(srf).options((_req, res) => res.send(200, { headers: { 'X-Answered-By': 'test-app' } }));
  const info = await connectSrf(srf, { host: '127.0.0.1', port: controlPort, secret: 's3cret' }, pino({ level: 'silent' }), 5000);
  t.teardown(() => disconnectSrf(srf));
  t.ok(info.hostports.includes(`tcp/127.0.0.1:${started.tcp.port}`), `hostports ${info.hostports.join(',')}`);
  const res = await c.request(rawRequest('OPTIONS'), { timeoutMs: 5000 });
  t.equal(res.status, 200, 'the app answered');
  t.match(res.raw, /X-Answered-By: test-app/i);

  disconnectSrf(srf);
  proc.signal('SIGTERM');
  const exit = await proc.waitForExit(10000);
  t.equal(exit.code, 0, 'clean exit on SIGTERM');
});
