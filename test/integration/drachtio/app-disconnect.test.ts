// An app that disconnects mid-call: the engine keeps no owner for its dialogs, so an in-dialog request gets 481.
import t from 'tap';
import { disconnectSrf } from '../../../lib/app/srf-connection.js';
import { runSippUac, type SippTransport } from '../../helpers/sipp.js';
import { connectApp, expectCallsOk, startTestEngine } from '../../helpers/drachtio-harness.js';
import { SDP } from '../../helpers/raw-requests.js';

t.test('dialogs of a disconnected app answer 481', async (t) => {
  for (const transport of ['u1', 't1'] as SippTransport[]) {
    await t.test(transport, async (t) => {
      const engine = await startTestEngine(t);
      await connectApp(t, engine, (srf) => {
        srf.invite((req, res) => {
          srf.createUAS(req, res, { localSdp: SDP }).then(
            () => setTimeout(() => disconnectSrf(srf), 100),
            () => undefined,
          );
        });
      });
      // The caller sends BYE 1.5 s after the ACK, well after the app left.
      const r = await runSippUac(t, { scenario: 'drachtio-uac-bye-481', port: engine.sipPort, transport, calls: 1, timeoutS: 20, callDurationMs: 1500 });
      expectCallsOk(t, r, 1, 'caller (BYE answered 481)');
    });
  }
});
