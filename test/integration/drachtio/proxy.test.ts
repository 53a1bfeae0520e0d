// req.proxy() through the embedded engine: Record-Route keeps the engine in the dialog (the caller's BYE goes through
// it), and serial forking fails over from a 503 to the second target.
import t from 'tap';
import type Srf from 'drachtio-srf';
import { runSippUac, startSippUas, type SippTransport } from '../../helpers/sipp.js';
import { connectApp, expectCallsOk, startTestEngine } from '../../helpers/drachtio-harness.js';

/** srf's Request#proxy, missing from its bundled types. */
interface ProxyingRequest {
  proxy(opts: { destination: string | string[]; recordRoute?: boolean; forking?: 'sequential' | 'simultaneous' }): Promise<unknown>;
}

t.test('req.proxy with Record-Route and serial failover', async (t) => {
  const engine = await startTestEngine(t);
  let targets: string[] = [];
  const results: unknown[] = [];
  await connectApp(t, engine, (srf: Srf) => {
    srf.invite((req) => {
      (req as unknown as ProxyingRequest)
        .proxy({ destination: targets, recordRoute: true, forking: 'sequential' })
        .then((r) => results.push(r), (err: Error) => results.push(err));
    });
  });
  for (const transport of ['u1', 't1'] as SippTransport[]) {
    await t.test(`caller over ${transport}`, async (t) => {
      const busy = await startSippUas(t, 'drachtio-uas-503', 0, 'u1', { calls: 1, timeoutS: 30 });
      const answer = await startSippUas(t, 'drachtio-uas-answer-rr', 0, 'u1', { calls: 1, timeoutS: 30 });
      targets = [`sip:callee@127.0.0.1:${busy.port}`, `sip:callee@127.0.0.1:${answer.port}`];
      const r = await runSippUac(t, { scenario: 'uac-call', port: engine.sipPort, transport, calls: 1, timeoutS: 20, callDurationMs: 200 });
      expectCallsOk(t, r, 1, 'caller');
      expectCallsOk(t, await busy.waitForResult(10_000), 1, 'first target (503)');
      expectCallsOk(t, await answer.waitForResult(10_000), 1, 'second target (answers, sees Record-Route, gets the BYE)');
    });
  }
  t.equal(results.length, 2, 'each proxy operation finished');
  // The in-dialog ACK/BYE went through statelessly: nothing may be left waiting in the engine.
  t.equal(engine.embedded.engine.transactions.pendingServerTransactions, 0, 'no server transaction left pending');
});
