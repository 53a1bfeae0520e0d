// A minimal SIP client over one TLS (or plain TCP) connection, for tests that need to poke a
// server directly: send requests, match the final responses by Call-ID + CSeq, see what else
// arrives, and observe the connection closing. Self-contained on purpose (see sip-message.ts).
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import {
  buildResponse,
  parseSipMessage,
  SipStreamFramer,
  transactionKey,
  type ResponseSpec,
  type SipRequest,
  type SipResponse,
} from './sip-message.js';

export type StreamTransport = 'tls' | 'tcp';

export interface ConnectOptions {
  host?: string;
  port: number;
  transport?: StreamTransport;
  /** CA certificate(s) (PEM text) trusted for the server. */
  ca?: string | Buffer;
  /** Path of a CA PEM file, as an alternative to `ca`. */
  caFile?: string;
  /** Client certificate and key (PEM) for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** SNI and the name checked against the certificate (default 'localhost'). */
  servername?: string;
  /** Verify the server certificate (default true). */
  rejectUnauthorized?: boolean;
  connectTimeoutMs?: number;
}

/** Values a request builder can use to fill Via/Contact with the real local address. */
export interface RequestContext {
  transport: 'TLS' | 'TCP';
  localAddress: string;
  localPort: number;
  /** "address:port" for a Via sent-by or Contact. */
  sentBy: string;
}

export type RequestBuilder = (ctx: RequestContext) => string;

export interface ResponseWithProvisionals extends SipResponse {
  /** 1xx responses seen before this final one. */
  provisional: SipResponse[];
}

export interface RequestOptions {
  timeoutMs?: number;
}

export interface TlsInfo {
  authorized: boolean;
  authorizationError: string | null;
  protocol: string | null;
  peerSubjectCN: string | null;
}

export interface SipStreamClient {
  readonly transport: StreamTransport;
  readonly context: RequestContext;
  /** TLS session facts (null over TCP). */
  readonly tls: TlsInfo | null;
  /** Sends a request and resolves with its final response. */
  request(message: string | RequestBuilder, opts?: RequestOptions): Promise<ResponseWithProvisionals>;
  /** Writes bytes as they are (malformed input, keep-alives, partial messages). */
  sendRaw(bytes: string | Buffer): void;
  /** Called for each request the server sends us; `reply` answers it on this connection. */
  onRequest(handler: (req: SipRequest, reply: (status: number, reason: string, spec?: ResponseSpec) => void) => void): void;
  /** Resolves with the next server-initiated request of `method` (or any, if omitted). */
  waitForRequest(method?: string, timeoutMs?: number): Promise<SipRequest>;
  /** Responses that matched no pending request (e.g. retransmissions). */
  readonly strayResponses: SipResponse[];
  /** CRLF keep-alives received. */
  readonly keepAlivesReceived: number;
  onClose(handler: (hadError: boolean) => void): void;
  /** Resolves once the connection is fully closed, by either side. */
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
  close(): Promise<void>;
}

interface Pending {
  resolve: (r: ResponseWithProvisionals) => void;
  reject: (e: Error) => void;
  provisional: SipResponse[];
  timer: NodeJS.Timeout;
}

class StreamClient implements SipStreamClient {
  readonly strayResponses: SipResponse[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  private readonly framer = new SipStreamFramer();
  private readonly pending = new Map<string, Pending>();
  private readonly requestHandlers: Array<Parameters<SipStreamClient['onRequest']>[0]> = [];
  private readonly unclaimed: SipRequest[] = [];
  private readonly requestWaiters: Array<{ method?: string; resolve: (r: SipRequest) => void }> = [];
  private readonly closeHandlers: Array<(hadError: boolean) => void> = [];
  private hadError = false;

  constructor(
    private readonly socket: Socket | TLSSocket,
    readonly transport: StreamTransport,
    readonly context: RequestContext,
    readonly tls: TlsInfo | null,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {
      this.hadError = true;
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        for (const [key, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new Error(`connection closed before a final response (${key.replace(/\n/g, ' ')})`));
        }
        this.pending.clear();
        for (const h of this.closeHandlers) h(this.hadError);
        resolve();
      });
    });
  }

  get keepAlivesReceived(): number {
    return this.framer.keepAlives;
  }

  private onData(chunk: Buffer): void {
    let texts: string[];
    try {
      texts = this.framer.push(chunk);
    } catch {
      this.socket.destroy();
      return;
    }
    for (const text of texts) {
      let msg;
      try {
        msg = parseSipMessage(text);
      } catch {
        continue; // a test peer ignores garbage, as a UA would
      }
      if (msg.kind === 'response') this.onResponse(msg);
      else this.onServerRequest(msg);
    }
  }

  private onResponse(res: SipResponse): void {
    let key: string;
    try {
      key = transactionKey(res);
    } catch {
      this.strayResponses.push(res);
      return;
    }
    const p = this.pending.get(key);
    if (!p) {
      this.strayResponses.push(res);
      return;
    }
    if (res.status < 200) {
      p.provisional.push(res);
      return;
    }
    clearTimeout(p.timer);
    this.pending.delete(key);
    p.resolve({ ...res, provisional: p.provisional });
  }

  private onServerRequest(req: SipRequest): void {
    const reply = (status: number, reason: string, spec?: ResponseSpec): void => {
      this.sendRaw(buildResponse(req, status, reason, spec));
    };
    const waiter = this.requestWaiters.findIndex((w) => !w.method || w.method === req.method);
    if (waiter >= 0) {
      const [w] = this.requestWaiters.splice(waiter, 1);
      w?.resolve(req);
    } else if (this.requestHandlers.length === 0) {
      this.unclaimed.push(req);
    }
    for (const h of this.requestHandlers) h(req, reply);
  }

  request(message: string | RequestBuilder, opts: RequestOptions = {}): Promise<ResponseWithProvisionals> {
    const text = typeof message === 'string' ? message : message(this.context);
    const req = parseSipMessage(text);
    if (req.kind !== 'request') return Promise.reject(new Error('request(): text is a response'));
    const key = transactionKey(req);
    if (this.isClosed) return Promise.reject(new Error('request(): connection is closed'));
    if (this.pending.has(key)) return Promise.reject(new Error(`request(): ${key.replace(/\n/g, ' ')} already pending`));
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new Error(`no final response to ${req.method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(key, { resolve, reject, provisional: [], timer });
      this.socket.write(text);
    });
  }

  sendRaw(bytes: string | Buffer): void {
    if (!this.isClosed) this.socket.write(bytes);
  }

  onRequest(handler: Parameters<SipStreamClient['onRequest']>[0]): void {
    this.requestHandlers.push(handler);
  }

  waitForRequest(method?: string, timeoutMs = 5000): Promise<SipRequest> {
    const wanted = method?.toUpperCase();
    const idx = this.unclaimed.findIndex((r) => !wanted || r.method === wanted);
    if (idx >= 0) return Promise.resolve(this.unclaimed.splice(idx, 1)[0] as SipRequest);
    return new Promise((resolve, reject) => {
      const entry = {
        method: wanted,
        resolve: (r: SipRequest) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        const i = this.requestWaiters.indexOf(entry);
        if (i >= 0) this.requestWaiters.splice(i, 1);
        reject(new Error(`no ${wanted ?? 'request'} from the server within ${timeoutMs} ms`));
      }, timeoutMs);
      this.requestWaiters.push(entry);
    });
  }

  onClose(handler: (hadError: boolean) => void): void {
    if (this.isClosed) handler(this.hadError);
    else this.closeHandlers.push(handler);
  }

  async close(): Promise<void> {
    if (!this.isClosed) {
      this.socket.end();
      // A peer that never closes its side must not hang the test.
      const timer = setTimeout(() => this.socket.destroy(), 1000);
      await this.closed;
      clearTimeout(timer);
    }
  }
}

/** Opens a TLS (default) or TCP connection to a SIP server on loopback. */
export function connect(opts: ConnectOptions): Promise<SipStreamClient> {
  const host = opts.host ?? '127.0.0.1';
  const transport = opts.transport ?? 'tls';
  const timeoutMs = opts.connectTimeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    let socket: Socket | TLSSocket;
    const ready = (): void => {
      clearTimeout(timer);
      socket.removeListener('error', fail);
      const localAddress = socket.localAddress ?? '127.0.0.1';
      const localPort = socket.localPort ?? 0;
      const context: RequestContext = {
        transport: transport === 'tls' ? 'TLS' : 'TCP',
        localAddress,
        localPort,
        sentBy: `${localAddress}:${localPort}`,
      };
      let info: TlsInfo | null = null;
      if (transport === 'tls') {
        const s = socket as TLSSocket;
        const cn = s.getPeerCertificate()?.subject?.CN;
        info = {
          authorized: s.authorized,
          authorizationError: s.authorizationError ? String(s.authorizationError) : null,
          protocol: s.getProtocol(),
          peerSubjectCN: typeof cn === 'string' ? cn : null,
        };
      }
      resolve(new StreamClient(socket, transport, context, info));
    };
    const fail = (e: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`connect to ${transport}://${host}:${opts.port} failed: ${e.message}`));
    };
    if (transport === 'tls') {
      const ca = opts.ca ?? (opts.caFile ? readFileSync(opts.caFile) : undefined);
      socket = tlsConnect({
        host,
        port: opts.port,
        ca,
        cert: opts.cert,
        key: opts.key,
        servername: opts.servername ?? 'localhost',
        rejectUnauthorized: opts.rejectUnauthorized ?? true,
      });
      socket.once('secureConnect', ready);
    } else {
      socket = netConnect({ host, port: opts.port });
      socket.once('connect', ready);
    }
    socket.once('error', fail);
    const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
}
