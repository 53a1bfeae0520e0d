/**
 * What TCP and TLS share (RFC 3261 18): a listener, inbound admission against
 * the connection limits, outbound connects, connection reuse through the
 * connection table, and one sweep timer that enforces the idle timeout, the
 * message receive timeout and the connect timeout.
 */
import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { EngineMetrics } from '../observability.js';
import type { Clock, TimerHandle } from '../timers/clock.js';
import type { ConnectionCloseReason, ConnectionInfo, Flow } from './types.js';
import type { TransportLimits } from './transport-config.js';
import type { ConnectionTable } from './connection-table.js';
import type { FramerLimits, FramingError } from './stream-framer.js';
import { applyTos, descriptorOf, readTos } from './socket-tos.js';
import { StreamConnection, type ConnectionOwner, type SendCallback } from './stream-connection.js';
import { normalizeAddress } from './address.js';
import { RenewingMap, RenewingSet } from '../collections/renewing-map.js';

/** Where a stream transport hands what it receives (the transport layer). */
export interface StreamSink {
  deliver(data: Buffer, flow: Flow): void;
  /** Framing is lost on conn; the sink may answer on flow synchronously before the connection is closed. */
  framingError(flow: Flow, error: FramingError): void;
  opened(info: ConnectionInfo): void;
  closed(info: ConnectionInfo, reason: ConnectionCloseReason): void;
}

export interface StreamListenConfig {
  address: string;
  port: number;
  idleTimeoutMs: number;
}

export interface StreamTransportContext {
  table: ConnectionTable<StreamConnection>;
  limits: TransportLimits;
  sink: StreamSink;
  logger: Logger;
  metrics: EngineMetrics;
  clock: Clock;
  /** TOS byte for signalling (0: unmarked); set on the listener (accepted sockets inherit it) and on outbound sockets. */
  tos: number;
}

/** How long a connection closed after a framing error may take to flush its answer. */
const LINGER_MS = 2000;

const kAdmittedIp = Symbol('admittedIp');
type AdmittedSocket = Socket & { [kAdmittedIp]?: string };

const FRAMING_LIMIT_NAMES: Readonly<Record<string, string>> = {
  'message-too-large': 'max-message-bytes',
  'too-many-headers': 'max-headers',
};

export abstract class StreamTransport implements ConnectionOwner {
  abstract readonly name: 'tcp' | 'tls';
  readonly clock: Clock;
  readonly framerLimits: FramerLimits;
  readonly maxWriteBacklogBytes: number;
  protected readonly logger: Logger;
  protected readonly metrics: EngineMetrics;
  protected readonly table: ConnectionTable<StreamConnection>;
  protected readonly limits: TransportLimits;
  private readonly sink: StreamSink;
  private readonly tos: number;
  private server: Server | undefined;
  /** This transport's connections, for the sweep. */
  private readonly conns = new RenewingSet<StreamConnection>();
  /** Admitted inbound sockets (also during a TLS handshake), so stop() can destroy them all. */
  private readonly admitted = new RenewingSet<Socket>();
  /** Sockets closed gracefully and still flushing. */
  private readonly lingering = new RenewingMap<Socket, TimerHandle>();
  private sweepTimer: TimerHandle | undefined;
  private readonly sweepInterval: number;
  private readonly releaseAdmission: (this: Socket) => void;
  private readonly sweepNow = (): void => this.sweep();
  private bound: { address: string; port: number } | undefined;

  constructor(
    protected readonly config: StreamListenConfig,
    ctx: StreamTransportContext,
  ) {
    this.clock = ctx.clock;
    this.logger = ctx.logger;
    this.metrics = ctx.metrics;
    this.table = ctx.table;
    this.limits = ctx.limits;
    this.sink = ctx.sink;
    this.tos = ctx.tos;
    this.framerLimits = { maxMessageBytes: ctx.limits.maxMessageBytes, maxHeaders: ctx.limits.maxHeaders };
    this.maxWriteBacklogBytes = ctx.limits.maxWriteBacklogBytes;
    this.sweepInterval = Math.max(1, Math.min(1000, Math.floor(config.idleTimeoutMs / 4)));
    const table = this.table;
    const admitted = this.admitted;
    // One handler per transport (not per socket): the socket carries its admitted IP.
    this.releaseAdmission = function (this: Socket): void {
      const ip = (this as AdmittedSocket)[kAdmittedIp];
      if (ip !== undefined) table.release(ip);
      admitted.delete(this);
    };
  }

  /** The server for this transport, with no listeners attached yet. */
  protected abstract createServer(): Server;
  /** Start an outbound connection. */
  protected abstract openSocket(host: string, port: number): Socket;
  /** Event that tells an outbound socket is ready for SIP ('connect' or 'secureConnect'). */
  protected abstract readonly connectedEvent: string;
  /** Server-side setup beyond admission (TLS: hand completed handshakes to accept()). */
  protected abstract wireServer(server: Server): void;
  /** An inbound socket passed admission (TCP: accept it; TLS: wait for the handshake). */
  protected abstract onAdmitted(socket: Socket): void;

  get address(): { address: string; port: number } | undefined {
    return this.bound;
  }

  /** The listener's TOS byte as the OS reports it (accepted connections inherit it); undefined if unreadable. */
  get listenerTos(): number | undefined {
    return this.server === undefined ? undefined : readTos(this.server);
  }

  async start(): Promise<void> {
    const server = this.createServer();
    server.on('connection', (socket: Socket) => this.onRawConnection(socket));
    server.on('error', (err: Error) => this.logger.error({ err, transport: this.name }, 'listener error'));
    this.wireServer(server);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen({ host: this.config.address, port: this.config.port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    this.server = server;
    applyTos(server, this.tos);
    const addr = server.address();
    if (addr !== null && typeof addr === 'object') this.bound = { address: addr.address, port: addr.port };
    this.sweepTimer = this.clock.setTimer(this.sweepInterval, this.sweepNow);
    this.logger.info({ transport: this.name, ...this.bound }, 'listening');
  }

  async stop(): Promise<void> {
    this.clock.clearTimer(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const conn of [...this.conns]) conn.close('shutdown');
    for (const socket of [...this.admitted]) socket.destroy();
    for (const [socket, timer] of this.lingering) {
      this.clock.clearTimer(timer);
      socket.destroy();
    }
    this.lingering.clear();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /**
   * Write data toward host:port: on connection `connectionId` if it is ours
   * and alive, else on a live connection to host:port, else on a new one.
   * Returns the flow when the bytes were queued on an open connection (cb is
   * not called); otherwise returns undefined and calls cb once, when the
   * connection is up or has failed.
   */
  send(data: Buffer, host: string, port: number, connectionId: string | undefined, cb: SendCallback): Flow | undefined {
    let conn = this.find(host, port, connectionId);
    if (conn === undefined) {
      if (this.server === undefined) {
        cb(new Error(`${this.name} transport is not running`), undefined);
        return undefined;
      }
      if (this.table.total >= this.limits.maxConnections) {
        this.onLimit('max-connections');
        cb(new Error(`${this.name}: connection limit reached`), undefined);
        return undefined;
      }
      conn = this.connect(host, port);
    }
    if (conn.isOpen) {
      if (conn.write(data)) return conn.flow;
      cb(conn.lastError ?? new Error(`${this.name}: connection ${conn.id} closed while sending`), undefined);
      return undefined;
    }
    // Still connecting: the socket buffers the bytes until it is up.
    if (conn.write(data)) conn.addWaiter(cb);
    else cb(new Error(`${this.name}: connection ${conn.id} closed while sending`), undefined);
    return undefined;
  }

  /**
   * Fast path of send(): queue data on an open connection for this target
   * and return its flow; undefined (nothing written) when there is none.
   */
  sendOnOpen(data: Buffer, host: string, port: number, connectionId: string | undefined): Flow | undefined {
    const conn = this.find(host, port, connectionId);
    if (conn === undefined || !conn.isOpen) return undefined;
    return conn.write(data) ? conn.flow : undefined;
  }

  private find(host: string, port: number, connectionId: string | undefined): StreamConnection | undefined {
    if (connectionId !== undefined) {
      const conn = this.table.get(connectionId);
      if (conn !== undefined && conn.transport === this.name) return conn;
    }
    return this.table.findByRemote(this.name, host, port);
  }

  // ConnectionOwner

  onFrame(conn: StreamConnection, data: Buffer): void {
    this.sink.deliver(data, conn.flow as Flow);
  }

  onFramingError(conn: StreamConnection, error: FramingError): void {
    const limit = FRAMING_LIMIT_NAMES[error.kind];
    if (limit !== undefined) this.onLimit(limit);
    this.metrics.parseError(this.name, error.reason);
    this.logger.debug({ transport: this.name, connection: conn.id, reason: error.reason }, 'framing error');
    // Let the engine answer (e.g. 400 / 513) on this connection before it goes.
    this.sink.framingError(conn.flow as Flow, error);
    if (conn.isClosed) return;
    conn.closeAfterFlush(error.kind);
    this.lingerSocket(conn.socket);
  }

  onConnected(conn: StreamConnection): void {
    conn.markOpen();
    const flow = conn.flow as Flow;
    // Findable by the address it actually reached too (the target may have been a name).
    this.table.alias(conn, flow.remoteAddress, flow.remotePort);
    this.metrics.connectionOpened(this.name);
    this.logger.debug({ transport: this.name, connection: conn.id, remote: `${flow.remoteAddress}:${flow.remotePort}` }, 'connected');
    this.sink.opened(conn.info as ConnectionInfo);
  }

  onClosed(conn: StreamConnection, reason: ConnectionCloseReason, wasOpen: boolean, truncated: boolean): void {
    this.table.remove(conn);
    this.conns.delete(conn);
    // A peer that hangs up mid-message sent a truncated message (the slow-message limit is counted on its own).
    if (truncated && (reason === 'remote-closed' || reason === 'error')) this.metrics.parseError(this.name, 'Truncated message');
    if (!wasOpen) {
      this.logger.debug({ transport: this.name, connection: conn.id, reason, err: conn.lastError }, 'connect failed');
      return;
    }
    this.metrics.connectionClosed(this.name, reason);
    this.logger.debug({ transport: this.name, connection: conn.id, reason }, 'connection closed');
    this.sink.closed(conn.info as ConnectionInfo, reason);
  }

  onSocketGone(conn: StreamConnection): void {
    const timer = this.lingering.get(conn.socket);
    if (timer !== undefined) {
      this.clock.clearTimer(timer);
      this.lingering.delete(conn.socket);
    }
  }

  onLimit(limit: string): void {
    this.metrics.limitHit(limit, this.name);
  }

  // inbound

  /** Admission for every inbound socket, before any TLS handshake work. */
  private onRawConnection(socket: Socket): void {
    const ip = normalizeAddress(socket.remoteAddress);
    if (ip === '') {
      socket.destroy(); // already gone
      return;
    }
    const refusal = this.table.admit(ip, this.limits.maxConnections, this.limits.maxConnectionsPerIp);
    if (refusal !== undefined) {
      this.onLimit(refusal === 'limit-total' ? 'max-connections' : 'max-connections-per-ip');
      this.logger.debug({ transport: this.name, ip, refusal }, 'connection refused');
      socket.destroy();
      return;
    }
    (socket as AdmittedSocket)[kAdmittedIp] = ip;
    this.admitted.add(socket);
    socket.on('close', this.releaseAdmission);
    this.onAdmitted(socket);
  }

  /** An inbound socket ready for SIP (TCP: accepted; TLS: handshake done). */
  protected accept(socket: Socket): void {
    if (socket.destroyed) return;
    socket.setNoDelay(true);
    const conn = new StreamConnection(this, socket, true);
    conn.markOpen();
    const flow = conn.flow as Flow;
    this.table.add(conn, flow.remoteAddress, flow.remotePort);
    this.conns.add(conn);
    this.metrics.connectionOpened(this.name);
    this.logger.debug({ transport: this.name, connection: conn.id, remote: `${flow.remoteAddress}:${flow.remotePort}` }, 'accepted');
    this.sink.opened(conn.info as ConnectionInfo);
  }

  // outbound

  private connect(host: string, port: number): StreamConnection {
    const socket = this.openSocket(host, port);
    socket.setNoDelay(true);
    if (this.tos > 0) this.markOutbound(socket);
    const conn = new StreamConnection(this, socket, false);
    conn.awaitConnect(this.connectedEvent);
    this.table.add(conn, host, port);
    this.conns.add(conn);
    return conn;
  }

  /** An outbound socket gets its descriptor once connecting starts (TLS: on the TCP socket below it). */
  private markOutbound(socket: Socket): void {
    const mark = (): void => {
      if (!applyTos(socket, this.tos)) {
        const raw = (socket as unknown as { _parent?: Socket })._parent;
        if (raw) applyTos(raw, this.tos);
      }
    };
    if (descriptorOf(socket) !== undefined) mark();
    else socket.once('connect', mark);
  }

  private lingerSocket(socket: Socket): void {
    if (socket.destroyed || this.lingering.has(socket)) return;
    const timer = this.clock.setTimer(LINGER_MS, () => {
      this.lingering.delete(socket);
      socket.destroy();
    });
    this.lingering.set(socket, timer);
  }

  /** One pass over this transport's connections; cheap enough to run every second. */
  private sweep(): void {
    const now = this.clock.now();
    const idle = this.config.idleTimeoutMs;
    const slow = this.limits.messageReceiveTimeoutMs;
    const connectTimeout = this.limits.connectTimeoutMs;
    for (const conn of this.conns) {
      if (!conn.isOpen) {
        if (now - conn.lastActivity >= connectTimeout) {
          conn.lastError ??= new Error(`${this.name}: connect timeout`);
          conn.close('error');
        }
      } else if (now - conn.lastActivity >= idle) {
        conn.close('idle-timeout');
      } else if (conn.hasPartial && now - conn.partialSince >= slow) {
        this.onLimit('message-receive-timeout');
        conn.close('slow-message');
      }
    }
    if (this.server !== undefined) this.sweepTimer = this.clock.setTimer(this.sweepInterval, this.sweepNow);
  }
}
