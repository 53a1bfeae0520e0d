/**
 * The node's extra gateway-app processes (`node.appProcesses` - 1). Each runs the same drachtio-srf app against
 * this node's embedded engine over the drachtio control channel, as a second app would connect to a
 * drachtio-server; the engine hands new requests to its apps in turn and keeps each dialog with the app that owns
 * it. So the app's work, the node's bottleneck, can use more than one core. The processes share registrations,
 * nonce counts and failure counters only through the Redis store (config validation requires it).
 *
 * Lifecycle: started once the node's own app is up (start fails if one does not come up), restarted after a
 * second when one dies, stopped first when the node stops. Their metrics are summed into the node's /metrics.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { deepMerge } from '../config/load-config.js';
import type { SipedgeConfig } from '../config/config-schema.js';
import type { AppProcessMessage, ParentMessage } from './app-process-messages.js';

export interface AppProcessesOptions {
  /** How many child processes (node.appProcesses - 1). */
  count: number;
  /** The node's config; each child gets it with the app pointed at `control` and no admin server. */
  config: SipedgeConfig;
  /** The engine's drachtio control channel. */
  control: { address: string; port: number };
  log: Logger;
  /** How long a child may take to connect its app. */
  startTimeoutMs: number;
}

const RESTART_DELAY_MS = 1000;
const STOP_GRACE_MS = 5000;
const METRICS_TIMEOUT_MS = 2000;

/** One child: its process, readiness, and the metrics requests it has not answered yet. */
class AppProcess {
  private readonly waiting = new Map<number, (metrics: object[] | undefined) => void>();
  private seq = 0;
  readonly ready: Promise<void>;

  constructor(
    readonly index: number,
    readonly child: ChildProcess,
    startTimeoutMs: number,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`app process ${index} not ready after ${startTimeoutMs} ms`)), startTimeoutMs);
      child.on('message', (m: AppProcessMessage) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (m.type === 'failed') {
          clearTimeout(timer);
          reject(new Error(`app process ${index} failed to start: ${m.error}`));
        } else if (m.type === 'metrics') {
          this.waiting.get(m.id)?.(m.metrics);
          this.waiting.delete(m.id);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`app process ${index} exited (${signal ?? code}) before it was ready`));
        for (const done of this.waiting.values()) done(undefined);
        this.waiting.clear();
      });
    });
    // Readiness is awaited by start(); a later rejection (exit after ready) must not go unhandled.
    this.ready.catch(() => undefined);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The child's registry as JSON, or undefined if it does not answer in time. */
  metrics(): Promise<object[] | undefined> {
    if (!this.alive || !this.child.connected) return Promise.resolve(undefined);
    const id = ++this.seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, METRICS_TIMEOUT_MS);
      this.waiting.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      const ask: ParentMessage = { type: 'metrics', id };
      this.child.send(ask, (err) => {
        if (err) this.waiting.get(id)?.(undefined);
      });
    });
  }
}

export class AppProcesses {
  private readonly procs: AppProcess[] = [];
  private readonly childConfig: SipedgeConfig;
  private stopping = false;
  private readonly restartTimers = new Set<NodeJS.Timeout>();

  constructor(private readonly o: AppProcessesOptions) {
    this.childConfig = deepMerge(o.config, {
      node: { appProcesses: 1 },
      admin: { enabled: false },
      drachtio: { mode: 'external', host: o.control.address, port: o.control.port },
    }) as SipedgeConfig;
  }

  /** Starts every child and waits until each has its app connected; rejects (children stopped) if one fails. */
  async start(): Promise<void> {
    for (let i = 1; i <= this.o.count; i++) this.procs.push(this.spawn(i));
    try {
      await Promise.all(this.procs.map((p) => p.ready));
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Pids and liveness, for /status. */
  status(): Array<{ index: number; pid: number | undefined; alive: boolean }> {
    return this.procs.map((p) => ({ index: p.index, pid: p.child.pid, alive: p.alive }));
  }

  /** Every live child's metrics (registry JSON); a child that does not answer is left out. */
  async metrics(): Promise<object[][]> {
    const all = await Promise.all(this.procs.map((p) => p.metrics()));
    return all.filter((m): m is object[] => m !== undefined);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.restartTimers) clearTimeout(t);
    this.restartTimers.clear();
    await Promise.all(this.procs.map((p) => stopChild(p.child)));
  }

  private spawn(index: number): AppProcess {
    // Node flags (e.g. --max-semi-space-size) are inherited: fork passes process.execArgv.
    const child = fork(new URL('./app-process.js', import.meta.url), [], {
      env: { ...process.env, SIPEDGE_APP_PROCESS_CONFIG: JSON.stringify(this.childConfig), SIPEDGE_APP_PROCESS_INDEX: String(index) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const proc = new AppProcess(index, child, this.o.startTimeoutMs);
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      this.o.log.error({ appProcess: index, pid: child.pid, code, signal }, 'app process died: restarting it');
      const timer = setTimeout(() => {
        this.restartTimers.delete(timer);
        if (this.stopping) return;
        const next = this.spawn(index);
        this.procs[this.procs.indexOf(proc)] = next;
        next.ready.then(
          () => this.o.log.info({ appProcess: index, pid: next.child.pid }, 'app process restarted'),
          (err: unknown) => this.o.log.error({ appProcess: index, err: (err as Error).message }, 'app process restart failed'),
        );
      }, RESTART_DELAY_MS);
      this.restartTimers.add(timer);
    });
    return proc;
  }
}

/** SIGTERM (the child stops its app), SIGKILL if it is still there after a grace period. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
