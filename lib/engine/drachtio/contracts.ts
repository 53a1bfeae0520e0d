/**
 * Contracts between the parts of the drachtio wire-protocol server (see
 * ../shared/docs/drachtio-protocol.md, "the spec" below):
 *
 *   wire/      control channel: framing (spec 1), authenticate/route/ping (3-5), frame formats (6.5, 7, 9.2, 10)
 *   sip-text/  reading the SIP text apps send, and the header rules applied to it (6.3, 6.4)
 *   resolver/  RFC 3263 next-hop resolution (13.1, proxy targets)
 *   ua/        UAS, UAC, dialogs, CANCEL, 100rel: the `sip` command and network requests (6.2, 7, 8, 11, 12, 13, 14.4)
 *   proxy/     the `proxy` command (9)
 *   drachtio-server.ts  wires them to the SipEngine (it is the engine's EngineUser)
 *
 * Each part depends only on the interfaces here, not on another part's classes.
 */
import type { SipRequest, SipResponse } from '../messages/message.js';
import type { Flow, SendTarget } from '../transport/types.js';

/** One authenticated application connection on the control channel. */
export interface AppConnection {
  /** Stable id for logs and maps ('a' + counter). */
  readonly id: string;
  /** Tags the app sent with `authenticate` (spec 3.1). */
  readonly tags: readonly string[];
  readonly closed: boolean;
  /** Write one frame whose payload is `payload` (the codec adds `<bytes>#`). No-op once closed. */
  sendFrame(payload: string): void;
}

/** A parsed A->S frame leader plus the SIP text after the first CRLF (spec 1.2). */
export interface AppCommand {
  /** Field 0: the app's message id. */
  msgId: string;
  /** Field 1: 'sip' | 'proxy' | ... */
  type: string;
  /** All leader fields, index as in the spec tables (fields[0] = msgId). */
  fields: string[];
  /** Text after the leader's CRLF ('' when none). */
  sipText: string;
}

/** What the control channel hands to the SIP side. Each command must get exactly one reply (proxy: several). */
export interface CommandHandler {
  /** `sip` command (spec 6). Reply with `reply.ok(...)`/`reply.nok(...)` through the connection. */
  onSipCommand(conn: AppConnection, cmd: AppCommand): void;
  /** `proxy` command (spec 9). */
  onProxyCommand(conn: AppConnection, cmd: AppCommand): void;
  /** The connection closed: drop its routes' pending work (spec 15). */
  onAppClosed(conn: AppConnection): void;
}

/** Which app gets a new network request (spec 11.2: round-robin among connections that routed the method). */
export interface AppRouter {
  /** Next connection for this method (case-insensitive), or undefined when none routed it. */
  pick(method: string): AppConnection | undefined;
  /** Next connection for a CDR stream ('cdr:attempt' | 'cdr:start' | 'cdr:stop'), if any. */
  pickCdr(type: 'cdr:attempt' | 'cdr:start' | 'cdr:stop'): AppConnection | undefined;
}

/** The engine's SIP addresses, as advertised to apps and used for Via/Contact/Record-Route and loop checks. */
export interface LocalAddresses {
  /** e.g. 'udp/127.0.0.1:5060,tcp/127.0.0.1:5060' (spec 3.2). */
  hostports(): string;
  /** The listening point for a transport, or undefined if not listening on it. */
  listener(transport: 'udp' | 'tcp' | 'tls'): { host: string; port: number } | undefined;
  /** True when host[:port] names this engine (any listening address, configured names; spec 13.1, 18). */
  isLocal(host: string, port?: number): boolean;
}

/** What ua/ and proxy/ need from the engine below. */
export interface SipEngineAccess {
  sendRequest(
    req: SipRequest,
    target: SendTarget,
    user: import('../transactions/transaction-user.js').ClientTransactionUser,
  ): import('../transactions/transaction-user.js').ClientTransaction;
  sendStateless(msg: SipRequest | SipResponse, target: SendTarget | Flow): Promise<Flow>;
}

/** A network request that was delivered to an app and has not been answered yet (spec 11.2 "pending"). */
export interface PendingRequests {
  /**
   * Take over the server transaction of a pending request for the proxy (spec 9.3: proxying takes over the
   * server transaction; the app will not respond). Undefined if unknown or already answered.
   */
  takeForProxy(transactionId: string, conn: AppConnection): import('../transactions/transaction-user.js').ServerTransaction | undefined;
}

/** Resolution of a SIP URI to ordered targets (RFC 3263, RFC 2782 selection). */
export interface NextHopResolver {
  resolve(uri: string, opts?: { transport?: 'udp' | 'tcp' | 'tls' }): Promise<SendTarget[]>;
}
