/**
 * The embedded engine on its own worker thread (`drachtio.engineThread`), main-thread side: starts the worker
 * (engine-worker.ts), waits for it to listen, and exposes what the node needs of the engine: its bound addresses,
 * device connections (their closes, the list, releasing unused ones), its Prometheus text and event-loop lag. The
 * gateway app still talks to the engine only over the drachtio control channel (loopback TCP).
 *
 * Also the one place for what crosses the thread boundary (structured-clone messages) and for the engine gauges
 * both the in-process node and the worker register.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { SipedgeConfig } from '../config/config-schema.js';
import { ConfigError } from '../config/schema-validator.js';
import type { SipEngine } from '../engine/core/sip-engine.js';
import type { EmbeddedEngine } from '../engine/drachtio/embedded-engine.js';
import type { ListeningAddress } from '../engine/transport/transport-layer.js';
import type { ConnectionCloseReason } from '../engine/transport/types.js';

// ---- messages -------------------------------------------------------------------------------------------------

/** A device (or outbound) TCP/TLS connection the engine closed or saw closed. */
export interface ConnectionClosed {
  transport: 'tcp' | 'tls';
  remoteAddress: string;
  remotePort: number;
  inbound: boolean;
  reason: ConnectionCloseReason;
}

/** An Error flattened for postMessage; ConfigError keeps its key path and problem. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  keyPath?: string;
  problem?: string;
}

/** An inbound device connection as the engine names it, with its remote end. */
export interface DeviceConnection {
  id: string;
  transport: 'tcp' | 'tls';
  remoteAddress: string;
  remotePort: number;
}

/** Main thread -> worker. Requests carry an id; the worker answers each with a `reply` of the same id. */
export type ToEngineWorker =
  | { type: 'metrics'; id: number }
  | { type: 'device-connections'; id: number }
  | { type: 'release-connections'; id: number; ids: string[] }
  | { type: 'stop' };

/** Worker -> main thread. */
export type FromEngineWorker =
  | { type: 'ready'; sip: ListeningAddress[]; control: { address: string; port: number } }
  | { type: 'start-failed'; error: SerializedError }
  | { type: 'connection-close'; info: ConnectionClosed }
  | { type: 'stats'; eventLoopLagMs: number }
  | { type: 'reply'; id: number; value?: unknown; error?: string }
  | { type: 'stopped' };

/** What the worker gets as workerData. */
export interface EngineWorkerData {
  config: SipedgeConfig;
  /** How often the worker posts its stats (event-loop lag). */
  statsIntervalMs: number;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof ConfigError) return { name: err.name, message: err.message, stack: err.stack, keyPath: err.keyPath, problem: err.problem };
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}

export function deserializeError(e: SerializedError): Error {
  if (e.name === 'ConfigError' && e.keyPath !== undefined && e.problem !== undefined) return new ConfigError(e.keyPath, e.problem);
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}

// ---- engine gauges (registered where the engine runs) ----------------------------------------------------------

export function registerEngineGauges(registry: Registry, engine: SipEngine): void {
  new Gauge({
    name: 'sipedge_connections_open',
    help: 'TCP/TLS connections currently open',
    registers: [registry],
    collect() {
      this.set(engine.transport.connectionCount);
    },
  });
  new Gauge({
    name: 'sipedge_transactions_pending',
    help: 'Server transactions waiting for a final response',
    registers: [registry],
    collect() {
      this.set(engine.transactions.pendingServerTransactions);
    },
  });
}

/** The engine's inbound TCP/TLS connections (what both the worker and an in-process node report). */
export function deviceConnectionsOf(embedded: EmbeddedEngine): DeviceConnection[] {
  const out: DeviceConnection[] = [];
  for (const c of embedded.engine.transport.connections()) {
    if (c.inbound) out.push({ id: c.id, transport: c.transport, remoteAddress: c.remoteAddress, remotePort: c.remotePort });
  }
  return out;
}

/** State of the drachtio layer, so a leak (dialogs or app requests that never end) shows in Prometheus. */
export function registerDrachtioGauges(registry: Registry, embedded: EmbeddedEngine): void {
  const stat = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  stat('sipedge_drachtio_dialogs', 'Dialogs the engine holds for apps', () => embedded.server.stats.dialogs);
  stat('sipedge_drachtio_pending_requests', 'Network requests delivered to apps and not answered yet', () => embedded.server.stats.pending);
  stat('sipedge_drachtio_uac_requests', 'Requests sent for apps and not finished yet', () => embedded.server.stats.uacRequests);
  stat('sipedge_drachtio_registrations', 'Contacts reachable over a cached TCP/TLS connection (spec 14.4)', () => embedded.server.stats.registrations);
  stat('sipedge_drachtio_apps', 'Connected drachtio apps', () => embedded.control.connectionCount);
  stat('sipedge_transactions', 'SIP transactions alive (any state)', () =>
    embedded.engine.transactions.serverTransactionCount + embedded.engine.transactions.clientTransactionCount);
}

// ---- main-thread handle ----------------------------------------------------------------------------------------

export interface EngineThreadOptions {
  config: SipedgeConfig;
  log: Logger;
  /** How long stop() waits for the worker to exit before terminating it. */
  stopTimeoutMs?: number;
  /** How long a request (e.g. for /metrics) waits for the worker. */
  metricsTimeoutMs?: number;
  statsIntervalMs?: number;
  /** The worker script (default: the compiled engine-worker.js next to this file). */
  workerUrl?: URL;
}

export interface EngineThreadEvents {
  'connection:close': [info: ConnectionClosed];
  /** The worker ended; `expected` is false when it ended on its own after a successful start (a crash). */
  exit: [code: number, expected: boolean];
}

export class EngineThread extends EventEmitter<EngineThreadEvents> {
  private worker?: Worker;
  private sip: ListeningAddress[] = [];
  private controlAddress?: { address: string; port: number };
  private lagMs = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  private stopRequested = false;
  private alive = false;
  private exitPromise?: Promise<number>;
  private readonly log: Logger;

  constructor(private readonly opts: EngineThreadOptions) {
    super();
    this.log = opts.log.child({ component: 'engine-thread' });
  }

  /** Starts the worker and resolves once the engine listens (SIP and control channel); rejects with its start error. */
  async start(): Promise<void> {
    const workerData: EngineWorkerData = { config: this.opts.config, statsIntervalMs: this.opts.statsIntervalMs ?? 1000 };
    const worker = new Worker(this.opts.workerUrl ?? new URL('./engine-worker.js', import.meta.url), {
      workerData,
      name: 'sipedge-engine',
    });
    this.worker = worker;
    this.alive = true;
    // An uncaught exception in the engine ends the worker ('exit' follows).
    worker.on('error', (err) => this.log.error({ err }, 'engine thread failed'));
    let started = false;
    this.exitPromise = new Promise<number>((resolve) => {
      worker.once('exit', (code) => {
        this.alive = false;
        this.failPending(new Error('engine thread exited'));
        // An exit during start is reported by start() rejecting.
        const expected = this.stopRequested || !started;
        if (!expected) this.log.error({ code }, 'engine thread exited unexpectedly');
        this.emit('exit', code, expected);
        resolve(code);
      });
    });
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        worker.off('message', onStartMessage);
        if (err) reject(err);
        else {
          started = true;
          resolve();
        }
      };
      const onStartMessage = (msg: FromEngineWorker) => {
        if (msg.type === 'ready') settle();
        else if (msg.type === 'start-failed') settle(deserializeError(msg.error));
      };
      worker.on('message', onStartMessage);
      worker.once('error', (err) => settle(err));
      worker.once('exit', (code) => settle(new Error(`engine thread exited during start (code ${code})`)));
      worker.on('message', (msg: FromEngineWorker) => this.onMessage(msg));
    }).catch(async (err: unknown) => {
      // Nothing of a failed start is worth waiting for (the worker reported and cleaned up what it could).
      if (this.alive) await worker.terminate();
      await this.exitPromise;
      throw err;
    });
  }

  private onMessage(msg: FromEngineWorker): void {
    switch (msg.type) {
      case 'ready':
        this.sip = msg.sip;
        this.controlAddress = msg.control;
        break;
      case 'connection-close':
        this.emit('connection:close', msg.info);
        break;
      case 'stats':
        this.lagMs = msg.eventLoopLagMs;
        break;
      case 'reply': {
        const p = this.pending.get(msg.id);
        if (!p) break;
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.error === undefined) p.resolve(msg.value);
        else p.reject(new Error(msg.error));
        break;
      }
      case 'start-failed':
      case 'stopped':
        break;
    }
  }

  private post(msg: ToEngineWorker): void {
    this.worker?.postMessage(msg);
  }

  /** The engine's bound SIP addresses. */
  get listening(): ListeningAddress[] {
    return this.sip;
  }

  /** The engine's drachtio control channel. */
  get control(): { address: string; port: number } | undefined {
    return this.controlAddress;
  }

  /** Last event-loop lag the engine reported. */
  get eventLoopLagMs(): number {
    return this.lagMs;
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /** The worker's thread id (-1 once it exited). */
  get threadId(): number {
    return this.worker?.threadId ?? -1;
  }

  /** The engine's Prometheus text (its counters, histograms and gauges). */
  metrics(timeoutMs = this.opts.metricsTimeoutMs ?? 2000): Promise<string> {
    return this.request<string>({ type: 'metrics', id: this.nextId++ }, timeoutMs);
  }

  /** The engine's inbound TCP/TLS connections. */
  deviceConnections(): Promise<DeviceConnection[]> {
    return this.request<DeviceConnection[]>({ type: 'device-connections', id: this.nextId++ });
  }

  /** Closes those of the given connections that no transaction or dialog uses; resolves with the ids closed. */
  releaseConnections(ids: string[]): Promise<string[]> {
    return this.request<string[]>({ type: 'release-connections', id: this.nextId++, ids });
  }

  private request<T>(msg: Extract<ToEngineWorker, { id: number }>, timeoutMs = this.opts.metricsTimeoutMs ?? 2000): Promise<T> {
    if (!this.alive || !this.worker) return Promise.reject(new Error('engine thread not running'));
    const id = msg.id;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`engine thread did not answer a ${msg.type} request within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.post(msg);
    });
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  private async waitExit(timeoutMs: number): Promise<void> {
    const worker = this.worker;
    if (!worker || !this.exitPromise) return;
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([
      this.exitPromise.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!exited) {
      this.log.warn({ timeoutMs }, 'engine thread did not exit in time: terminating it');
      await worker.terminate();
      await this.exitPromise;
    }
  }

  /** Stops the engine (apps first, then SIP) and ends the worker; terminates it if it does not exit in time. */
  async stop(): Promise<void> {
    if (!this.worker || this.stopRequested) {
      await this.exitPromise;
      return;
    }
    this.stopRequested = true;
    if (this.alive) this.post({ type: 'stop' });
    await this.waitExit(this.opts.stopTimeoutMs ?? 5000);
  }
}
