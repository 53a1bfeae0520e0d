/**
 * The rtpengine instances this node may anchor media on, with their liveness and this node's session count on each.
 * Every instance is pinged (ng ping) every pingIntervalS: live after a pong, dead after a failed ping or three
 * commands failing in a row (one late reply is as likely this node's busy event loop), and then left alone (no new
 * calls) until it answers a ping again. pick() gives the live
 * instance with the fewest sessions this node opened on it. All commands go through one UDP socket (rtpengine-client)
 * bound to 127.0.0.1 when every instance is on loopback, else to any address; it only ever sends to the configured
 * instances.
 */
import rtpengineClient, { type NgReply } from 'rtpengine-client';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { isIP } from 'node:net';
import type { Socket as DgramSocket } from 'node:dgram';
import { MediaUnavailableError } from './media-contract.js';

const { Client } = rtpengineClient;

export type NgCommand = 'ping' | 'offer' | 'answer' | 'delete' | 'query' | 'list';

export interface NgAddress {
  host: string;
  port: number;
}

export interface RtpengineInstance {
  /** "host:port" as configured; the metrics' instance label. */
  readonly name: string;
  readonly address: NgAddress;
  readonly live: boolean;
  /** Sessions this node has open on it. */
  readonly sessions: number;
}

export interface RtpengineStatus {
  name: string;
  live: boolean;
  sessions: number;
  /** ms since epoch of the last pong, if any. */
  lastPongAt?: number;
  lastError?: string;
}

/**
 * Why an ng command failed. 'unreachable': no reply in time or the send failed (the instance is marked dead).
 * 'refused': rtpengine replied with an error (e.g. it cannot parse the SDP). 'unavailable': another non-ok result
 * (e.g. a load limit).
 */
export class NgCommandError extends Error {
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'refused' | 'unavailable',
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NgCommandError';
  }
}

export interface RtpenginePoolOptions {
  ngTimeoutMs: number;
  pingIntervalMs: number;
  /** Registers sipedge_rtpengine_up, sipedge_media_sessions and sipedge_rtpengine_commands_total. */
  registry?: Registry;
  logger?: Logger;
  now?: () => number;
  /** True while this process's event loop lags: command timeouts then do not count against an instance. */
  isLagging?: () => boolean;
}

export interface RtpenginePool {
  readonly instances: readonly RtpengineInstance[];
  /** The live instance with the fewest sessions (config order breaks ties); throws MediaUnavailableError(503). */
  /** The live instance with the fewest sessions, leaving out `exclude` (instances a call already tried). */
  pick(exclude?: ReadonlySet<RtpengineInstance>): RtpengineInstance;
  /** Sends one ng command; resolves with the reply when its result is 'ok' ('pong' for ping), else throws NgCommandError. */
  command(instance: RtpengineInstance, command: NgCommand, params?: Record<string, unknown>): Promise<NgReply>;
  /** Counts one session opened / closed on `instance`. */
  sessionOpened(instance: RtpengineInstance): void;
  sessionClosed(instance: RtpengineInstance): void;
  /** Sessions open on all instances. */
  readonly activeSessions: number;
  /** Pings every instance (not one already being pinged); resolves when all have an outcome. */
  pingAll(): Promise<void>;
  /** Pings now, then every pingIntervalMs (unref'd timer). */
  start(): void;
  status(): RtpengineStatus[];
  /** Stops pinging, fails commands still waiting and closes the socket. */
  close(): Promise<void>;
}

/** "host:port" -> address. IPv4 addresses and host names only (the ng socket is IPv4). */
export function parseNgAddress(text: string): NgAddress {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 1 && port <= 65535) || isIP(m[1] ?? '') === 6) {
    throw new Error(`invalid rtpengine address '${text}' (expected host:port with an IPv4 address or host name)`);
  }
  return { host: m[1] ?? '', port };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || /^127\./.test(host);
}

interface InstanceState extends RtpengineInstance {
  live: boolean;
  sessions: number;
  pinging: boolean;
  /** Commands failed in a row (reset by any reply). */
  failuresInRow: number;
  lastPongAt?: number;
  lastError?: string;
}

/** Commands failing in a row (timeouts, send errors) before an instance is taken out of use. */
const DEAD_AFTER_FAILURES = 3;
const NG_RECV_BUFFER_BYTES = 4 * 1024 * 1024;
/** How soon an instance taken out of use by failed commands is pinged again. */
const RECHECK_MS = 500;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createRtpenginePool(addresses: readonly string[], opts: RtpenginePoolOptions): RtpenginePool {
  const now = opts.now ?? Date.now;
  const log = opts.logger;
  const instances: InstanceState[] = addresses.map((name) => ({
    name,
    address: parseNgAddress(name),
    live: false,
    sessions: 0,
    pinging: false,
    failuresInRow: 0,
  }));
  const registers = opts.registry ? [opts.registry] : [];
  const upGauge = new Gauge({
    name: 'sipedge_rtpengine_up',
    help: 'rtpengine instance liveness from ng pings and commands: 1 live, 0 dead',
    labelNames: ['instance'],
    registers,
  });
  const sessionGauge = new Gauge({
    name: 'sipedge_media_sessions',
    help: 'Calls this node has anchored on each rtpengine instance',
    labelNames: ['instance'],
    registers,
  });
  const commands = new Counter({
    name: 'sipedge_rtpengine_commands_total',
    help: 'ng commands sent to rtpengine by result (ok, error, timeout)',
    labelNames: ['instance', 'command', 'result'],
    registers,
  });
  for (const i of instances) {
    upGauge.set({ instance: i.name }, 0);
    sessionGauge.set({ instance: i.name }, 0);
  }

  const localAddress = instances.every((i) => isLoopback(i.address.host)) ? '127.0.0.1' : undefined;
  const client = new Client({ timeout: opts.ngTimeoutMs, ...(localAddress ? { localAddress } : {}) });
  // Late replies (after a timeout) and socket errors are reported as 'error' events: never fatal here.
  client.on('error', (err: unknown) => log?.debug({ err: describe(err) }, 'rtpengine client error'));
  // Replies carry SDP (~1 KB); a burst of them while the event loop is busy must not overflow the default 208 KB
  // socket buffer (a dropped reply looks like a dead rtpengine). The kernel caps this at net.core.rmem_max.
  const ngSocket = (client as unknown as { socket?: DgramSocket }).socket;
  ngSocket?.once('listening', () => {
    try {
      ngSocket.setRecvBufferSize(NG_RECV_BUFFER_BYTES);
    } catch (err) {
      log?.debug({ err: describe(err) }, 'could not enlarge the ng socket buffer');
    }
  });

  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const waiting = new Set<(err: Error) => void>();

  const setLive = (i: InstanceState, live: boolean, reason?: string): void => {
    if (live) i.lastPongAt = now();
    else if (reason !== undefined) i.lastError = reason;
    if (i.live === live) return;
    i.live = live;
    upGauge.set({ instance: i.name }, live ? 1 : 0);
    if (live) log?.info({ rtpengine: i.name }, 'rtpengine is live');
    else log?.warn({ rtpengine: i.name, reason }, 'rtpengine is dead');
  };

  const state = (instance: RtpengineInstance): InstanceState => {
    const i = instances.find((s) => s === instance);
    if (!i) throw new Error(`unknown rtpengine instance ${instance.name}`);
    return i;
  };

  const send = (i: InstanceState, command: NgCommand, params: Record<string, unknown>): Promise<NgReply> => {
    if (closed) return Promise.reject(new Error('rtpengine pool closed'));
    return new Promise<NgReply>((resolve, reject) => {
      const fail = (err: Error): void => {
        waiting.delete(fail);
        reject(err);
      };
      waiting.add(fail);
      client[command](i.address, params).then(
        (reply) => {
          waiting.delete(fail);
          resolve(reply);
        },
        (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))),
      );
    });
  };

  const command = async (
    instance: RtpengineInstance,
    command: NgCommand,
    params: Record<string, unknown> = {},
  ): Promise<NgReply> => {
    const i = state(instance);
    let reply: NgReply;
    try {
      reply = await send(i, command, params);
    } catch (err) {
      const reason = describe(err);
      commands.inc({ instance: i.name, command, result: /timeout/i.test(reason) ? 'timeout' : 'failed' });
      i.failuresInRow++;
      // One late reply is as likely this node's busy event loop as a dead rtpengine: a failed ping, or several
      // commands failing in a row, take the instance out of use.
      // While this node's own event loop lags, a missing reply says nothing about rtpengine.
      const lagging = opts.isLagging?.() ?? false;
      if (!closed && !lagging && (command === 'ping' || i.failuresInRow >= DEAD_AFTER_FAILURES)) {
        setLive(i, false, `${command}: ${reason}`);
        // Commands failed, not a ping: check again soon rather than at the next interval, so that a short stall
        // does not refuse calls for a whole ping interval.
        if (command !== 'ping') setTimeout(() => void ping(i), RECHECK_MS).unref();
      }
      throw new NgCommandError(`rtpengine ${i.name} ${command}: ${reason}`, 'unreachable', reason, { cause: err });
    }
    i.failuresInRow = 0;
    const expected = command === 'ping' ? 'pong' : 'ok';
    if (reply.result === expected) {
      commands.inc({ instance: i.name, command, result: 'ok' });
      return reply;
    }
    const reason = reply['error-reason'] ?? `result '${String(reply.result)}'`;
    commands.inc({ instance: i.name, command, result: 'error' });
    if (command === 'ping') setLive(i, false, `ping: ${reason}`);
    const kind = reply.result === 'error' ? 'refused' : 'unavailable';
    throw new NgCommandError(`rtpengine ${i.name} ${command}: ${reason}`, kind, reason);
  };

  const ping = async (i: InstanceState): Promise<void> => {
    if (i.pinging) return;
    i.pinging = true;
    try {
      await command(i, 'ping');
      if (!closed) setLive(i, true);
    } catch {
      // command() has marked it dead.
    } finally {
      i.pinging = false;
    }
  };

  const pool: RtpenginePool = {
    instances,
    pick(exclude) {
      let best: InstanceState | undefined;
      for (const i of instances) {
        if (exclude?.has(i)) continue;
        if (i.live && (best === undefined || i.sessions < best.sessions)) best = i;
      }
      if (!best) {
        throw new MediaUnavailableError(
          instances.length === 0 ? 'no rtpengine configured' : 'no live rtpengine instance',
          503,
        );
      }
      return best;
    },
    command,
    sessionOpened(instance) {
      const i = state(instance);
      i.sessions++;
      sessionGauge.set({ instance: i.name }, i.sessions);
    },
    sessionClosed(instance) {
      const i = state(instance);
      if (i.sessions > 0) i.sessions--;
      sessionGauge.set({ instance: i.name }, i.sessions);
    },
    get activeSessions() {
      return instances.reduce((n, i) => n + i.sessions, 0);
    },
    async pingAll() {
      await Promise.all(instances.map((i) => ping(i)));
    },
    start() {
      if (timer !== undefined || closed) return;
      void pool.pingAll();
      timer = setInterval(() => void pool.pingAll(), opts.pingIntervalMs);
      timer.unref();
    },
    status() {
      return instances.map((i) => ({
        name: i.name,
        live: i.live,
        sessions: i.sessions,
        ...(i.lastPongAt !== undefined ? { lastPongAt: i.lastPongAt } : {}),
        ...(i.lastError !== undefined ? { lastError: i.lastError } : {}),
      }));
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      for (const fail of [...waiting]) fail(new Error('rtpengine pool closed'));
      // The client's own per-command timers would otherwise keep the process alive until they fire.
      const timers = (client as unknown as { timers?: Map<string, NodeJS.Timeout> }).timers;
      if (timers) {
        for (const t of timers.values()) clearTimeout(t);
        timers.clear();
      }
      client.close();
    },
  };
  return pool;
}
