// INVITEs answered by a drachtio-srf app with srf.createUAS through the embedded engine, then hung up by either side,
// over UDP and TCP (SIPp) and TLS (stream client).
import t from 'tap';
import type Srf from 'drachtio-srf';
import { makeTestPki } from '../../helpers/certs.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { runSippUac, type SippTransport } from '../../helpers/sipp.js';
import { connect } from '../../helpers/sip-tls-client.js';
import { headerValue } from '../../helpers/sip-message.js';
import { connectApp, expectCallsOk, startTestEngine, waitUntil } from '../../helpers/drachtio-harness.js';
import { rawRequest, SDP } from '../../helpers/raw-requests.js';

t.test('createUAS: caller or app hangs up', async (t) => {
  const dir = makeTempDir(t, 'sipedge-drachtio-uas-');
  const { ca, server } = await makeTestPki(dir);
  const engine = await startTestEngine(t, { tls: { keyFile: server.keyPath, certFile: server.chainPath } });
  let destroyedByCaller = 0;
  await connectApp(t, engine, (srf: Srf) => {
    srf.invite((req, res) => {
      srf.createUAS(req, res, { localSdp: SDP }).then(
        (dialog) => {
          // The called user says who hangs up.
          if (req.uri.includes('app-hangs-up')) setTimeout(() => dialog.destroy(), 200);
          else dialog.on('destroy', () => destroyedByCaller++);
        },
        () => undefined,
      );
    });
  });

  for (const transport of ['u1', 't1'] as SippTransport[]) {
    await t.test(`caller hangs up (${transport})`, async (t) => {
      const before = destroyedByCaller;
      const r = await runSippUac(t, { scenario: 'uac-call', port: engine.sipPort, transport, calls: 3, rate: 10, timeoutS: 20, callDurationMs: 100 });
      expectCallsOk(t, r, 3, 'caller');
      await waitUntil(() => destroyedByCaller - before === 3, 3000, 'the app to see the BYEs');
      t.equal(destroyedByCaller - before, 3, 'the app saw each dialog end');
    });
    await t.test(`app hangs up (${transport})`, async (t) => {
      const r = await runSippUac(t, { scenario: 'drachtio-uac-wait-bye', service: 'app-hangs-up', port: engine.sipPort, transport, calls: 3, rate: 10, timeoutS: 20 });
      expectCallsOk(t, r, 3, 'caller');
    });
  }

  await t.test('over TLS', async (t) => {
    const c = await connect({ port: engine.tlsPort!, transport: 'tls', ca: ca.certPem });
    t.teardown(() => c.close());
    const callId = `tls-${Date.now()}@test`;
    const fromTag = 'tlsfrom1';
    const ok = await c.request(rawRequest('INVITE', { callId, fromTag, body: SDP }), { timeoutMs: 5000 });
    t.equal(ok.status, 200, 'INVITE answered');
    t.match(ok.body, /m=audio/, 'with the app SDP');
    const to = headerValue(ok, 'to')!;
    t.match(to, /;tag=/, 'To has a tag');
    const contact = /<([^>]+)>/.exec(headerValue(ok, 'contact') ?? '')?.[1] ?? 'sip:127.0.0.1';
    c.sendRaw(rawRequest('ACK', { uri: contact, callId, fromTag, to, cseq: 1 })(c.context));
    const bye = await c.request(rawRequest('BYE', { uri: contact, callId, fromTag, to, cseq: 2 }), { timeoutMs: 5000 });
    t.equal(bye.status, 200, 'BYE answered');
  });
});
