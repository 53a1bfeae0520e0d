// drachtio-fn-b2b-sugar simring through the embedded engine: two SIPp UASes ring, the second answers, the first
// gets CANCEL; the caller's BYE ends both legs.
import t from 'tap';
import { simring } from 'drachtio-fn-b2b-sugar';
import { runSippUac, startSippUas } from '../../helpers/sipp.js';
import { connectApp, expectCallsOk, startTestEngine } from '../../helpers/drachtio-harness.js';

t.test('simring: the second target answers', async (t) => {
  const engine = await startTestEngine(t);
  const ringing = await startSippUas(t, 'drachtio-uas-ring-cancel', 0, 'u1', { calls: 1, timeoutS: 30 });
  const answering = await startSippUas(t, 'drachtio-uas-answer-late', 0, 'u1', { calls: 1, timeoutS: 30 });
  const uris = [`sip:first@127.0.0.1:${ringing.port}`, `sip:second@127.0.0.1:${answering.port}`];
  let answeredBy = '';
  await connectApp(t, engine, (srf) => {
    srf.invite((req, res) => {
      simring(req, res, uris, { localSdpB: req.body }).then(
        ({ uas, uac }) => {
          answeredBy = uac.remote.uri;
          uas.on('destroy', () => uac.destroy());
          uac.on('destroy', () => uas.destroy());
        },
        () => undefined,
      );
    });
  });
  const r = await runSippUac(t, { scenario: 'uac-call', port: engine.sipPort, calls: 1, timeoutS: 20, callDurationMs: 200 });
  expectCallsOk(t, r, 1, 'caller');
  expectCallsOk(t, await ringing.waitForResult(10_000), 1, 'first target (CANCELled)');
  expectCallsOk(t, await answering.waitForResult(10_000), 1, 'second target (answered)');
  t.match(answeredBy, /127\.0\.0\.1/, `the answering leg's remote URI (${answeredBy})`);
});
