// srf.createB2BUA between a SIPp UAC and a SIPp UAS through the embedded engine: a plain call (UDP and TCP caller),
// CANCEL before the answer, a re-INVITE relayed end to end, and a reliable 183 (100rel + PRACK) on both legs.
import t, { type Test } from 'tap';
import type Srf from 'drachtio-srf';
import { runSippUac, startSippUas, type SippTransport } from '../../helpers/sipp.js';
import { connectApp, expectCallsOk, startTestEngine, waitUntil } from '../../helpers/drachtio-harness.js';

interface Leg {
  target: string;
  opts: Srf.CreateB2BUAOptions;
}

t.test('createB2BUA', async (t) => {
  const engine = await startTestEngine(t);
  // Each subtest points the app at its own SIPp UAS.
  const leg: Leg = { target: '', opts: {} };
  const outcomes: string[] = [];
  await connectApp(t, engine, (srf) => {
    srf.invite((req, res) => {
      srf.createB2BUA(req, res, leg.target, { localSdpB: req.body, ...leg.opts }).then(
        ({ uas, uac }) => {
          outcomes.push('connected');
          uas.on('destroy', () => uac.destroy());
          uac.on('destroy', () => uas.destroy());
          uas.on('modify', (mreq: Srf.SrfRequest, mres: Srf.SrfResponse) => {
            uac.modify(mreq.body).then(
              (sdp) => mres.send(200, { body: sdp }),
              () => mres.send(500),
            );
          });
        },
        (err: { status?: number }) => outcomes.push(`failed ${err.status ?? String(err)}`),
      );
    });
  });

  const call = async (
    t: Test,
    uacScenario: string,
    uasScenario: string,
    transport: SippTransport = 'u1',
  ) => {
    const uas = await startSippUas(t, uasScenario, 0, 'u1', { calls: 1, timeoutS: 30 });
    leg.target = `sip:callee@127.0.0.1:${uas.port}`;
    const r = await runSippUac(t, { scenario: uacScenario, port: engine.sipPort, transport, calls: 1, timeoutS: 20, callDurationMs: 200 });
    expectCallsOk(t, r, 1, 'SIPp UAC (A leg)');
    expectCallsOk(t, await uas.waitForResult(10_000), 1, 'SIPp UAS (B leg)');
  };

  await t.test('call over UDP', (t) => call(t, 'uac-call', 'uas-answer'));
  await t.test('call with a TCP caller', (t) => call(t, 'uac-call', 'uas-answer', 't1'));
  await t.test('CANCEL before answer', async (t) => {
    const before = outcomes.length;
    await call(t, 'drachtio-uac-cancel', 'drachtio-uas-ring-cancel');
    // SIPp may finish before the app has processed the CANCEL frame: wait for the app's outcome.
    await waitUntil(() => outcomes.length > before, 3000, 'the createB2BUA outcome');
    t.equal(outcomes.at(-1), 'failed 487', 'createB2BUA rejected with 487');
  });
  await t.test('re-INVITE relayed to the B leg', (t) => call(t, 'drachtio-uac-reinvite', 'drachtio-uas-reinvite'));
  await t.test('183 with 100rel and PRACK on both legs', async (t) => {
    leg.opts = {
      headers: { Supported: '100rel' },
      // Ask srf to send the A-leg 183 reliably too (srf looks for a lower-case `require` header to track PRACKs).
      responseHeaders: (uacRes) => ((uacRes as unknown as Srf.SrfResponse).has('RSeq') ? { require: '100rel' } : ({} as Record<string, string>)),
    };
    t.teardown(() => {
      leg.opts = {};
    });
    await call(t, 'drachtio-uac-100rel', 'drachtio-uas-100rel');
  });
});
