/**
 * The gateway's SIP policy as a drachtio-srf application. It reaches the SIP engine only through the drachtio
 * control channel (embedded engine or an external drachtio-server alike), never by import.
 */
import Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { AllowedUriNames } from '../registrar/allowed-names.js';
import type { Registrar } from '../registrar/registrar.js';
import type { RequestAdmission } from '../registrar/request-admission.js';
import type { CallRouter } from '../calls/call-router.js';
import type { AppOverload } from './app-overload.js';
import { answerOptionsProbes } from './options-keepalive.js';
import { snapshotProcessEnv } from './process-env-snapshot.js';
import { quietSrfDebugStrings } from './srf-debug-strings.js';
import { methodRouting, type RequestHandler } from './srf-routing.js';
import { connectSrf, disconnectSrf, type DrachtioEndpoint } from './srf-connection.js';

export type { DrachtioEndpoint };

export interface SipedgeAppOptions {
  drachtio: DrachtioEndpoint;
  logger: Logger;
  /** How long start() waits for the server to accept us (default 10 s). */
  connectTimeoutMs?: number;
  /** Registrar and device admission; without them the app only answers OPTIONS. */
  gateway?: GatewayPolicy;
}

export interface GatewayPolicy {
  registrar: Registrar;
  admission: RequestAdmission;
  allowed: AllowedUriNames;
  /** Methods that need an authenticated device (besides REGISTER). */
  authMethods: ReadonlySet<string>;
  /** What a Request-URI host that is not ours gets (404 or 403). */
  foreignHostStatus: number;
  /** Call routing on this app's srf; without it admitted calls get 480. */
  createRouter?: (srf: Srf) => CallRouter;
  /** Sheds new requests while the app's event loop lags (started and stopped with the app). */
  overload?: AppOverload;
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
    snapshotProcessEnv();
    quietSrfDebugStrings();
    this.log = options.logger.child({ component: 'app' });
    const gw = options.gateway;
    answerOptionsProbes(this.srf, gw && { allowed: gw.allowed, status: gw.foreignHostStatus });
    if (gw !== undefined) this.routeDeviceRequests(gw);
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

  private routeDeviceRequests(gw: GatewayPolicy): void {
    const routing = methodRouting(this.srf);
    const shed = (handler: RequestHandler): RequestHandler => {
      const overload = gw.overload;
      if (overload === undefined) return handler;
      const busy = { headers: { 'Retry-After': String(overload.retryAfterS) } };
      return (req, res) => (overload.admit(req.method) ? handler(req, res) : res.send(503, busy));
    };
    routing.register(shed(gw.registrar.onRegister));
    this.router = gw.createRouter?.(this.srf);
    const router = this.router;
    // Without call routing, an admitted request has nowhere to go: 480, so a device retries later instead of
    // treating the gateway as broken.
    const handler: RequestHandler =
      router?.handle ??
      ((req, res) => {
        void gw.admission.admit(req, res).then((admitted) => {
          if (admitted !== undefined) res.send(480, 'Temporarily Unavailable', {});
        });
      });
    for (const m of ['invite', 'subscribe', 'message', 'publish', 'notify', 'refer'] as const) routing[m](shed(handler));
  }

  /** Call routing, when the gateway policy provides it. */
  router: CallRouter | undefined;

  /** Connects to the drachtio server; resolves once authenticated and routes are sent. */
  async start(): Promise<AppConnected> {
    const result = await connectSrf(this.srf, this.options.drachtio, this.log, this.options.connectTimeoutMs ?? 10_000);
    // The server's own SIP addresses are allowed Request-URI hosts too ('tcp/127.0.0.1:5060').
    for (const hp of result.hostports) {
      const host = /^[a-z]+\/(.*):\d+$/i.exec(hp)?.[1];
      if (host !== undefined) this.options.gateway?.allowed.add(host);
    }
    this.router?.setListeningPoints(result.hostports);
    this.options.gateway?.overload?.start();
    this.connected = true;
    this.log.info({ ...result, server: `${this.options.drachtio.host}:${this.options.drachtio.port}` }, 'app connected to drachtio server');
    return result;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.options.gateway?.overload?.stop();
    // Calls through a stopping node cannot go on: BYE both legs now rather than leaving them to time out, and give
    // the BYEs a moment to leave before the control channel closes.
    const hungUp = this.router?.hangUpAll('node-stopping') ?? 0;
    if (hungUp > 0) {
      this.log.info({ calls: hungUp }, 'hung up bridged calls');
      await new Promise((r) => setTimeout(r, 200));
    }
    this.connected = false;
    disconnectSrf(this.srf);
    this.log.info('app disconnected');
  }
}
