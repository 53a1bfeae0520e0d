/**
 * One SIP connection over a TCP or TLS socket (RFC 3261 18.3): frames the
 * byte stream, remembers when traffic last flowed (for the idle sweep), and
 * writes with a bound on the unsent backlog. Socket events go through
 * shared module-level handlers, so a connection costs no closures.
 */
import type { Socket } from 'node:net';
import type { Clock } from '../timers/clock.js';
import type { ConnectionCloseReason, ConnectionInfo, Flow } from './types.js';
import type { TableEntry } from './connection-table.js';
import { StreamFramer, type FrameSink, type FramerLimits, type FramingError } from './stream-framer.js';
import { normalizeAddress } from './address.js';
import { TickBatcher } from '../../common/tick-batcher.js';

/** Called once when an asynchronous send resolves: connected (flow) or failed (err). */
export type SendCallback = (err: Error | undefined, flow: Flow | undefined) => void;

/** What a connection needs from the transport that owns it. */
export interface ConnectionOwner {
  readonly name: 'tcp' | 'tls';
  readonly clock: Clock;
  readonly framerLimits: FramerLimits;
  readonly maxWriteBacklogBytes: number;
  onFrame(conn: StreamConnection, data: Buffer): void;
  onFramingError(conn: StreamConnection, error: FramingError): void;
  /** An outbound connection finished connecting (and its TLS handshake). */
  onConnected(conn: StreamConnection): void;
  /**
   * The connection left the open/connecting state; wasOpen tells whether
   * 'connection:open' had been reported, truncated whether a message was
   * cut off half-way.
   */
  onClosed(conn: StreamConnection, reason: ConnectionCloseReason, wasOpen: boolean, truncated: boolean): void;
  /** The socket of a connection is fully closed. */
  onSocketGone(conn: StreamConnection): void;
  onLimit(limit: string): void;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

const PONG = Buffer.from('\r\n', 'latin1');

const kConnection = Symbol('sipConnection');
type OwnedSocket = Socket & { [kConnection]?: StreamConnection };

let lastId = 0;
/** Short ids, unique for the process lifetime. */
export function nextConnectionId(): string {
  return 'c' + (++lastId).toString(36);
}

function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[kConnection]?.receive(chunk);
}

function onSocketError(this: OwnedSocket, err: Error): void {
  const conn = this[kConnection];
  // 'close' follows; remember why.
  if (conn !== undefined && conn.lastError === undefined) conn.lastError = err;
}

function onSocketClose(this: OwnedSocket): void {
  this[kConnection]?.socketClosed();
}

function onSocketConnected(this: OwnedSocket): void {
  this[kConnection]?.connected();
}

export class StreamConnection implements FrameSink, TableEntry {
  readonly id: string;
  remoteKeys: string[] | string | undefined = undefined;
  /** Clock time of the last byte read or written (or of the connect attempt). */
  lastActivity: number;
  /** Set once open; frozen and shared by every message on this connection. */
  flow: Flow | undefined = undefined;
  info: ConnectionInfo | undefined = undefined;
  lastError: Error | undefined = undefined;
  private state = CONNECTING;
  private readonly framer: StreamFramer;
  private readonly batcher: TickBatcher;
  /** Sends waiting for an outbound connect; allocated only then. */
  private waiters: SendCallback[] | undefined = undefined;

  constructor(
    private readonly owner: ConnectionOwner,
    readonly socket: Socket,
    readonly inbound: boolean,
  ) {
    this.id = nextConnectionId();
    this.lastActivity = owner.clock.now();
    this.framer = new StreamFramer(owner.framerLimits);
    this.batcher = new TickBatcher(socket);
    const s = socket as OwnedSocket;
    s[kConnection] = this;
    s.on('data', onSocketData);
    s.on('error', onSocketError);
    s.on('close', onSocketClose);
  }

  get transport(): 'tcp' | 'tls' {
    return this.owner.name;
  }

  get isOpen(): boolean {
    return this.state === OPEN;
  }

  get isClosed(): boolean {
    return this.state === CLOSED;
  }

  get hasPartial(): boolean {
    return this.framer.hasPartial;
  }

  get partialSince(): number {
    return this.framer.partialSince;
  }

  /** For an outbound socket: report onConnected when `event` ('connect' / 'secureConnect') fires. */
  awaitConnect(event: string): void {
    this.socket.once(event, onSocketConnected);
  }

  addWaiter(cb: SendCallback): void {
    if (this.waiters === undefined) this.waiters = [cb];
    else this.waiters.push(cb);
  }

  /** Fill in the flow from the socket's addresses and mark open. */
  markOpen(): void {
    const s = this.socket;
    const localAddress = normalizeAddress(s.localAddress);
    const localPort = s.localPort ?? 0;
    const remoteAddress = normalizeAddress(s.remoteAddress);
    const remotePort = s.remotePort ?? 0;
    const transport = this.owner.name;
    this.flow = Object.freeze({ transport, localAddress, localPort, remoteAddress, remotePort, connectionId: this.id });
    this.info = Object.freeze({ id: this.id, transport, localAddress, localPort, remoteAddress, remotePort, inbound: this.inbound });
    this.state = OPEN;
    this.lastActivity = this.owner.clock.now();
  }

  /** @internal from the shared socket handler */
  connected(): void {
    if (this.state !== CONNECTING) return;
    this.owner.onConnected(this);
    const waiters = this.waiters;
    if (waiters !== undefined) {
      this.waiters = undefined;
      for (const cb of waiters) cb(undefined, this.flow);
    }
  }

  /** @internal from the shared socket handler */
  receive(chunk: Buffer): void {
    if (this.state !== OPEN) return;
    this.lastActivity = this.owner.clock.now();
    this.framer.push(chunk, this.lastActivity, this);
  }

  onFrame(message: Buffer): void {
    this.owner.onFrame(this, message);
  }

  onKeepAlive(): void {
    // RFC 5626 4.4.1: answer a CRLFCRLF ping with a CRLF pong.
    this.write(PONG);
  }

  onFramingError(error: FramingError): void {
    this.owner.onFramingError(this, error);
  }

  /**
   * Queue bytes on the socket. False when the connection is closed, or when
   * this write pushed the unsent backlog over the limit (the connection is
   * then closed and the bytes are lost).
   */
  write(data: Buffer): boolean {
    if (this.state === CLOSED) return false;
    const s = this.socket;
    // Sends of one tick (answers to a read, several app commands read at once) leave in one writev.
    this.batcher.batch();
    s.write(data);
    // While connecting, lastActivity stays the connect start so the connect timeout holds.
    if (this.state === OPEN) this.lastActivity = this.owner.clock.now();
    if (s.writableLength > this.owner.maxWriteBacklogBytes) {
      this.owner.onLimit('write-backlog');
      this.close('write-backlog');
      return false;
    }
    return true;
  }

  /** Close now, discarding unsent data. */
  close(reason: ConnectionCloseReason): void {
    if (this.state === CLOSED) return;
    this.finish(reason);
    this.socket.destroy();
  }

  /** Close after unsent data (e.g. a 400 for a framing error) is flushed; the owner bounds how long that may take. */
  closeAfterFlush(reason: ConnectionCloseReason): void {
    if (this.state === CLOSED) return;
    this.finish(reason);
    this.socket.end();
  }

  /** @internal from the shared socket handler */
  socketClosed(): void {
    if (this.state !== CLOSED) this.finish(this.lastError !== undefined ? 'error' : 'remote-closed');
    (this.socket as OwnedSocket)[kConnection] = undefined;
    this.owner.onSocketGone(this);
  }

  private finish(reason: ConnectionCloseReason): void {
    const wasOpen = this.state === OPEN;
    const truncated = this.framer.hasPartial;
    this.state = CLOSED;
    this.framer.dispose();
    this.owner.onClosed(this, reason, wasOpen, truncated);
    const waiters = this.waiters;
    if (waiters !== undefined) {
      this.waiters = undefined;
      const err = this.lastError ?? new Error(`connection ${this.id} closed (${reason})`);
      for (const cb of waiters) cb(err, undefined);
    }
  }
}
