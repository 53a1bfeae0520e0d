// Out-of-dialog requests through the embedded engine's drachtio control channel to drachtio-srf apps:
// OPTIONS answered by the sipedge app (UDP, TCP, TLS), REGISTER answered by an app, 503 for a method no app routed.
import t from 'tap';
import { pino } from 'pino';
import { SipedgeApp } from '../../../lib/app/sipedge-app.js';
import { methodRouting } from '../../../lib/app/srf-routing.js';
import { makeTestPki } from '../../helpers/certs.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { runSippUac, type SippTransport } from '../../helpers/sipp.js';
import { connect } from '../../helpers/sip-tls-client.js';
import { connectApp, startTestEngine } from '../../helpers/drachtio-harness.js';
import { rawRequest } from '../../helpers/raw-requests.js';

t.test('OPTIONS are answered 200 by the sipedge app over UDP, TCP and TLS', async (t) => {
  const dir = makeTempDir(t, 'sipedge-drachtio-opt-');
  const { ca, server } = await makeTestPki(dir);
  const engine = await startTestEngine(t, { tls: { keyFile: server.keyPath, certFile: server.chainPath } });
  const app = new SipedgeApp({ drachtio: engine.control, logger: pino({ level: 'silent' }) });
  const connected = await app.start();
  t.teardown(() => app.stop());
  t.ok(connected.hostports.includes(`udp/127.0.0.1:${engine.sipPort}`), `hostports advertised: ${connected.hostports.join(',')}`);
  t.match(connected.serverVersion, /^v\d+\.\d+\.\d+/);

  for (const transport of ['u1', 't1'] as SippTransport[]) {
    await t.test(`SIPp ${transport}`, async (t) => {
      const r = await runSippUac(t, { scenario: 'options-uac', port: engine.sipPort, transport, calls: 20, rate: 100, timeoutS: 20 });
      t.equal(r.exitCode, 0, `sipp exit code (${r.errors.slice(-500)})`);
      t.equal(r.successful, 20);
    });
  }
  await t.test('TLS', async (t) => {
    const c = await connect({ port: engine.tlsPort!, transport: 'tls', ca: ca.certPem });
    t.teardown(() => c.close());
    const res = await c.request(rawRequest('OPTIONS'), { timeoutMs: 5000 });
    t.equal(res.status, 200);
  });
});

t.test('REGISTER answered by an app', async (t) => {
  // The engine's warnings are kept: answering a UDP REGISTER must not touch the request its completed transaction
  // has already released (that used to log "sip command failed" for every UDP REGISTER).
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  const engine = await startTestEngine(t, { logger });
  let seen = 0;
  await connectApp(t, engine, (srf) => {
    methodRouting(srf).register((req, res) => {
      seen++;
      res.send(200, { headers: { Contact: `${req.get('Contact')};expires=3600` } });
    });
  });
  for (const transport of ['u1', 't1'] as SippTransport[]) {
    await t.test(`SIPp ${transport}`, async (t) => {
      const r = await runSippUac(t, { scenario: 'register-uac', port: engine.sipPort, transport, calls: 10, rate: 50, timeoutS: 20 });
      t.equal(r.exitCode, 0, `sipp exit code (${r.errors.slice(-500)})`);
      t.equal(r.successful, 10);
    });
  }
  t.equal(seen, 20, 'the app saw every REGISTER');
  t.same(warnings, [], 'the engine logged no warning');
});

t.test('a method no app routed gets 503', async (t) => {
  const engine = await startTestEngine(t);
  const c = await connect({ port: engine.sipPort, transport: 'tcp' });
  t.teardown(() => c.close());
  const before = await c.request(rawRequest('OPTIONS'), { timeoutMs: 5000 });
  t.equal(before.status, 503, 'no app connected at all');
  await connectApp(t, engine, (srf) => methodRouting(srf).options((_req, res) => res.send(200)));
  const options = await c.request(rawRequest('OPTIONS'), { timeoutMs: 5000 });
  t.equal(options.status, 200, 'a routed method reaches the app');
  const message = await c.request(rawRequest('MESSAGE', { body: 'hi' }), { timeoutMs: 5000 });
  t.equal(message.status, 503, 'MESSAGE was not routed by any app');
});
