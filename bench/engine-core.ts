// Benchmark of the engine core (issue: foundation): OPTIONS transactions/s over UDP and TCP against the
// answering transaction user, RSS idle and under load, memory per idle TCP/TLS connection, and an overload
// run at twice the measured TCP capacity on one connection.
import { makeTestPki } from '../test/helpers/certs.js';
import { makeTempDir } from '../test/helpers/temp-dir.js';
import { startNode } from '../test/helpers/node-process.js';
import { runSippUac, type SippResult, type SippTransport } from '../test/helpers/sipp.js';
import { BenchHost } from './lib/host.js';
import { closeAll, openIdleConnections } from './lib/connections.js';
import { flood } from './lib/flood.js';
import { recoveredAt, startProbe } from './lib/probe.js';
import { rssKb, sampleRss } from './lib/rss.js';

export interface Row {
  what: string;
  value: string;
  target?: string;
}

const IDLE_CONNECTIONS = 5000;
const TARGET_RATE = 15000;

function rate(r: SippResult): number {
  return Math.round(r.successful / (r.durationMs / 1000));
}

async function gc(proc: { signal(s: NodeJS.Signals): void; waitForOutput(re: RegExp, ms: number, o?: { since?: number }): Promise<unknown>; outputCursor(): number }): Promise<void> {
  const since = proc.outputCursor();
  proc.signal('SIGUSR2');
  await proc.waitForOutput(/GC-DONE/, 5000, { since });
}

export async function benchEngineCore(log: (s: string) => void): Promise<Row[]> {
  const host = new BenchHost();
  const rows: Row[] = [];
  try {
    const dir = makeTempDir(host, 'sipedge-bench-');
    const { ca, server } = await makeTestPki(dir);
    const freshNode = async () => {
      const n = await startNode(host, {
        tls: true,
        nodeArgs: ['--expose-gc'],
        config: {
          log: { level: 'error' },
          sip: {
            limits: { maxConnections: 20000, maxConnectionsPerIp: 20000 },
            tls: { keyFile: server.keyPath, certFile: server.chainPath },
          },
        },
      });
      return { node: n, pid: n.proc.pid };
    };
    let { node, pid } = await freshNode();
    const stopNode = () => node.proc.stop();
    await new Promise((r) => setTimeout(r, 1000));
    await gc(node.proc);
    const idleRss = await rssKb(pid);
    rows.push({ what: 'engine RSS, idle', value: `${(idleRss / 1024).toFixed(1)} MB` });
    log(`idle RSS ${idleRss} kB`);

    const sipp = (transport: SippTransport, calls: number, extra: { rate?: number; limit?: number; rtt?: boolean; timeoutS?: number }) =>
      runSippUac(host, { scenario: 'options-uac', port: node.sipPort, transport, calls, timeoutS: extra.timeoutS ?? 60, extraArgs: ['-nd'], ...extra });

    // Memory per idle connection.
    for (const transport of ['tcp', 'tls'] as const) {
      const port = transport === 'tls' ? node.tlsPort! : node.sipPort;
      await gc(node.proc);
      const before = await rssKb(pid);
      const sockets = await openIdleConnections(IDLE_CONNECTIONS, port, transport, ca.certPem);
      await new Promise((r) => setTimeout(r, 2000));
      await gc(node.proc);
      const after = await rssKb(pid);
      const per = ((after - before) * 1024) / IDLE_CONNECTIONS;
      const open = await node.metricValue('sipedge_connections_open');
      log(`${transport}: ${IDLE_CONNECTIONS} idle connections (${open} open at the node): ${before} -> ${after} kB, ${per.toFixed(0)} B each`);
      rows.push({
        what: `memory per idle ${transport.toUpperCase()} connection (${IDLE_CONNECTIONS} open)`,
        value: `${(per / 1024).toFixed(1)} KB`,
        target: transport === 'tcp' ? '<= 10 KB' : '<= 40 KB',
      });
      await closeAll(sockets);
    }

    // Warm-up: let V8 optimise the hot path before measuring.
    await sipp('t1', 20000, { rate: 5000 });
    await sipp('u1', 10000, { rate: 5000 });

    // Capacity: closed loop (at most 200 outstanding), so the engine sets the pace.
    const capacity: Record<string, number> = {};
    for (const [name, transport] of [['TCP', 't1'], ['UDP', 'u1']] as const) {
      const sampler = sampleRss(pid);
      const r = await sipp(transport, 150000, { rate: 60000, limit: 200 });
      const { peakKb } = await sampler.stop();
      capacity[name] = rate(r);
      log(`${name} capacity ${capacity[name]}/s (${r.successful} ok, ${r.failed} failed), peak RSS ${peakKb} kB`);
      rows.push({
        what: `OPTIONS transactions/s over ${name}, SIPp closed loop (-l 200; SIPp-bound)`,
        value: `${capacity[name]}/s (${r.failed} failed); peak RSS ${(peakKb / 1024).toFixed(1)} MB`,
      });
    }

    // Latency at the target rate, open loop.
    for (const [name, transport] of [['TCP', 't1'], ['UDP', 'u1']] as const) {
      const probe = startProbe(node.sipPort, 10);
      const r = await sipp(transport, TARGET_RATE * 10, { rate: TARGET_RATE, rtt: true });
      const probeMs = (await probe.stop()).filter((p) => p.status === 200).map((p) => p.ms).sort((a, b) => a - b);
      const pct = (q: number) => probeMs[Math.min(probeMs.length - 1, Math.floor(probeMs.length * q))] ?? NaN;
      rows.push({
        what: `probe OPTIONS (own TCP connection, every 10 ms) during the ${name} run at ${TARGET_RATE}/s: p50 / p99 / max`,
        value: `${pct(0.5)} / ${pct(0.99)} / ${probeMs[probeMs.length - 1]} ms over ${probeMs.length} probes`,
        target: name === 'TCP' ? 'p99 < 20 ms' : undefined,
      });
      const rtt = r.rttMs;
      log(`${name} at ${TARGET_RATE}/s: ${r.successful} ok, ${r.failed} failed, p50 ${rtt?.p50} p99 ${rtt?.p99}`);
      rows.push({
        what: `OPTIONS at ${TARGET_RATE}/s over ${name} for 10 s (open loop): achieved, SIPp's p50 / p99`,
        value: `${rate(r)}/s, ${r.failed} failed; p50 ${rtt?.p50 ?? '?'} ms / p99 ${rtt?.p99 ?? '?'} ms`,
        target: name === 'TCP' ? 'p99 < 20 ms' : undefined,
      });
    }

    // The engine's own capacity on one TCP connection: SIPp (one core) saturates first, so a template flood from
    // this process offers far more than the engine can take, and the 200s per second are the engine's pace.
    await stopNode();
    ({ node, pid } = await freshNode());
    await sipp('t1', 20000, { rate: 5000 });
    const cap = await flood(node.sipPort, 150000, 10000);
    const capSteady = cap.okPerSecond.slice(2, 10).filter((x) => x !== undefined);
    const engineCapacity = Math.round(capSteady.reduce((a, b) => a + b, 0) / Math.max(1, capSteady.length));
    log(`engine capacity on one TCP connection (flood at 150000/s): ${engineCapacity}/s`);
    rows.push({
      what: 'OPTIONS transactions/s over one TCP connection, engine-bound (template flood offering 150,000/s)',
      value: `${engineCapacity}/s`,
      target: '>= 15,000/s',
    });

    // Overload: twice that capacity on one connection for 20 s, on a fresh node so its memory is its own.
    await stopNode();
    ({ node, pid } = await freshNode());
    await sipp('t1', 20000, { rate: 5000 });
    const overloadRate = 2 * engineCapacity;
    await new Promise((r) => setTimeout(r, 1000));
    const shedBefore = await node.metricValue('sipedge_overload_rejections_total');
    const probe = startProbe(node.sipPort);
    const sampler = sampleRss(pid);
    const f = await flood(node.sipPort, overloadRate, 20000);
    await new Promise((res) => setTimeout(res, 3000));
    const { peakKb } = await sampler.stop();
    const samples = await probe.stop();
    const back = recoveredAt(samples, f.stoppedAt);
    const shed = (await node.metricValue('sipedge_overload_rejections_total')) - shedBefore;
    const ok = f.byStatus['200'] ?? 0;
    const steady = f.okPerSecond.slice(2, 20).filter((x) => x !== undefined);
    const goodput = Math.round(steady.reduce((a, b) => a + b, 0) / Math.max(1, steady.length));
    const drainMs = f.lastResponseAt - f.stoppedAt;
    log(`overload at ${overloadRate}/s: sent ${f.sent} (${f.notSent} not sent: socket full), ${ok} x 200, ${f.byStatus['503'] ?? 0} x 503 (${shed} counted shed), goodput ${goodput}/s, peak RSS ${peakKb} kB, drain ${drainMs} ms, back to normal ${back === undefined ? 'never' : `${back - f.stoppedAt} ms`} after the flood stopped`);
    rows.push({
      what: `overload: ${overloadRate}/s offered (2x engine capacity) on one TCP connection for 20 s, fresh node`,
      value:
        `goodput ${goodput} x 200/s (seconds 2-20); ${ok} answered 200, ${f.byStatus['503'] ?? 0} answered 503 + Retry-After, ` +
        `${f.notSent} not accepted by the socket (node not reading); peak RSS ${(peakKb / 1024).toFixed(1)} MB; ` +
        `last response ${drainMs} ms after the flood stopped; back to normal (probe OPTIONS 200 under 20 ms for 1 s) ` +
        `${back === undefined ? 'not within 3 s' : `${Math.max(0, back - f.stoppedAt)} ms after the flood stopped`}`,
    });
  } finally {
    await host.close();
  }
  return rows;
}
