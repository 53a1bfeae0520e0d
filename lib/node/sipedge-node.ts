/**
 * Composition root of one sipedge node: config -> logger, metrics registry, SIP side, gateway app, admin server;
 * one lifecycle (start / stop, reverse order).
 *
 * The SIP side is one of:
 *  - the embedded engine with its drachtio control channel (`drachtio.mode: embedded`), the app connected to it;
 *  - an external drachtio-server (`drachtio.mode: external`): no engine here, the app connects to it;
 *  - the engine alone (role 'engine': `sipedge engine`), serving any drachtio-srf app;
 *  - the bare SipEngine with a given transaction user (tests that drive the engine below the drachtio layer).
 */
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { SipedgeConfig } from '../config/config-schema.js';
import { SipEngine, type EngineUser } from '../engine/core/sip-engine.js';
import { createEngineMetrics } from '../engine/engine-metrics.js';
import { startEmbeddedEngine, type EmbeddedEngine } from '../engine/drachtio/embedded-engine.js';
import { SipedgeApp } from '../app/sipedge-app.js';
import { createLogger } from '../observability/logger.js';
import { AdminServer } from '../observability/admin-server.js';
import { engineOptionsFrom } from './engine-options.js';

export interface NodeAddresses {
  udp?: { address: string; port: number };
  tcp?: { address: string; port: number };
  tls?: { address: string; port: number };
  admin?: { address: string; port: number };
  /** The drachtio control channel: the embedded engine's, or the external server the app uses. */
  drachtio?: { address: string; port: number };
}

/** 'gateway': SIP side + app (what `sipedge start` runs); 'engine': embedded engine + control channel only. */
export type NodeRole = 'gateway' | 'engine';

export interface SipedgeNodeOptions {
  role?: NodeRole;
  /** Bare-engine mode: this transaction user instead of the drachtio layer and app (tests). */
  engineUser?: (engine: SipEngine) => EngineUser;
}

export class SipedgeNode {
  readonly registry = new Registry();
  readonly log: Logger;
  private engine?: SipEngine;
  private embedded?: EmbeddedEngine;
  private app?: SipedgeApp;
  private admin?: AdminServer;
  private adminAddress?: { address: string; port: number };
  private drachtioAddress?: { address: string; port: number };
  private readonly role: NodeRole;
  private readonly engineUser?: (engine: SipEngine) => EngineUser;

  constructor(
    readonly config: SipedgeConfig,
    options: SipedgeNodeOptions | ((engine: SipEngine) => EngineUser) = {},
  ) {
    this.log = createLogger(config.log.level, config.node.id);
    // A bare function is the older form of `engineUser` (kept for test fixtures).
    const opts = typeof options === 'function' ? { engineUser: options } : options;
    this.role = opts.role ?? 'gateway';
    this.engineUser = opts.engineUser;
  }

  async start(): Promise<NodeAddresses> {
    collectDefaultMetrics({ register: this.registry, prefix: 'sipedge_process_' });
    try {
      await this.startSipSide();
      await this.startApp();
      await this.startAdmin();
    } catch (err) {
      // Leave nothing listening behind a failed start (the CLI exits, tests go on).
      await this.stop().catch(() => undefined);
      throw err;
    }
    const addresses = this.addresses();
    this.log.info(addresses, this.role === 'engine' ? 'sipedge engine started' : 'sipedge node started');
    return addresses;
  }

  private get usesEngine(): boolean {
    return this.engineUser !== undefined || this.role === 'engine' || this.config.drachtio.mode === 'embedded';
  }

  private async startSipSide(): Promise<void> {
    if (!this.usesEngine) {
      const { host, port } = this.config.drachtio;
      this.drachtioAddress = { address: host, port };
      return;
    }
    const metrics = createEngineMetrics(this.registry);
    const options = { ...(await engineOptionsFrom(this.config)), logger: this.log, metrics };
    if (this.engineUser) {
      const engine = new SipEngine(options);
      this.engine = engine;
      engine.setUser(this.engineUser(engine));
      this.registerEngineGauges(engine);
      await engine.start();
      return;
    }
    const { host, port, secret } = this.config.drachtio;
    this.embedded = await startEmbeddedEngine({ ...options, control: { address: host, port, secret } });
    this.engine = this.embedded.engine;
    this.drachtioAddress = this.embedded.addresses.control;
    this.registerEngineGauges(this.embedded.engine);
    this.registerDrachtioGauges(this.embedded);
  }

  /** State of the drachtio layer, so a leak (dialogs or app requests that never end) shows in Prometheus. */
  private registerDrachtioGauges(embedded: EmbeddedEngine): void {
    const stat = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
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

  private async startApp(): Promise<void> {
    if (this.engineUser || this.role === 'engine' || !this.drachtioAddress) return;
    this.app = new SipedgeApp({
      drachtio: { host: this.drachtioAddress.address, port: this.drachtioAddress.port, secret: this.config.drachtio.secret },
      logger: this.log,
      connectTimeoutMs: this.config.drachtio.connectTimeoutS * 1000,
    });
    await this.app.start();
  }

  private async startAdmin(): Promise<void> {
    if (!this.config.admin.enabled) return;
    this.admin = new AdminServer(this.registry, this.config.admin.address, this.config.admin.port, () => ({
      // External mode has no engine here: "up" means the app holds its drachtio connection.
      ok: this.app ? this.app.isConnected : true,
      eventLoopLagMs: this.engine?.eventLoopLagMs ?? 0,
    }));
    const a = await this.admin.start();
    this.adminAddress = { address: a.address, port: a.port };
  }

  private registerEngineGauges(engine: SipEngine): void {
    new Gauge({
      name: 'sipedge_connections_open',
      help: 'TCP/TLS connections currently open',
      registers: [this.registry],
      collect() {
        this.set(engine.transport.connectionCount);
      },
    });
    new Gauge({
      name: 'sipedge_transactions_pending',
      help: 'Server transactions waiting for a final response',
      registers: [this.registry],
      collect() {
        this.set(engine.transactions.pendingServerTransactions);
      },
    });
  }

  addresses(): NodeAddresses {
    const out: NodeAddresses = { admin: this.adminAddress };
    for (const l of this.engine?.transport.listening ?? []) out[l.transport] = { address: l.address, port: l.port };
    if (this.drachtioAddress) out.drachtio = this.drachtioAddress;
    return out;
  }

  get sipEngine(): SipEngine | undefined {
    return this.engine;
  }

  get gatewayApp(): SipedgeApp | undefined {
    return this.app;
  }

  async stop(): Promise<void> {
    await this.admin?.stop();
    this.admin = undefined;
    await this.app?.stop();
    this.app = undefined;
    if (this.embedded) await this.embedded.stop();
    else await this.engine?.stop();
    this.embedded = undefined;
    this.engine = undefined;
    this.log.info('sipedge node stopped');
  }
}
