// CDR frames (spec 10) from the embedded engine to a real drachtio-srf app: calls answered, cancelled and
// originated by the app, checked through srf's own cdr:* events; an app that routed no cdr:* verb gets none.
import t from 'tap';
import type Srf from 'drachtio-srf';
import { runSippUac, startSippUas } from '../../helpers/sipp.js';
import { connectApp, expectCallsOk, startTestEngine, waitUntil } from '../../helpers/drachtio-harness.js';
import { SDP } from '../../helpers/raw-requests.js';

/** The parts of srf's parsed SipMessage the assertions read. */
interface CdrMsg {
  method?: string;
  status?: number;
  get(name: string): string | undefined;
}

interface Cdr {
  type: 'attempt' | 'start' | 'stop';
  source: string;
  time: string;
  /** start: role; stop: reason; attempt: none. */
  extra: string | undefined;
  msg: CdrMsg;
}

type Handler = (...args: unknown[]) => void;

/** srf dispatches any cdr frame it receives through this table, route or not. */
interface SrfInternals {
  _app: { client: { cdrHandlers: Map<string, Handler> } };
}

const TIME = /^\d\d:\d\d:\d\d\.\d{6}$/;

function recorder(list: Cdr[]): { attempt: Handler; start: Handler; stop: Handler } {
  return {
    attempt: (source, time, msg) => list.push({ type: 'attempt', source: source as string, time: time as string, extra: undefined, msg: msg as CdrMsg }),
    start: (source, time, role, msg) => list.push({ type: 'start', source: source as string, time: time as string, extra: role as string, msg: msg as CdrMsg }),
    stop: (source, time, reason, msg) => list.push({ type: 'stop', source: source as string, time: time as string, extra: reason as string, msg: msg as CdrMsg }),
  };
}

/** One line per record, e.g. 'start|application|uas|200', to compare whole sequences. */
function summary(list: readonly Cdr[]): string[] {
  return list.map((c) => `${c.type}|${c.source}|${c.extra ?? ''}|${c.msg.method ?? c.msg.status ?? '?'}`);
}

function ofCall(list: readonly Cdr[], callId: string): Cdr[] {
  return list.filter((c) => c.msg.get('call-id') === callId);
}

/** Call-IDs in the order their first record arrived. */
function callIds(list: readonly Cdr[]): string[] {
  return [...new Set(list.map((c) => c.msg.get('call-id') ?? ''))];
}

t.test('CDRs for UAS and UAC calls', async (t) => {
  const engine = await startTestEngine(t);
  const cdrs: Cdr[] = [];
  const stray: Cdr[] = [];
  let invitesA = 0;
  let invitesB = 0;

  const answer = (srf: Srf, count: () => void) => (req: Srf.SrfRequest, res: Srf.SrfResponse): void => {
    count();
    if (req.uri.includes('ring')) {
      res.send(180); // rings until the caller gives up (CANCEL)
      return;
    }
    srf.createUAS(req, res, { localSdp: SDP }).catch(() => undefined);
  };

  const rec = recorder(cdrs);
  const appA = await connectApp(t, engine, (srf: Srf) => {
    const on = srf.on.bind(srf) as (event: string, fn: Handler) => void;
    on('cdr:attempt', rec.attempt);
    on('cdr:start', rec.start);
    on('cdr:stop', rec.stop);
    srf.invite(answer(srf, () => invitesA++));
  });
  // The second app takes INVITEs too (round-robin with A) but routes no cdr:* verb. Its handler table gets
  // recorders without the route, so a CDR wrongly sent to it would show up in `stray`.
  const appB = await connectApp(t, engine, (srf: Srf) => {
    srf.invite(answer(srf, () => invitesB++));
  });
  const strayRec = recorder(stray);
  const table = (appB as unknown as SrfInternals)._app.client.cdrHandlers;
  table.set('attempt', strayRec.attempt);
  table.set('start', strayRec.start);
  table.set('stop', strayRec.stop);

  await t.test('caller hangs up: attempt, start (uas), stop (normal-release)', async (t) => {
    cdrs.length = 0;
    const r = await runSippUac(t, { scenario: 'uac-call', port: engine.sipPort, transport: 'u1', calls: 2, rate: 10, timeoutS: 20, callDurationMs: 100 });
    expectCallsOk(t, r, 2, 'caller');
    await waitUntil(() => cdrs.filter((c) => c.type === 'stop').length === 2, 3000, 'two stop records');
    t.equal(invitesA, 1, 'app A answered one call');
    t.equal(invitesB, 1, 'app B answered the other');
    const ids = callIds(cdrs);
    t.equal(ids.length, 2, 'records for both calls went to app A');
    for (const id of ids) {
      const call = ofCall(cdrs, id);
      t.same(summary(call), ['attempt|network||INVITE', 'start|application|uas|200', 'stop|network|normal-release|BYE'], `call ${id}`);
      for (const c of call) t.match(c.time, TIME, `${c.type} time format`);
      t.match(call[0]!.msg.get('from') ?? '', /sipp/, 'attempt carries the caller INVITE');
      t.match(call[1]!.msg.get('content-type') ?? '', /application\/sdp/, 'start carries the app 200 with its SDP');
    }
  });

  await t.test('caller cancels: attempt, stop (call-canceled) with the CANCEL', async (t) => {
    cdrs.length = 0;
    const r = await runSippUac(t, { scenario: 'drachtio-uac-cancel', service: 'ring', port: engine.sipPort, transport: 'u1', calls: 1, timeoutS: 20 });
    expectCallsOk(t, r, 1, 'caller');
    await waitUntil(() => cdrs.some((c) => c.type === 'stop'), 3000, 'the stop record');
    t.same(summary(cdrs), ['attempt|network||INVITE', 'stop|network|call-canceled|CANCEL']);
  });

  await t.test('app calls out and hangs up: attempt, start (uac), stop (application)', async (t) => {
    cdrs.length = 0;
    const uas = await startSippUas(t, 'uas-answer', 0, 'u1', { calls: 1, timeoutS: 30 });
    const dialog = await appA.createUAC(`sip:callee@127.0.0.1:${uas.port}`, { localSdp: SDP });
    await new Promise<void>((resolve, reject) => dialog.destroy(undefined, (err) => (err ? reject(err) : resolve())));
    expectCallsOk(t, await uas.waitForResult(10_000), 1, 'SIPp UAS');
    await waitUntil(() => cdrs.some((c) => c.type === 'stop'), 3000, 'the stop record');
    t.same(summary(cdrs), ['attempt|application||INVITE', 'start|network|uac|200', 'stop|application|normal-release|BYE']);
    t.equal(cdrs[0]!.msg.get('call-id'), dialog.sip.callId, 'records are for the app call');
  });

  await t.test('app call refused: stop (call-rejected) with the final response', async (t) => {
    cdrs.length = 0;
    const uas = await startSippUas(t, 'drachtio-uas-503', 0, 'u1', { calls: 1, timeoutS: 30 });
    await t.rejects(appA.createUAC(`sip:callee@127.0.0.1:${uas.port}`, { localSdp: SDP }), 'createUAC fails');
    expectCallsOk(t, await uas.waitForResult(10_000), 1, 'SIPp UAS');
    await waitUntil(() => cdrs.some((c) => c.type === 'stop'), 3000, 'the stop record');
    t.same(summary(cdrs), ['attempt|application||INVITE', 'stop|network|call-rejected|503']);
  });

  t.same(stray, [], 'the app without cdr routes got no CDR');
});

t.test('CDRs for a proxied call: each branch attempt, finals on both sides', async (t) => {
  const engine = await startTestEngine(t);
  const cdrs: Cdr[] = [];
  const rec = recorder(cdrs);
  let targets: string[] = [];
  await connectApp(t, engine, (srf: Srf) => {
    const on = srf.on.bind(srf) as (event: string, fn: Handler) => void;
    on('cdr:attempt', rec.attempt);
    on('cdr:start', rec.start);
    on('cdr:stop', rec.stop);
    srf.invite((req) => {
      (req as unknown as { proxy(o: { destination: string[]; recordRoute: boolean; forking: string }): Promise<unknown> })
        .proxy({ destination: targets, recordRoute: true, forking: 'sequential' })
        .catch(() => undefined);
    });
  });
  const busy = await startSippUas(t, 'drachtio-uas-503', 0, 'u1', { calls: 1, timeoutS: 30 });
  const answer = await startSippUas(t, 'drachtio-uas-answer-rr', 0, 'u1', { calls: 1, timeoutS: 30 });
  targets = [`sip:callee@127.0.0.1:${busy.port}`, `sip:callee@127.0.0.1:${answer.port}`];
  const r = await runSippUac(t, { scenario: 'uac-call', port: engine.sipPort, transport: 'u1', calls: 1, timeoutS: 20, callDurationMs: 200 });
  expectCallsOk(t, r, 1, 'caller');
  await waitUntil(() => cdrs.some((c) => c.type === 'start' && c.extra === 'proxy-uas'), 3000, 'the proxy-uas start record');
  t.same(summary(cdrs), [
    'attempt|network||INVITE',
    'attempt|application||INVITE',
    'stop|network|call-rejected|503',
    'attempt|application||INVITE',
    'start|network|proxy-uac|200',
    'start|application|proxy-uas|200',
  ]);
  t.match(cdrs[1]!.msg.get('record-route') ?? '', /lr/, 'the branch attempt carries the forwarded copy (with our Record-Route)');
  t.equal(cdrs[1]!.msg.get('call-id'), cdrs[0]!.msg.get('call-id'), 'of the same call');
});
