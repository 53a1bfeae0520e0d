// Benchmark of calls through the gateway (issue: calls/s with media): INVITE/200/ACK/BYE with SDP from registered
// devices to a call server, over TCP, on a node run as `sipedge start`, with media anchored through a real
// rtpengine-daemon (userspace, 127.0.0.1) and with media bypass (devices on a local network, not behind NAT).
// SIPp plays the devices (one TCP connection) and the call server; everything shares the same cores.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import rtpengineClient, { type NgReply } from 'rtpengine-client';
import { rtpengineArgs } from '../lib/media/rtpengine-launcher.js';
import { nodeStartFlags } from '../test/helpers/node-flags.js';
import { repoRoot } from '../test/helpers/paths.js';
import { freePort } from '../test/helpers/ports.js';
import { startProcess, type ManagedProcess } from '../test/helpers/processes.js';
import { runSippUac, startSippUas, type SippResult, type SippUas } from '../test/helpers/sipp.js';
import { makeTempDir } from '../test/helpers/temp-dir.js';
import type { Row } from './engine-core.js';
import { BenchHost } from './lib/host.js';
import { writeBenchUsers } from './lib/users.js';
import { sumMetric } from '../test/helpers/metrics-text.js';
import { sampleRss } from './lib/rss.js';

const { Client } = rtpengineClient;
const HOST = '127.0.0.1';
const USERS = 100;
const REALM = 'bench.sipedge';
/** Calls last this long between ACK and BYE (a BYE within 200 ms of the answer is held back: see ua-context.ts). */
const CALL_MS = 1000;
/**
 * rtpengine's media ports for the bench: 4 per anchored call (RTP+RTCP on each leg), so 10,000 ports hold 2,500
 * concurrent calls. Below the kernel's ephemeral range (32768+) and the test helper's blocks (24000-31999).
 */
const MEDIA_PORT_MIN = 10000;
const MEDIA_PORT_MAX = 19999;
/** -l of the capacity runs: bounds the calls (and so the INVITEs waiting in the node) in flight. */
const CAPACITY_LIMIT = 500;

function achieved(r: SippResult): number {
  return Math.round(r.successful / (r.durationMs / 1000));
}

function rtt(r: SippResult, rtd: number): string {
  const s = r.rttByRtd?.[rtd];
  return s ? `p50 ${s.p50} ms / p99 ${s.p99} ms` : 'n/a';
}

function p99(r: SippResult, rtd: number): number {
  return r.rttByRtd?.[rtd]?.p99 ?? Number.POSITIVE_INFINITY;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


interface Rtpengine {
  ngPort: number;
  proc: ManagedProcess;
  sessions(): Promise<string[]>;
}

/** rtpengine-daemon with the node launcher's arguments and the bench's own (larger) media port range. */
async function startBenchRtpengine(host: BenchHost): Promise<Rtpengine> {
  const ngPort = await freePort('udp');
  const client = new Client({ timeout: 1000, localAddress: HOST });
  client.on('error', () => undefined);
  host.teardown(() => client.close());
  const ng = (command: 'ping' | 'list', params: Record<string, unknown> = {}): Promise<NgReply> =>
    client[command]({ host: HOST, port: ngPort }, params);
  // The node launcher's own arguments (warning log level included: at info level rtpengine writes several lines per
  // ng command).
  const args = rtpengineArgs(
    {
      launch: { enabled: true, binary: 'rtpengine', interface: HOST, ngPort },
      portMin: MEDIA_PORT_MIN,
      portMax: MEDIA_PORT_MAX,
      dscp: 46,
    },
  );
  const proc = startProcess(host, 'rtpengine', args, { debianPackage: 'rtpengine-daemon', stopGraceMs: 2000 });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitInfo) throw new Error(`rtpengine exited (code ${proc.exitInfo.code}) during start-up:\n${proc.output().slice(-2000)}`);
    if (await ng('ping').then((r) => r.result === 'pong', () => false)) break;
    if (Date.now() > deadline) throw new Error(`rtpengine did not answer an ng ping on ${HOST}:${ngPort}`);
    await sleep(50);
  }
  return {
    ngPort,
    proc,
    async sessions() {
      // Large lists: ask for more than the default 32 entries.
      const reply = await ng('list', { limit: 100000 });
      if (reply.result !== 'ok' || !Array.isArray(reply.calls)) throw new Error(`ng list failed: ${JSON.stringify(reply)}`);
      return reply.calls as string[];
    },
  };
}

/** Waits (up to `ms`) until rtpengine holds no session; returns how many are left. */
async function sessionsLeft(rtp: Rtpengine, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const n = (await rtp.sessions()).length;
    if (n === 0 || Date.now() > deadline) return n;
    await sleep(500);
  }
}

/** Sum of a Prometheus metric's samples on the node's admin port whose labels contain every given label=value. */
async function metricValue(adminPort: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sumMetric(await (await fetch(`http://${HOST}:${adminPort}/metrics`)).text(), name, labels);
}

interface Mode {
  name: 'anchored' | 'bypass' | 'anchored-digest';
  /** Open-loop rate of the latency run (the target). */
  rate: number;
  capacityTarget: string;
  /** -m of the capacity run (about 8 s at the target); no capacity run without it. */
  capacityCalls?: number;
  /** INVITEs are challenged too (407, answered by SIPp with the user's credentials). */
  inviteDigest?: boolean;
}

/** The node's warn/error log lines, counted by message (the first 100 characters of message and error). */
function nodeWarnings(node: ManagedProcess): string {
  const counts = new Map<string, number>();
  for (const line of node.output().split('\n')) {
    if (!/"level":(40|50|60)/.test(line)) continue;
    let key = line.slice(0, 100);
    try {
      const j = JSON.parse(line) as { msg?: string; err?: { message?: string } | string };
      const err = typeof j.err === 'string' ? j.err : (j.err?.message ?? '');
      key = `${j.msg ?? ''}${err ? `: ${err.replace(/z9hG4bK\S*/g, '<branch>').replace(/\s+/g, ' ').slice(0, 100)}` : ''}`;
    } catch {
      // not JSON: keep the raw start
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n} x "${k}"`).join('; ');
}

async function benchMode(
  host: BenchHost,
  dir: string,
  mode: Mode,
  usersFile: string,
  injection: Array<[string, string]>,
  rtp: Rtpengine,
  uas: SippUas,
  log: (s: string) => void,
): Promise<Row[]> {
  const rows: Row[] = [];
  const sipPort = await freePort('both');
  const cfg = join(dir, `node-${mode.name}.json`);
  writeFileSync(
    cfg,
    JSON.stringify({
      node: { id: `bench-${mode.name}` },
      log: { level: 'info' },
      admin: { port: 0 },
      sip: {
        udp: { port: sipPort },
        tcp: { port: sipPort },
        limits: { maxConnectionsPerIp: 20000 },
      },
      drachtio: { port: await freePort('tcp') },
      // Devices authenticate their REGISTERs only: INVITEs are not challenged (a registered caller is required).
      auth: {
        realm: REALM,
        usersFile,
        // SIPp 3.6 answers MD5 challenges only.
        algorithms: ['MD5'],
        nonceSecret: 'bench-secret',
        methods: mode.inviteDigest ? ['REGISTER', 'INVITE'] : ['REGISTER'],
        throttle: { maxFailures: 1000 },
      },
      callServers: {
        servers: [`sip:${HOST}:${uas.port};transport=tcp`],
        probeIntervalS: 0,
        trustedSources: [`${HOST}:${uas.port}`],
      },
      media: {
        rtpengines: [`${HOST}:${rtp.ngPort}`],
        ...(mode.name === 'bypass' ? { localNetworks: ['127.0.0.0/8'] } : {}),
      },
    }),
  );
  // As `npm start` runs a node, with its V8 flags; SIPEDGE_BENCH_NODE_ARGS adds flags for the node under test (e.g.
  // "--cpu-prof --cpu-prof-dir=/tmp/prof").
  const extraArgs = (process.env['SIPEDGE_BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const nodeArgs = [...nodeStartFlags(), ...extraArgs];
  const node = startProcess(host, process.execPath, [...nodeArgs, join(repoRoot(), 'bin', 'sipedge.js'), 'start', '--config', cfg]);
  const started = await node.waitForOutput(/^(\{.*"msg":"sipedge node started".*\})$/m, 20000);
  const adminPort = (JSON.parse(started[1]!) as { admin?: { port: number } }).admin?.port ?? 0;
  try {
    // Register every device over UDP (bindings stay after SIPp exits; calls from unregistered callers get 403).
    const reg = await runSippUac(host, {
      scenario: 'register-auth-uac',
      port: sipPort,
      transport: 'u1',
      calls: USERS,
      rate: 200,
      injection,
      timeoutS: 30,
      extraArgs: ['-nd'],
    });
    if (reg.successful !== USERS) throw new Error(`${mode.name}: registered ${reg.successful}/${USERS} users (${reg.failed} failed):\n${reg.errors.slice(-1500)}`);
    const bindings = (await (await fetch(`http://${HOST}:${adminPort}/bindings?aor=${encodeURIComponent(`sip:u1@${HOST}`)}`)).json()) as unknown[];
    if (!Array.isArray(bindings) || bindings.length !== 1) throw new Error(`${mode.name}: /bindings for u1: ${JSON.stringify(bindings)}`);
    log(`${mode.name}: ${USERS} users registered; sip:u1@${HOST} has ${bindings.length} binding`);

    const label = mode.inviteDigest ? 'anchored, INVITE digest' : mode.name;
    const callRows = mode.inviteDigest ? injection : injection.map(([user]) => [user]);
    const sipp = (calls: number, extra: { rate: number; limit?: number; rtt?: boolean; callDurationMs?: number }) =>
      // A call refused or shed (403/488/503) is not in the scenario: it fails after 10 s instead of holding the run.
      runSippUac(host, {
        scenario: mode.inviteDigest ? 'bench-calls-uac-auth' : 'bench-calls-uac',
        port: sipPort,
        transport: 't1',
        service: '1000',
        calls,
        injection: callRows,
        callDurationMs: CALL_MS,
        timeoutS: 120,
        recvTimeoutMs: 10_000,
        extraArgs: ['-nd'],
        ...extra,
      });
    const offers = () => metricValue(adminPort, 'sipedge_rtpengine_commands_total', { command: 'offer' });
    const check = async (r: SippResult, what: string): Promise<{ left: number; offered: number }> => {
      if (r.failed > 0) log(`${mode.name} ${what}: ${r.failed} failed calls; SIPp errors: ${r.errors.slice(-600).replace(/\s+/g, ' ')}`);
      const left = await sessionsLeft(rtp, 10_000);
      const active = await metricValue(adminPort, 'sipedge_calls_active');
      log(`${mode.name} ${what}: rtpengine sessions left ${left}, node active calls ${active}`);
      return { left, offered: await offers() };
    };

    // Warm-up below capacity.
    let before = await offers();
    let r = await sipp(mode.rate * 2, { rate: Math.round(mode.rate / 2) });
    let c = await check(r, 'warm-up');
    log(`${mode.name} warm-up: ${achieved(r)} calls/s, ${r.failed} failed, ${c.offered - before} rtpengine offers`);

    // Latency at the target rate (open loop), on a warmed-up, unsaturated node.
    before = c.offered;
    r = await sipp(mode.rate * 8, { rate: mode.rate, rtt: true });
    c = await check(r, 'latency run');
    const anchoredOffers = c.offered - before;
    log(`${mode.name} at ${mode.rate}/s: ${achieved(r)} calls/s, ${r.failed} failed, setup ${rtt(r, 1)}, BYE ${rtt(r, 2)}, ${anchoredOffers} rtpengine offers, ${c.left} sessions left`);
    const setup = mode.inviteDigest ? 'INVITE->407->INVITE->200 (setup)' : 'INVITE->200 (setup)';
    rows.push({
      what: `${label}: calls at ${mode.rate.toLocaleString('en')}/s for 8 s (open loop, ${CALL_MS} ms calls, TCP both legs): ${setup} and BYE->200`,
      value: `${achieved(r)} calls/s, ${r.failed} failed; setup ${rtt(r, 1)}; BYE ${rtt(r, 2)}; ${anchoredOffers} rtpengine offers; ${c.left} rtpengine sessions left`,
      target: `setup p99 < 100 ms (${p99(r, 1) < 100 ? 'met' : 'not met'})`,
    });

    if (mode.capacityCalls === undefined) return rows;

    // Capacity (closed loop) last: a saturating run leaves a backlog and a grown heap behind. Calls hang up at once
    // (the BYE is still handed to the app ~200 ms after the answer), and -l bounds the INVITEs queued in the node.
    await sleep(2000);
    before = c.offered;
    const sampler = sampleRss(node.pid);
    r = await sipp(mode.capacityCalls, { rate: 2000, limit: CAPACITY_LIMIT, callDurationMs: 0 });
    const mem = await sampler.stop();
    c = await check(r, 'capacity run');
    const n = achieved(r);
    log(`${mode.name} closed loop: ${n} calls/s, ${r.failed} failed, node peak RSS ${mem.peakKb} kB, ${c.offered - before} rtpengine offers, ${c.left} sessions left`);
    rows.push({
      what: `${mode.name}: calls/s (INVITE/200/ACK/BYE at once, TCP both legs), SIPp closed loop -r 2000 -l ${CAPACITY_LIMIT}, ${mode.capacityCalls.toLocaleString('en')} calls`,
      value: `${n} calls/s (${r.failed} failed); node peak RSS ${(mem.peakKb / 1024).toFixed(1)} MB; ${c.offered - before} rtpengine offers; ${c.left} rtpengine sessions left`,
      target: `${mode.capacityTarget} (${n >= mode.rate ? 'met' : 'not met'})`,
    });
  } finally {
    const warnings = nodeWarnings(node);
    if (warnings) log(`${mode.name}: node warnings/errors: ${warnings}`);
    await node.stop();
  }
  return rows;
}

export async function benchCalls(log: (s: string) => void): Promise<Row[]> {
  const host = new BenchHost();
  const rows: Row[] = [];
  try {
    const dir = makeTempDir(host, 'sipedge-bench-calls-');
    const usersFile = join(dir, 'users.json');
    const injection = writeBenchUsers(usersFile, USERS, REALM);
    const rtp = await startBenchRtpengine(host);
    const uas = await startSippUas(host, 'uas-answer', 0, 't1', { timeoutS: 900 });
    // SIPEDGE_BENCH_CALLS_MODES: a comma-separated subset of the modes (profiling one of them).
    const only = process.env['SIPEDGE_BENCH_CALLS_MODES']?.split(',');
    const modes: Mode[] = [
      { name: 'anchored', rate: 500, capacityTarget: '>= 500/s', capacityCalls: 4000 },
      { name: 'bypass', rate: 1000, capacityTarget: '>= 1,000/s', capacityCalls: 8000 },
      { name: 'anchored-digest', rate: 500, capacityTarget: '', inviteDigest: true },
    ];
    for (const mode of modes) {
      if (only === undefined || only.includes(mode.name)) rows.push(...(await benchMode(host, dir, mode, usersFile, injection, rtp, uas, log)));
    }
    const left = (await rtp.sessions()).length;
    log(`rtpengine sessions after all runs: ${left}`);
    rows.push({ what: 'rtpengine sessions left after all runs (ng list)', value: String(left), target: '0' });
  } finally {
    await host.close();
  }
  return rows;
}
