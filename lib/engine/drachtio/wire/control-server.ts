/**
 * The drachtio control channel, inbound mode (spec 1.4): apps connect, authenticate (3), route (4), ping (5),
 * and send `sip` (6) / `proxy` (9) commands, which are handed to a CommandHandler.
 * Only `response` frames are written here; srf throws on unknown S->A types (spec 2).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { AppCommand, AppRouter, CommandHandler, LocalAddresses } from '../contracts.js';
import { SocketAppConnection } from './app-connection.js';
import { no, nok, okPlain, parseCommand } from './frames.js';
import { RouteTable } from './route-table.js';
import { systemClock, type Clock, type TimerHandle } from '../../timers/clock.js';

export interface ControlServerOptions {
  /** Admin bind address; loopback by default (the real server binds 0.0.0.0, spec 1.4). */
  address?: string;
  port?: number;
  secret: string;
  localAddresses: LocalAddresses;
  logger?: Logger;
  /** Must match ^v\d+\.\d+\.\d+ and be >= v0.8.2 so srf enables pings (spec 3.2). */
  version?: string;
  maxFrameBytes?: number;
  keepAliveMs?: number;
  /** A connection that has not authenticated within this time is closed (default 10 s). */
  authTimeoutMs?: number;
  clock?: Clock;
}

/** Until the real handler is installed, commands still get their one reply (spec 1.3). */
const notReadyHandler: CommandHandler = {
  onSipCommand(conn, cmd) {
    conn.sendFrame(nok(cmd.msgId, 'server not ready'));
  },
  onProxyCommand(conn, cmd) {
    conn.sendFrame(nok(cmd.msgId, 'server not ready'));
  },
  onAppClosed() {},
};

export class ControlServer {
  readonly router: AppRouter;
  private readonly routes = new RouteTable();
  private readonly opts: ControlServerOptions;
  private readonly secret: Buffer;
  private readonly version: string;
  private handler: CommandHandler = notReadyHandler;
  private server: Server | undefined;
  private readonly conns = new Set<SocketAppConnection>();
  private pings = 0;
  private readonly authTimers = new Map<SocketAppConnection, TimerHandle>();
  private readonly clock: Clock;

  constructor(opts: ControlServerOptions) {
    this.opts = opts;
    this.secret = Buffer.from(opts.secret, 'utf8');
    this.version = opts.version ?? 'v0.9.4';
    this.router = this.routes;
    this.clock = opts.clock ?? systemClock;
  }

  setHandler(h: CommandHandler): void {
    this.handler = h;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** Pings answered since start (srf never tracks its pongs, so this is the observable side; spec 5). */
  get pingsAnswered(): number {
    return this.pings;
  }

  /** The route table, for diagnostics and tests (the SIP side uses `router`). */
  get routeTable(): RouteTable {
    return this.routes;
  }

  start(): Promise<{ address: string; port: number }> {
    if (this.server !== undefined) throw new Error('ControlServer already started');
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.opts.address ?? '127.0.0.1', port: this.opts.port ?? 9022 }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.opts.logger?.error({ err }, 'drachtio control server error'));
        const a = server.address();
        if (a === null || typeof a === 'string') return reject(new Error('unexpected server address'));
        this.opts.logger?.info({ address: a.address, port: a.port }, 'drachtio control channel listening');
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  /** Stop listening and drop every app connection (each gets onAppClosed via its close event). */
  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of this.conns) c.destroy();
    if (server === undefined) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const conn = new SocketAppConnection(socket, {
      maxFrameBytes: this.opts.maxFrameBytes,
      keepAliveMs: this.opts.keepAliveMs,
      onPayload: (c, payload) => this.onPayload(c, payload),
      onClose: (c) => this.onClose(c),
      onFrameError: (c, err) =>
        this.opts.logger?.warn({ conn: c.id, reason: err.message }, 'malformed control frame, closing'),
    });
    this.conns.add(conn);
    // An app that never authenticates must not hold a connection forever (spec 3.2 recommendation).
    this.authTimers.set(
      conn,
      this.clock.setTimer(this.opts.authTimeoutMs ?? 10_000, () => {
        this.authTimers.delete(conn);
        if (!conn.authenticated) conn.destroy();
      }),
    );
    this.opts.logger?.debug({ conn: conn.id, remote: conn.remoteAddress }, 'app connected');
  }

  private onClose(conn: SocketAppConnection): void {
    if (!this.conns.delete(conn)) return;
    this.clearAuthTimer(conn);
    this.routes.removeConnection(conn);
    this.opts.logger?.debug({ conn: conn.id }, 'app disconnected');
    if (conn.authenticated) this.handler.onAppClosed(conn);
  }

  private onPayload(conn: SocketAppConnection, payload: string): void {
    const cmd = parseCommand(payload);
    if (!conn.authenticated) {
      // Anything but authenticate first is refused (spec 3.2 recommendation).
      if (cmd.type !== 'authenticate') return conn.destroy();
      return this.authenticate(conn, cmd);
    }
    switch (cmd.type) {
      case 'sip':
        return this.handler.onSipCommand(conn, cmd);
      case 'proxy':
        return this.handler.onProxyCommand(conn, cmd);
      case 'route': {
        const verb = cmd.fields[2] ?? '';
        if (verb !== '') this.routes.add(verb, conn);
        return conn.sendFrame(okPlain(cmd.msgId));
      }
      case 'remove_route': {
        const verb = cmd.fields[2] ?? '';
        if (verb !== '') this.routes.remove(verb, conn);
        return conn.sendFrame(okPlain(cmd.msgId));
      }
      case 'ping':
        this.pings++;
        return conn.sendFrame(okPlain(cmd.msgId, 'pong'));
      case 'authenticate':
        // srf never re-authenticates; answer consistently rather than treat it as a violation.
        return this.authenticate(conn, cmd);
      default:
        conn.sendFrame(no(cmd.msgId, 'Unknown message type'));
        return conn.end();
    }
  }

  /** spec 3: `<id>|authenticate|<secret>|<tags>` -> OK|hostports|version|localHostports, or NO and close. */
  private authenticate(conn: SocketAppConnection, cmd: AppCommand): void {
    if (!this.secretMatches(cmd.fields[2] ?? '')) {
      this.opts.logger?.warn({ conn: conn.id, remote: conn.remoteAddress }, 'app authentication failed');
      conn.sendFrame(no(cmd.msgId, 'incorrect secret'));
      return conn.end();
    }
    const tags = cmd.fields[3];
    conn.tags = tags === undefined || tags === '' ? [] : tags.split(',').filter((t) => t !== '');
    conn.authenticated = true;
    this.clearAuthTimer(conn);
    const hostports = this.opts.localAddresses.hostports();
    // The interface has no separate external/local lists yet, so both are the same (spec 3.2).
    conn.sendFrame(okPlain(cmd.msgId, hostports, this.version, hostports));
  }

  private clearAuthTimer(conn: SocketAppConnection): void {
    const timer = this.authTimers.get(conn);
    if (timer === undefined) return;
    this.authTimers.delete(conn);
    this.clock.clearTimer(timer);
  }

  /** Constant-time compare so the secret cannot be probed by timing. */
  private secretMatches(given: string): boolean {
    const g = Buffer.from(given, 'utf8');
    return g.length === this.secret.length && timingSafeEqual(g, this.secret);
  }
}
