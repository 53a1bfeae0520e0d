// Benchmark of the drachtio layer (issue: wire protocol): REGISTER/s answered by a drachtio-srf app and B2BUA calls/s
// (createB2BUA, INVITE/200/ACK/BYE) over TCP, on the embedded engine run as `sipedge engine` (what any srf app
// would connect to), the app in its own process, SIPp as callers and callee.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../test/helpers/paths.js';
import { freePort } from '../test/helpers/ports.js';
import { startProcess } from '../test/helpers/processes.js';
import { runSippUac, startSippUas, type SippResult } from '../test/helpers/sipp.js';
import { makeTempDir } from '../test/helpers/temp-dir.js';
import type { Row } from './engine-core.js';
import { BenchHost } from './lib/host.js';
import { sampleRss } from './lib/rss.js';

const SECRET = 'bench-secret';
/** Calls last this long between ACK and BYE (a hang-up within 200 ms of the answer is held back: see ua-context.ts). */
const CALL_MS = 1000;

function achieved(r: SippResult): number {
  return Math.round(r.successful / (r.durationMs / 1000));
}

function rtt(r: SippResult, rtd = 1): string {
  const s = r.rttByRtd?.[rtd] ?? (rtd === 1 ? r.rttMs : undefined);
  return s ? `p50 ${s.p50} ms / p99 ${s.p99} ms` : 'n/a';
}

export async function benchDrachtio(log: (s: string) => void): Promise<Row[]> {
  const host = new BenchHost();
  const rows: Row[] = [];
  try {
    const dir = makeTempDir(host, 'sipedge-bench-drachtio-');
    const sipPort = await freePort('both');
    const controlPort = await freePort('tcp');
    const cfg = join(dir, 'engine.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        log: { level: 'info' },
        admin: { port: 0 },
        sip: { udp: { port: sipPort }, tcp: { port: sipPort }, limits: { maxConnectionsPerIp: 20000 } },
        drachtio: { port: controlPort, secret: SECRET },
      }),
    );
    const engine = startProcess(host, process.execPath, [join(repoRoot(), 'bin', 'sipedge.js'), 'engine', '--config', cfg]);
    await engine.waitForOutput(/"msg":"sipedge engine started"/, 20000);
    const uas = await startSippUas(host, 'uas-answer', 0, 't1', { timeoutS: 600 });
    const app = startProcess(host, process.execPath, [
      join(repoRoot(), 'dist', 'test', 'fixtures', 'srf-bench-app.js'),
      String(controlPort),
      SECRET,
      `sip:callee@127.0.0.1:${uas.port};transport=tcp`,
    ]);
    await app.waitForOutput(/READY/, 20000);
    const sipp = (scenario: string, calls: number, extra: { rate: number; limit?: number; rtt?: boolean; callDurationMs?: number }) =>
      // A call shed with 503 (overload) is not in the scenario: it fails after 10 s instead of holding the run.
      runSippUac(host, { scenario, port: sipPort, transport: 't1', calls, timeoutS: 120, recvTimeoutMs: 10_000, extraArgs: ['-nd'], ...extra });

    // Warm-up.
    await sipp('register-uac', 10000, { rate: 2000 });
    await sipp('uac-call', 2000, { rate: 200 });

    // Response times at the target rates (open loop) first, on a warmed-up but unsaturated node.
    let r = await sipp('register-uac', 60000, { rate: 6000, rtt: true });
    log(`REGISTER at 6000/s: ${achieved(r)}/s, ${r.failed} failed, ${rtt(r)}`);
    rows.push({
      what: 'REGISTER at 6,000/s for 10 s (open loop), SIPp response time',
      value: `${achieved(r)}/s, ${r.failed} failed; ${rtt(r)}`,
      target: 'p99 < 50 ms',
    });

    r = await sipp('uac-call', 8000, { rate: 800, rtt: true, callDurationMs: CALL_MS });
    log(`B2BUA at 800/s: ${achieved(r)}/s, ${r.failed} failed, setup ${rtt(r, 1)}, BYE ${rtt(r, 2)}`);
    rows.push({
      what: `B2BUA calls at 800/s for 10 s (open loop, ${CALL_MS} ms calls): INVITE->200 and BYE->200 through both legs`,
      value: `${achieved(r)} calls/s, ${r.failed} failed; setup ${rtt(r, 1)}; BYE ${rtt(r, 2)}`,
      target: 'p99 < 50 ms',
    });

    // Capacity (closed loop) last: a saturating run leaves 32 s of timer-M state and a grown heap behind.
    let sampler = sampleRss(engine.pid);
    r = await sipp('register-uac', 60000, { rate: 30000, limit: 200 });
    let mem = await sampler.stop();
    log(`REGISTER closed loop: ${achieved(r)}/s, ${r.failed} failed, engine peak RSS ${mem.peakKb} kB`);
    rows.push({
      what: 'REGISTER/s answered by a drachtio-srf app (app process + `sipedge engine` process), one TCP connection, SIPp closed loop -l 200',
      value: `${achieved(r)}/s (${r.failed} failed); engine peak RSS ${(mem.peakKb / 1024).toFixed(1)} MB`,
      target: '>= 6,000/s',
    });
    // B2BUA calls: INVITE/200/ACK/BYE through createB2BUA to a SIPp UAS, both legs TCP.
    sampler = sampleRss(engine.pid);
    r = await sipp('uac-call', 15000, { rate: 5000, limit: 2000, callDurationMs: CALL_MS });
    mem = await sampler.stop();
    log(`B2BUA closed loop: ${achieved(r)} calls/s, ${r.failed} failed, engine peak RSS ${mem.peakKb} kB`);
    rows.push({
      what: `B2BUA calls/s (createB2BUA, INVITE/200/ACK/${CALL_MS} ms/BYE, TCP both legs), SIPp closed loop -l 2000`,
      value: `${achieved(r)} calls/s (${r.failed} failed); engine peak RSS ${(mem.peakKb / 1024).toFixed(1)} MB`,
      target: '>= 800/s',
    });
  } finally {
    await host.close();
  }
  return rows;
}
