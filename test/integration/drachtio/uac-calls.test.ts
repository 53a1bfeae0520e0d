// srf.createUAC through the embedded engine to a SIPp UAS (UDP and TCP); the app hangs up.
import t from 'tap';
import { startSippUas, type SippTransport } from '../../helpers/sipp.js';
import { connectApp, delay, expectCallsOk, startTestEngine } from '../../helpers/drachtio-harness.js';
import { SDP } from '../../helpers/raw-requests.js';

t.test('createUAC to a SIPp UAS', async (t) => {
  const engine = await startTestEngine(t);
  const srf = await connectApp(t, engine);
  for (const transport of ['u1', 't1'] as SippTransport[]) {
    await t.test(transport, async (t) => {
      const uas = await startSippUas(t, 'uas-answer', 0, transport, { calls: 1, timeoutS: 30 });
      const param = transport === 't1' ? ';transport=tcp' : '';
      const dialog = await srf.createUAC(`sip:callee@127.0.0.1:${uas.port}${param}`, { localSdp: SDP });
      t.match(dialog.remote.sdp, /m=audio/, 'the answer SDP reached the app');
      t.ok(dialog.sip.callId, 'dialog has a Call-ID');
      await delay(100);
      await new Promise<void>((resolve, reject) => dialog.destroy(undefined, (err) => (err ? reject(err) : resolve())));
      const r = await uas.waitForResult(10_000);
      expectCallsOk(t, r, 1, 'SIPp UAS');
    });
  }
});
