// Running SIPp as a UAC (to completion) or a UAS (in the background) on loopback.
// SIPp runs in the foreground without stdin so that its PID is ours to stop (no -bg).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireBinary } from './binaries.js';
import { scenarioPath } from './paths.js';
import { freePort, isPortFree, waitForListening } from './ports.js';
import { startProcess, type ExitInfo, type ManagedProcess, type TeardownHost } from './processes.js';
import {
  countsFromStats,
  parseRttCsv,
  parseScreenCounts,
  parseSippVersion,
  parseStatCsv,
  percentilesFromRepartition,
  summarize,
  type BucketPercentiles,
  type RttSummary,
} from './sipp-results.js';
import { makeTempDir } from './temp-dir.js';

/** u1/t1: one socket for all calls; un/tn: one socket (connection) per call. */
export type SippTransport = 'u1' | 'un' | 't1' | 'tn';

const LOOPBACK = '127.0.0.1';

export interface SippCommonOptions {
  transport?: SippTransport;
  /** -p: SIPp's own SIP port (a free one by default for a UAS; random for a UAC). */
  localPort?: number;
  /** -s: user part of the request URI ([service]). */
  service?: string;
  /**
   * Rows for -inf ([field0], [field1], ...), or a ready CSV file. A scenario that uses [fieldN]
   * gets rows user1..userN (N = calls) when this is not given.
   */
  injection?: ReadonlyArray<readonly string[]> | { file: string };
  /** Write every SIP message to messages.log in the log dir (slow; for debugging). */
  traceMessages?: boolean;
  /** Directory for SIPp's files (a temp dir removed at teardown by default). */
  logDir?: string;
  /** -max_socket for un/tn (default 1000; must stay below the open-files limit). */
  maxSocket?: number;
  extraArgs?: readonly string[];
}

export interface SippUacOptions extends SippCommonOptions {
  /** Scenario path, or a name in test/scenarios. */
  scenario: string;
  host?: string;
  port: number;
  /** -m: stop after this many calls. */
  calls: number;
  /** -r: calls per rate period. */
  rate?: number;
  /** -rp in ms (default 1000). */
  ratePeriodMs?: number;
  /** -l: maximum simultaneous calls. */
  limit?: number;
  /** -d: length of <pause/> without its own duration. */
  callDurationMs?: number;
  /** -timeout: SIPp gives up (and fails) after this long. Always set; default 30 s. */
  timeoutS?: number;
  /** -recv_timeout per expected message, ms. */
  recvTimeoutMs?: number;
  /** Record every response time (-trace_rtt -rtt_freq 1) and report percentiles. */
  rtt?: boolean;
  /**
   * With rtt: the percentiles cover only what was traced from this time of the run on (ms); the earlier part,
   * a warm-up at the same rate, is reported apart (rttWarmUpByRtd).
   */
  rttFromMs?: number;
}

export interface SippResult {
  /** 0: all calls succeeded; 1: some failed; 97/99: internal/no calls; 255/254: fatal error. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  successful: number;
  failed: number;
  durationMs: number;
  /** Response time 1 (per scenario's start_rtd/rtd) from -trace_rtt, when requested. */
  rttMs?: RttSummary;
  /** Every response-time number traced, by rtd number (from rttFromMs on, when given). */
  rttByRtd?: Record<number, RttSummary>;
  /** With rttFromMs: the response times traced before it. */
  rttWarmUpByRtd?: Record<number, RttSummary>;
  /** Coarse percentiles from the ResponseTimeRepartition1 buckets (always, if the scenario defines them). */
  rttBucketsMs?: BucketPercentiles;
  /** Last row of the statistics CSV. */
  stats: Record<string, string>;
  args: readonly string[];
  /** SIPp's stdout+stderr (bounded). */
  output: string;
  /** Tail of the unexpected-message log, if any. */
  errors: string;
  logDir: string;
}

export interface SippVersion {
  version: string;
  features: string[];
  tls: boolean;
}

let versionCache: Promise<SippVersion> | null = null;

/** Version and build features of the installed SIPp (Debian 12: 3.6.1 without TLS). */
export function sippVersion(): Promise<SippVersion> {
  versionCache ??= (async () => {
    const bin = requireBinary('sipp');
    // sipp -v exits non-zero on some versions; its text is what matters.
    const text = await promisify(execFile)(bin, ['-v'], { timeout: 10_000 }).then(
      (r) => r.stdout + r.stderr,
      (e: { stdout?: string; stderr?: string }) => (e.stdout ?? '') + (e.stderr ?? ''),
    );
    const parsed = parseSippVersion(text);
    if (!parsed) throw new Error(`cannot read SIPp version from: ${text.slice(0, 200)}`);
    return { ...parsed, tls: parsed.features.includes('TLS') };
  })();
  return versionCache;
}

function resolveScenario(name: string): string {
  const path = name.includes('/') ? name : scenarioPath(name);
  if (!existsSync(path)) throw new Error(`SIPp scenario not found: ${path}`);
  return path;
}

/** A UDP port p with p+2 also free: SIPp binds its audio (p) and video (p+2) echo sockets. */
async function freeMediaPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = await freePort('udp');
    if (p + 2 < 65536 && (await isPortFree(p + 2, 'udp'))) return p;
  }
  throw new Error('no free media port pair for SIPp');
}

function writeInjection(dir: string, rows: ReadonlyArray<readonly string[]>): string {
  const file = join(dir, 'injection.csv');
  writeFileSync(file, ['SEQUENTIAL', ...rows.map((r) => r.join(';'))].join('\n') + '\n');
  return file;
}

async function commonArgs(
  dir: string,
  scenario: string,
  opts: SippCommonOptions,
  defaultRows: number,
): Promise<string[]> {
  const transport = opts.transport ?? 'u1';
  const args = [
    '-sf', scenario,
    '-t', transport,
    '-i', LOOPBACK,
    '-mi', LOOPBACK,
    '-bind_local',
    // Control and media sockets default to fixed ports (8888, 6000): pick free ones so
    // parallel runs do not collide, and keep the control socket on loopback.
    '-ci', LOOPBACK,
    '-cp', String(await freePort('udp')),
    '-mp', String(await freeMediaPort()),
    '-nostdin',
    '-trace_stat', '-stf', join(dir, 'stat.csv'), '-fd', '1',
    '-trace_err', '-error_file', join(dir, 'errors.log'),
  ];
  if (opts.localPort !== undefined) args.push('-p', String(opts.localPort));
  if (transport === 'un' || transport === 'tn') args.push('-max_socket', String(opts.maxSocket ?? 1000));
  if (opts.service !== undefined) args.push('-s', opts.service);
  if (opts.traceMessages) args.push('-trace_msg', '-message_file', join(dir, 'messages.log'));
  const injection = opts.injection;
  if (injection && 'file' in injection) args.push('-inf', injection.file);
  else if (injection) args.push('-inf', writeInjection(dir, injection));
  else if (/\[field\d+\]/.test(readFileSync(scenario, 'utf8'))) {
    const rows = Array.from({ length: Math.max(1, defaultRows) }, (_, i) => [`user${i + 1}`]);
    args.push('-inf', writeInjection(dir, rows));
  }
  args.push(...(opts.extraArgs ?? []));
  return args;
}

function readIfExists(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function summariesByRtd(byRtd: Map<number, number[]>): Record<number, RttSummary> {
  const summaries: Record<number, RttSummary> = {};
  for (const [rtd, values] of byRtd) {
    const s = summarize(values);
    if (s) summaries[rtd] = s;
  }
  return summaries;
}

function collectResult(
  proc: ManagedProcess,
  exit: ExitInfo,
  args: readonly string[],
  dir: string,
  durationMs: number,
  opts: { rttFromMs?: number } = {},
): SippResult {
  const stats = parseStatCsv(readIfExists(join(dir, 'stat.csv')));
  const counts = countsFromStats(stats) ?? parseScreenCounts(proc.output()) ?? { successful: 0, failed: 0 };
  const result: SippResult = {
    exitCode: exit.code,
    signal: exit.signal,
    ...counts,
    durationMs,
    stats,
    args,
    output: proc.output(),
    errors: readIfExists(join(dir, 'errors.log')).slice(-4000),
    logDir: dir,
  };
  const buckets = percentilesFromRepartition(stats, 1);
  if (buckets) result.rttBucketsMs = buckets;
  // -trace_rtt names its file <scenario>_<pid>_rtt.csv in the working directory.
  const rttFile = readdirSync(dir).find((f) => f.endsWith(`_${proc.pid}_rtt.csv`));
  if (rttFile) {
    const text = readFileSync(join(dir, rttFile), 'utf8');
    const summaries = summariesByRtd(parseRttCsv(text, { from: opts.rttFromMs }));
    result.rttByRtd = summaries;
    if (summaries[1]) result.rttMs = summaries[1];
    if (opts.rttFromMs !== undefined) result.rttWarmUpByRtd = summariesByRtd(parseRttCsv(text, { to: opts.rttFromMs }));
  }
  return result;
}

/** Runs a SIPp client scenario to completion against host:port and returns its results. */
export async function runSippUac(t: TeardownHost, opts: SippUacOptions): Promise<SippResult> {
  // A port picked free can be taken by a parallel test before SIPp binds it (SIPp then exits at once with
  // errno 98): pick new ports and run again, unless the caller fixed the local port.
  for (let attempt = 1; ; attempt++) {
    const r = await runSippUacOnce(t, opts);
    const lostPortRace = r.successful === 0 && r.failed === 0 && /Address already in use/.test(r.output + r.errors);
    if (!lostPortRace || opts.localPort !== undefined || attempt === 3) return r;
  }
}

async function runSippUacOnce(t: TeardownHost, opts: SippUacOptions): Promise<SippResult> {
  requireBinary('sipp');
  const dir = opts.logDir ?? makeTempDir(t, 'sipedge-sipp-uac-');
  const scenario = resolveScenario(opts.scenario);
  const timeoutS = opts.timeoutS ?? 30;
  const args = [
    `${opts.host ?? LOOPBACK}:${opts.port}`,
    ...(await commonArgs(dir, scenario, opts, opts.calls)),
    '-m', String(opts.calls),
    '-timeout', `${timeoutS}s`,
    '-timeout_error',
  ];
  if (opts.rate !== undefined) args.push('-r', String(opts.rate));
  if (opts.ratePeriodMs !== undefined) args.push('-rp', String(opts.ratePeriodMs));
  if (opts.limit !== undefined) args.push('-l', String(opts.limit));
  if (opts.callDurationMs !== undefined) args.push('-d', String(opts.callDurationMs));
  if (opts.recvTimeoutMs !== undefined) args.push('-recv_timeout', String(opts.recvTimeoutMs));
  if (opts.rtt) args.push('-trace_rtt', '-rtt_freq', '1');

  const started = Date.now();
  const proc = startProcess(t, 'sipp', args, { cwd: dir, maxOutputChars: 256 * 1024 });
  let exit: ExitInfo;
  try {
    // SIPp's own -timeout bounds the run; the margin covers start-up and the final dump.
    exit = await proc.waitForExit(timeoutS * 1000 + 15_000);
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return collectResult(proc, exit, args, dir, Date.now() - started, opts);
}

export interface SippUasOptions extends SippCommonOptions {
  /** -m: exit by itself after this many calls. */
  calls?: number;
  /** -timeout: upper bound on the UAS's life (default 300 s). */
  timeoutS?: number;
  /** -aa: answer in-dialog INFO/NOTIFY/OPTIONS/UPDATE with 200 automatically. */
  autoAnswer?: boolean;
  readyTimeoutMs?: number;
}

export interface SippUas {
  readonly process: ManagedProcess;
  readonly port: number;
  readonly transport: SippTransport;
  readonly logDir: string;
  /** Asks SIPp to finish (SIGUSR1: no new calls, let current ones end), then reads its results. */
  finish(timeoutMs?: number): Promise<SippResult>;
  /** Waits for SIPp to exit by itself (e.g. after -m calls) and reads its results. */
  waitForResult(timeoutMs: number): Promise<SippResult>;
  stop(): Promise<void>;
}

/**
 * Starts a SIPp server scenario listening on 127.0.0.1:`port` (a free port if 0) and waits
 * until its socket is bound. It is stopped by PID at teardown.
 */
export async function startSippUas(
  t: TeardownHost,
  scenario: string,
  port = 0,
  transport: SippTransport = 'u1',
  opts: SippUasOptions = {},
): Promise<SippUas> {
  requireBinary('sipp');
  const dir = opts.logDir ?? makeTempDir(t, 'sipedge-sipp-uas-');
  const path = resolveScenario(scenario);
  const listenPort = port || opts.localPort || (await freePort('both'));
  const args = [
    ...(await commonArgs(dir, path, { ...opts, transport, localPort: listenPort }, opts.calls ?? 100)),
    '-timeout', `${opts.timeoutS ?? 300}s`,
  ];
  if (opts.calls !== undefined) args.push('-m', String(opts.calls));
  if (opts.autoAnswer) args.push('-aa');

  const started = Date.now();
  const proc = startProcess(t, 'sipp', args, { cwd: dir, maxOutputChars: 256 * 1024 });
  const proto = transport.startsWith('t') ? 'tcp' : 'udp';
  try {
    await waitForListening(listenPort, [proto], {
      timeoutMs: opts.readyTimeoutMs ?? 10_000,
      abortIf: () => (proc.exitInfo ? `sipp exited (code ${proc.exitInfo.code}): ${proc.output().slice(-1500)}` : null),
    });
  } catch (e) {
    await proc.stop();
    throw e;
  }

  const result = async (exit: ExitInfo): Promise<SippResult> => collectResult(proc, exit, args, dir, Date.now() - started);
  return {
    process: proc,
    port: listenPort,
    transport,
    logDir: dir,
    async finish(timeoutMs = 10_000) {
      proc.signal('SIGUSR1');
      let exit: ExitInfo;
      try {
        exit = await proc.waitForExit(timeoutMs);
      } catch {
        exit = await proc.stop();
      }
      return result(exit);
    },
    async waitForResult(timeoutMs) {
      return result(await proc.waitForExit(timeoutMs));
    },
    async stop() {
      await proc.stop();
    },
  };
}
