// Regression: a caller that hangs up the moment its ACK is out (no pause between ACK and BYE) must leave no dialog
// behind in the engine. The BYE then races the app's handling of the A-leg 2xx/ACK, and the B-leg BYE races the
// B-leg dialog's creation; under load some dialogs used to stay in the store forever.
import t from 'tap';
import { runSippUac, startSippUas } from '../../helpers/sipp.js';
import { connectApp, expectCallsOk, startTestEngine, waitUntil } from '../../helpers/drachtio-harness.js';

const CALLS = 300;

t.test('B2BUA calls hung up right after the ACK leave no dialog', async (t) => {
  const engine = await startTestEngine(t);
  const uas = await startSippUas(t, 'uas-answer', 0, 't1', { calls: CALLS, timeoutS: 120 });
  const target = `sip:callee@127.0.0.1:${uas.port};transport=tcp`;
  await connectApp(t, engine, (srf) => {
    // The same app as test/fixtures/srf-bench-app.ts: each leg's end tears down the other one.
    srf.invite((req, res) => {
      srf.createB2BUA(req, res, target, { localSdpB: req.body }).then(
        ({ uas: a, uac: b }) => {
          a.on('destroy', () => b.destroy());
          b.on('destroy', () => a.destroy());
        },
        () => undefined,
      );
    });
  });

  const r = await runSippUac(t, { scenario: 'uac-call', port: engine.sipPort, transport: 't1', calls: CALLS, rate: 150, timeoutS: 60 });
  expectCallsOk(t, r, CALLS, 'SIPp UAC (A leg)');
  const server = engine.embedded.server;
  try {
    await waitUntil(() => server.stats.dialogs === 0, 5000, 'the dialog store to drain');
  } catch {
    // fall through: the assertion below reports how many stayed
  }
  t.equal(server.stats.dialogs, 0, 'no dialog left in the engine');
  t.equal(server.stats.pending, 0, 'no request left pending');
  t.equal(server.stats.uacRequests, 0, 'no UAC request left');
  // Every B leg was hung up too (SIPp exits by itself after its last BYE).
  expectCallsOk(t, await uas.waitForResult(10_000), CALLS, 'SIPp UAS (B leg)');
});
