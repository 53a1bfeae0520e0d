/**
 * The transport layer facade (RFC 3261 18): starts the UDP/TCP/TLS
 * listeners, parses what they receive into messages (stamping the top Via of
 * requests, 18.2.1), and sends messages over the right flow, reusing
 * connections (18.2.2, RFC 5923) or opening new ones.
 *
 * Sending: `sendNow()` is the hot path - synchronous, no Promise; it returns
 * the Flow when the bytes were queued (UDP, or an open connection) and
 * undefined when a connection had to be opened first or the send failed, in
 * which case failures go to `onError`. `send()` wraps it in a Promise for
 * callers that want to await the connect.
 */
import { EventEmitter } from 'node:events';
import pino, { type Logger } from 'pino';
import { noopMetrics, type EngineMetrics } from '../observability.js';
import { systemClock, type Clock } from '../timers/clock.js';
import type { ParseFailure } from '../messages/types.js';
import type { SipRequest, SipResponse } from '../messages/message.js';
import { parseMessage, type ParseOptions } from '../messages/parser.js';
import { serializeMessage } from '../messages/serializer.js';
import type { ConnectionCloseReason, ConnectionInfo, Flow, SendTarget, TransportEvents } from './types.js';
import { withTransportDefaults, type TransportConfig, type TransportConfigInput } from './transport-config.js';
import { ConnectionTable } from './connection-table.js';
import type { StreamConnection } from './stream-connection.js';
import type { FramingError } from './stream-framer.js';
import type { StreamSink, StreamTransport, StreamTransportContext } from './stream-transport.js';
import { TcpTransport } from './tcp-transport.js';
import { TlsTransport } from './tls-transport.js';
import { UdpTransport, type DatagramSink } from './udp-transport.js';
import { sockoptAddon } from './socket-tos.js';
import { stampVia } from './via-stamp.js';

export interface TransportLayerDeps {
  logger?: Logger;
  metrics?: EngineMetrics;
  clock?: Clock;
}

export interface ListeningAddress {
  transport: 'udp' | 'tcp' | 'tls';
  address: string;
  port: number;
}

const CR = 13;
const LF = 10;

/** RFC 5389 6: a STUN message starts with two zero bits and carries this cookie at offset 4 (RFC 5626 4.4.2 keep-alives). */
const STUN_COOKIE = 0x2112a442;

function isKeepAliveDatagram(data: Buffer): boolean {
  for (let i = 0; i < data.length; i++) {
    const c = data[i];
    if (c !== CR && c !== LF) return false;
  }
  return true;
}

function isStun(data: Buffer): boolean {
  return data.length >= 20 && (data[0] & 0xc0) === 0 && data.readUInt32BE(4) === STUN_COOKIE;
}

function isFlow(target: SendTarget | Flow): target is Flow {
  return (target as Flow).remoteAddress !== undefined;
}

export interface TransportLayer {
  on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): this;
  once<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): this;
  off<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): this;
  emit<E extends keyof TransportEvents>(event: E, ...args: Parameters<TransportEvents[E]>): boolean;
}

export class TransportLayer extends EventEmitter implements StreamSink, DatagramSink {
  readonly config: TransportConfig;
  private readonly logger: Logger;
  private readonly metrics: EngineMetrics;
  private readonly clock: Clock;
  private readonly parseOptions: ParseOptions;
  private readonly table = new ConnectionTable<StreamConnection>();
  private udp: UdpTransport | undefined;
  private tcp: TcpTransport | undefined;
  private tls: TlsTransport | undefined;
  private started = false;

  constructor(config: TransportConfig | TransportConfigInput = {}, deps: TransportLayerDeps = {}) {
    super();
    this.config = withTransportDefaults(config);
    this.logger = deps.logger ?? pino({ level: 'silent' });
    this.metrics = deps.metrics ?? noopMetrics;
    this.clock = deps.clock ?? systemClock;
    this.parseOptions = { maxHeaders: this.config.limits.maxHeaders };
  }

  async start(): Promise<void> {
    if (this.started) return;
    const c = this.config;
    const ctx: StreamTransportContext = {
      table: this.table,
      limits: c.limits,
      sink: this,
      logger: this.logger,
      metrics: this.metrics,
      clock: this.clock,
      tos: c.tos,
    };
    if (c.tos > 0 && sockoptAddon() === null) {
      this.logger.warn({ dscp: c.tos >> 2 }, 'signalling DSCP not applied: the native helper (native/sockopt) is not built; run npm run build');
    }
    const udp = c.udp.enabled ? new UdpTransport(c.udp, this, this.logger, c.tos) : undefined;
    const tcp = c.tcp.enabled ? new TcpTransport(c.tcp, ctx) : undefined;
    const tls = c.tls.enabled ? new TlsTransport(c.tls, ctx) : undefined;
    const results = await Promise.allSettled([udp?.start(), tcp?.start(), tls?.start()]);
    this.udp = udp;
    this.tcp = tcp;
    this.tls = tls;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      await this.stopTransports();
      throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    }
    this.started = true;
  }

  /** Close the listeners and every connection (reason 'shutdown'). */
  async stop(): Promise<void> {
    this.started = false;
    await this.stopTransports();
  }

  private async stopTransports(): Promise<void> {
    const { udp, tcp, tls } = this;
    this.udp = this.tcp = this.tls = undefined;
    await Promise.all([udp?.stop(), tcp?.stop(), tls?.stop()]);
  }

  /** Bound addresses (actual ports, also when configured as 0). */
  get listening(): ListeningAddress[] {
    const out: ListeningAddress[] = [];
    const u = this.udp?.address;
    if (u) out.push({ transport: 'udp', ...u });
    const t = this.tcp?.address;
    if (t) out.push({ transport: 'tcp', ...t });
    const s = this.tls?.address;
    if (s) out.push({ transport: 'tls', ...s });
    return out;
  }

  /** Port a transport listens on, or undefined when it is not running. */
  /** TOS byte of each listening socket as the OS reports it (DSCP marking check; undefined when unreadable). */
  signallingTos(): { udp?: number; tcp?: number; tls?: number } {
    return { udp: this.udp?.socketTos, tcp: this.tcp?.listenerTos, tls: this.tls?.listenerTos };
  }

  portOf(transport: 'udp' | 'tcp' | 'tls'): number | undefined {
    return this.listening.find((l) => l.transport === transport)?.port;
  }

  /** Open TCP+TLS connections (connecting outbound ones included). */
  get connectionCount(): number {
    return this.table.size;
  }

  connection(id: string): ConnectionInfo | undefined {
    return this.table.get(id)?.info;
  }

  connections(): ConnectionInfo[] {
    const out: ConnectionInfo[] = [];
    for (const c of this.table.values()) if (c.info !== undefined) out.push(c.info);
    return out;
  }

  /** Close a connection by id; false if there is none. */
  close(connectionId: string, reason: ConnectionCloseReason = 'shutdown'): boolean {
    const conn = this.table.get(connectionId);
    if (conn === undefined) return false;
    conn.close(reason);
    return true;
  }

  /**
   * RFC 5923 hook: make an open connection also serve sends toward host:port
   * (e.g. the sent-by of a Via with 'alias', once the caller trusts it).
   */
  addAlias(connectionId: string, host: string, port: number): boolean {
    const conn = this.table.get(connectionId);
    if (conn === undefined || !conn.isOpen) return false;
    this.table.alias(conn, host, port);
    return true;
  }

  /**
   * Send synchronously when possible. Returns the flow used, or undefined
   * when a connection is being opened (the bytes go out once it is up) or
   * the send failed; failures, now or later, are passed to onError.
   */
  sendNow(msg: SipRequest | SipResponse | Buffer, target: SendTarget | Flow, onError?: (err: Error) => void): Flow | undefined {
    const flow = this.dispatch(msg, target, onError === undefined ? ignoreResult : (err) => {
      if (err !== undefined) onError(err);
    });
    return flow;
  }

  /** Send, resolving with the flow used once the bytes are queued (after connecting if needed). */
  send(msg: SipRequest | SipResponse | Buffer, target: SendTarget | Flow): Promise<Flow> {
    let settle: ((err: Error | undefined, flow: Flow | undefined) => void) | undefined;
    const promise = new Promise<Flow>((resolve, reject) => {
      settle = (err, flow) => {
        if (err !== undefined || flow === undefined) reject(err ?? new Error('send failed'));
        else resolve(flow);
      };
    });
    // When the flow comes back at once, this promise is dropped; a late UDP send error must not become an unhandled rejection.
    promise.catch(ignoreResult);
    const flow = this.dispatch(msg, target, settle as (err: Error | undefined, flow: Flow | undefined) => void);
    return flow !== undefined ? Promise.resolve(flow) : promise;
  }

  private dispatch(
    msg: SipRequest | SipResponse | Buffer,
    target: SendTarget | Flow,
    cb: (err: Error | undefined, flow: Flow | undefined) => void,
  ): Flow | undefined {
    const data = Buffer.isBuffer(msg) ? msg : serializeMessage(msg);
    const transport = target.transport;
    let host: string;
    let port: number;
    if (isFlow(target)) {
      host = target.remoteAddress;
      port = target.remotePort;
    } else {
      host = target.host;
      port = target.port;
    }
    let flow: Flow | undefined;
    if (transport === 'udp') {
      const udp = this.udp;
      if (udp === undefined) {
        cb(new Error('udp transport is not running'), undefined);
        return undefined;
      }
      udp.send(data, host, port, cb === ignoreResult ? undefined : (err) => cb(err, undefined));
      flow = isFlow(target) ? target : udp.flowTo(host, port);
    } else {
      const stream: StreamTransport | undefined = transport === 'tcp' ? this.tcp : transport === 'tls' ? this.tls : undefined;
      if (stream === undefined) {
        cb(new Error(`${transport} transport is not running`), undefined);
        return undefined;
      }
      // Open connection: no callback wrapper allocated. Otherwise connect (or fail) and count once sent.
      flow = stream.sendOnOpen(data, host, port, target.connectionId);
      if (flow === undefined) {
        const done = Buffer.isBuffer(msg) ? cb : this.counted(msg, cb);
        // Usually connects; returns a flow only if the write above failed and another open connection fits.
        flow = stream.send(data, host, port, target.connectionId, done);
        if (flow === undefined) return undefined;
      }
    }
    if (flow !== undefined && !Buffer.isBuffer(msg)) this.countOut(transport, msg);
    return flow;
  }

  /** Count a message sent after an asynchronous connect. */
  private counted(
    msg: SipRequest | SipResponse,
    cb: (err: Error | undefined, flow: Flow | undefined) => void,
  ): (err: Error | undefined, flow: Flow | undefined) => void {
    return (err, flow) => {
      if (err === undefined && flow !== undefined) this.countOut(flow.transport, msg);
      cb(err, flow);
    };
  }

  private countOut(transport: Flow['transport'], msg: SipRequest | SipResponse): void {
    if (msg.kind === 'request') this.metrics.messageOut(transport, 'request', msg.method);
    else this.metrics.messageOut(transport, 'response', msg.cseq.method);
  }

  // Receiving (StreamSink / DatagramSink)

  /** @internal */
  datagram(data: Buffer, flow: Flow): void {
    if (data.length > this.config.limits.maxMessageBytes) {
      this.metrics.limitHit('max-message-bytes', 'udp');
      this.refuse(data, flow, 'Message Too Large', 513);
      return;
    }
    // RFC 5626 4.4: CRLF or STUN keep-alives are not SIP and not errors.
    if (isKeepAliveDatagram(data) || isStun(data)) return;
    this.deliver(data, flow);
  }

  /** @internal */
  deliver(data: Buffer, flow: Flow): void {
    const result = parseMessage(data, this.parseOptions);
    if (!result.ok) {
      this.metrics.parseError(flow.transport, result.reason);
      try {
        this.emit('invalid', result, flow);
      } catch (err) {
        this.logger.error({ err }, "'invalid' listener threw");
      }
      return;
    }
    const msg = result.message;
    if (msg.kind === 'request') {
      stampVia(msg, flow.remoteAddress, flow.remotePort);
      this.metrics.messageIn(flow.transport, 'request', msg.method);
    } else {
      this.metrics.messageIn(flow.transport, 'response', msg.cseq.method);
    }
    try {
      this.emit('message', msg, flow);
    } catch (err) {
      // A throwing listener must not break framing of the rest of the read.
      this.logger.error({ err }, "'message' listener threw");
    }
  }

  /** @internal */
  framingError(flow: Flow, error: FramingError): void {
    // Counted by the stream transport; here only the chance to answer.
    const status = error.kind === 'message-too-large' ? 513 : 400;
    this.emitInvalid(error.head, flow, error.reason, status);
  }

  /** @internal */
  opened(info: ConnectionInfo): void {
    this.emit('connection:open', info);
  }

  /** @internal */
  closed(info: ConnectionInfo, reason: ConnectionCloseReason): void {
    this.emit('connection:close', info, reason);
  }

  /** A datagram refused before parsing: count it and offer it for an answer. */
  private refuse(data: Buffer, flow: Flow, reason: string, status: number): void {
    this.metrics.parseError(flow.transport, reason);
    this.emitInvalid(data, flow, reason, status);
  }

  /** Emit 'invalid' with our reason/status, and the request to answer if the bytes yield one. */
  private emitInvalid(head: Buffer | undefined, flow: Flow, reason: string, status: number): void {
    const failure: ParseFailure = { ok: false, reason, status };
    if (head !== undefined) {
      const parsed = parseMessage(head, this.parseOptions);
      const answerable = parsed.ok ? (parsed.message.kind === 'request' ? parsed.message : undefined) : parsed.answerable;
      if (answerable !== undefined) {
        try {
          stampVia(answerable, flow.remoteAddress, flow.remotePort);
        } catch {
          // Its first Via line is the broken part; the engine decides what to do with it.
        }
        failure.answerable = answerable;
      }
    }
    try {
      this.emit('invalid', failure, flow);
    } catch (err) {
      this.logger.error({ err }, "'invalid' listener threw");
    }
  }
}

function ignoreResult(): void {}
