/**
 * The gateway's SIP policy as a drachtio-srf application. It reaches the SIP engine only through the drachtio
 * control channel (embedded engine or an external drachtio-server alike), never by import.
 */
import Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { answerOptionsProbes } from './options-keepalive.js';
import { connectSrf, disconnectSrf, type DrachtioEndpoint } from './srf-connection.js';

export type { DrachtioEndpoint };

export interface SipedgeAppOptions {
  drachtio: DrachtioEndpoint;
  logger: Logger;
  /** How long start() waits for the server to accept us (default 10 s). */
  connectTimeoutMs?: number;
}

export interface AppConnected {
  /** SIP listening points the server advertised, e.g. ['udp/127.0.0.1:5060', 'tcp/127.0.0.1:5060']. */
  hostports: string[];
  serverVersion: string;
}

export class SipedgeApp {
  readonly srf = new Srf();
  private readonly log: Logger;
  private connected = false;
  private stopping = false;

  constructor(private readonly options: SipedgeAppOptions) {
    this.log = options.logger.child({ component: 'app' });
    answerOptionsProbes(this.srf);
    // Track the connection across srf's own reconnects, for /health.
    const events = this.srf as unknown as NodeJS.EventEmitter;
    events.on('close', () => {
      if (this.connected) this.log.warn('lost the drachtio connection; srf reconnects');
      this.connected = false;
    });
    events.on('connect', (err: Error | null) => {
      if (!err && !this.stopping) this.connected = true;
    });
  }

  /** Connects to the drachtio server; resolves once authenticated and routes are sent. */
  async start(): Promise<AppConnected> {
    const result = await connectSrf(this.srf, this.options.drachtio, this.log, this.options.connectTimeoutMs ?? 10_000);
    this.connected = true;
    this.log.info({ ...result, server: `${this.options.drachtio.host}:${this.options.drachtio.port}` }, 'app connected to drachtio server');
    return result;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.connected = false;
    disconnectSrf(this.srf);
    this.log.info('app disconnected');
  }
}
