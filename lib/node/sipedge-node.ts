/**
 * Composition root of one sipedge node: config -> logger, metrics registry, SIP side, gateway app, admin server;
 * one lifecycle (start / stop, reverse order).
 *
 * The SIP side is one of:
 *  - the embedded engine with its drachtio control channel (`drachtio.mode: embedded`), the app connected to it;
 *    with `drachtio.engineThread` (gateway role) the engine runs on its own worker thread (engine-thread.ts) and
 *    the app still reaches it only over the control channel (loopback TCP);
 *  - an external drachtio-server (`drachtio.mode: external`): no engine here, the app connects to it;
 *  - the engine alone (role 'engine': `sipedge engine`), serving any drachtio-srf app;
 *  - the bare SipEngine with a given transaction user (tests that drive the engine below the drachtio layer).
 */
import { AggregatorRegistry, collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { SipedgeConfig } from '../config/config-schema.js';
import { SipEngine, type EngineUser } from '../engine/core/sip-engine.js';
import { createEngineMetrics } from '../engine/engine-metrics.js';
import { startEmbeddedEngine, type EmbeddedEngine } from '../engine/drachtio/embedded-engine.js';
import { SipedgeApp } from '../app/sipedge-app.js';
import { createLogger } from '../observability/logger.js';
import { AdminServer } from '../observability/admin-server.js';
import { engineOptionsFrom } from './engine-options.js';
import { buildGatewayPolicy, type BuiltGatewayPolicy } from './gateway-policy.js';
import { OptionsProber, srfOptionsSender } from '../callservers/options-prober.js';
import { deviceConnectionsOf, EngineThread, registerDrachtioGauges, registerEngineGauges } from './engine-thread.js';
import { ConnectionRelease, type DeviceConnectionControl } from './connection-release.js';
import { AppProcesses } from './app-processes.js';

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
  private thread?: EngineThread;
  private app?: SipedgeApp;
  private policy?: BuiltGatewayPolicy;
  private prober?: OptionsProber;
  private connectionRelease?: ConnectionRelease;
  private appProcesses?: AppProcesses;
  private stopping = false;
  private stopped?: Promise<void>;
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
      await this.startAppProcesses();
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

  /** The embedded engine on a worker thread: gateway role only (`sipedge engine` and bare-engine tests stay in-process). */
  private get usesEngineThread(): boolean {
    return (
      this.engineUser === undefined &&
      this.role === 'gateway' &&
      this.config.drachtio.mode === 'embedded' &&
      this.config.drachtio.engineThread
    );
  }

  private async startSipSide(): Promise<void> {
    if (!this.usesEngine) {
      const { host, port } = this.config.drachtio;
      this.drachtioAddress = { address: host, port };
      return;
    }
    if (this.usesEngineThread) {
      const thread = new EngineThread({ config: this.config, log: this.log });
      this.thread = thread;
      thread.on('exit', (code, expected) => {
        if (expected || this.stopping) return;
        // What an uncaught exception in the engine would have done in-process: the node goes down (failing), so
        // that its supervisor restarts it rather than it staying up without SIP.
        this.log.fatal({ code }, 'engine thread died: stopping the node');
        process.exitCode = 1;
        void this.stop().catch((err: unknown) => this.log.error({ err }, 'stop after engine thread death failed'));
      });
      await thread.start();
      this.drachtioAddress = thread.control;
      return;
    }
    const metrics = createEngineMetrics(this.registry);
    const options = { ...(await engineOptionsFrom(this.config)), logger: this.log, metrics };
    if (this.engineUser) {
      const engine = new SipEngine(options);
      this.engine = engine;
      engine.setUser(this.engineUser(engine));
      registerEngineGauges(this.registry, engine);
      await engine.start();
      return;
    }
    const { host, port, secret } = this.config.drachtio;
    this.embedded = await startEmbeddedEngine({ ...options, control: { address: host, port, secret } });
    this.engine = this.embedded.engine;
    this.drachtioAddress = this.embedded.addresses.control;
    registerEngineGauges(this.registry, this.embedded.engine);
    registerDrachtioGauges(this.registry, this.embedded);
  }

  private async startApp(): Promise<void> {
    if (this.engineUser || this.role === 'engine' || !this.drachtioAddress) return;
    const policy = await buildGatewayPolicy(this.config, this.registry, this.log);
    this.policy = policy;
    // Binding/connection consistency: only the embedded engine can tell when a device connection closes (the
    // drachtio protocol has no such event); with an external server bindings end by expiry.
    const onClose = (info: { transport: 'tcp' | 'tls'; remoteAddress: string; remotePort: number; inbound: boolean }) => {
      // Connections closed by our own shutdown keep their bindings: Redis outlives a node restart.
      if (info.inbound && !this.stopping) void policy.registrar.onConnectionClosed(info.transport, info.remoteAddress, info.remotePort);
    };
    this.embedded?.engine.transport.on('connection:close', onClose);
    this.thread?.on('connection:close', onClose);
    this.startConnectionRelease(policy);
    this.app = new SipedgeApp({
      drachtio: { host: this.drachtioAddress.address, port: this.drachtioAddress.port, secret: this.config.drachtio.secret },
      logger: this.log,
      connectTimeoutMs: this.config.drachtio.connectTimeoutS * 1000,
      gateway: policy,
    });
    await this.app.start();
    if (policy.callServers.servers.length > 0 && this.config.callServers.probeIntervalS > 0) {
      this.prober = new OptionsProber({
        pool: policy.callServers,
        send: srfOptionsSender(this.app.srf),
        intervalMs: this.config.callServers.probeIntervalS * 1000,
        timeoutMs: this.config.callServers.probeTimeoutS * 1000,
        log: this.log.child({ component: 'callservers' }),
      });
      this.prober.start();
    }
  }

  /** Closing device connections once their bindings all ended (needs the engine here: the drachtio protocol cannot). */
  private startConnectionRelease(policy: BuiltGatewayPolicy): void {
    const cfg = this.config.registrar;
    const embedded = this.embedded;
    let engine: DeviceConnectionControl | undefined = this.thread;
    if (engine === undefined && embedded !== undefined) {
      engine = {
        deviceConnections: async () => deviceConnectionsOf(embedded),
        releaseConnections: async (ids) => embedded.server.releaseConnections(ids),
      };
    }
    if (engine === undefined || !cfg.closeConnectionsWithoutBindings) return;
    this.connectionRelease = new ConnectionRelease({
      engine,
      store: policy.store,
      nodeId: this.config.node.id,
      intervalMs: cfg.connectionCheckIntervalS * 1000,
      log: this.log.child({ component: 'connection-release' }),
    });
    this.connectionRelease.start();
  }

  /** node.appProcesses > 1: more processes running the app against this node's engine (app-processes.ts). */
  private async startAppProcesses(): Promise<void> {
    const count = this.config.node.appProcesses - 1;
    if (count < 1 || !this.app || !this.drachtioAddress || !this.usesEngine) return;
    this.appProcesses = new AppProcesses({
      count,
      config: this.config,
      control: this.drachtioAddress,
      log: this.log,
      startTimeoutMs: (this.config.drachtio.connectTimeoutS + 20) * 1000,
    });
    await this.appProcesses.start();
  }

  /** The node's metrics: its own registry, plus the app processes' registries summed in when there are any. */
  private async ownMetrics(): Promise<string> {
    const procs = this.appProcesses;
    if (procs === undefined) return this.registry.metrics();
    const [own, others] = await Promise.all([this.registry.getMetricsAsJSON(), procs.metrics()]);
    return AggregatorRegistry.aggregate([own, ...others]).metrics();
  }

  private async startAdmin(): Promise<void> {
    if (!this.config.admin.enabled) return;
    this.admin = new AdminServer(this.registry, this.config.admin.address, this.config.admin.port, () => ({
      // External mode has no engine here: "up" means the app holds its drachtio connection.
      ok: (this.app ? this.app.isConnected : true) && (this.thread?.isAlive ?? true),
      eventLoopLagMs: this.thread?.eventLoopLagMs ?? this.engine?.eventLoopLagMs ?? 0,
    }), () => this.ownMetrics());
    const thread = this.thread;
    if (thread !== undefined) {
      // The engine's counters and gauges live in the worker's registry.
      this.admin.addMetricsSource(() =>
        thread.metrics().catch((err: unknown) => {
          this.log.warn({ err }, 'engine thread metrics unavailable');
          throw err;
        }),
      );
    }
    const policy = this.policy;
    if (policy !== undefined) {
      // Where a device is registered and which node/connection reaches it (operators, tests).
      this.admin.addJsonRoute('/bindings', async (q) => {
        const aor = q.get('aor');
        if (aor === null) throw new Error('aor query parameter required');
        return policy.store.lookup(aor);
      });
    }
    // `sipedge status`: this node and the state of its call servers.
    this.admin.addJsonRoute('/status', async () => ({
      nodeId: this.config.node.id,
      callServers: policy?.callServers.status() ?? [],
      ...(policy === undefined ? {} : { media: policy.media.status(), calls: this.app?.router?.activeCalls ?? 0 }),
      ...(this.appProcesses === undefined ? {} : { appProcesses: this.appProcesses.status() }),
    }));
    const a = await this.admin.start();
    this.adminAddress = { address: a.address, port: a.port };
  }

  addresses(): NodeAddresses {
    const out: NodeAddresses = { admin: this.adminAddress };
    for (const l of this.thread?.listening ?? this.engine?.transport.listening ?? []) out[l.transport] = { address: l.address, port: l.port };
    if (this.drachtioAddress) out.drachtio = this.drachtioAddress;
    return out;
  }

  get sipEngine(): SipEngine | undefined {
    return this.engine;
  }

  get gatewayApp(): SipedgeApp | undefined {
    return this.app;
  }

  /** The engine's worker thread (`drachtio.engineThread`); `sipEngine` is undefined then. */
  get engineThread(): EngineThread | undefined {
    return this.thread;
  }

  /** Stops everything started (reverse order). Concurrent calls share one stop. */
  stop(): Promise<void> {
    this.stopped ??= this.stopAll();
    return this.stopped;
  }

  private async stopAll(): Promise<void> {
    this.stopping = true;
    await this.admin?.stop();
    this.admin = undefined;
    await this.appProcesses?.stop();
    this.appProcesses = undefined;
    await this.prober?.stop();
    this.prober = undefined;
    this.connectionRelease?.stop();
    this.connectionRelease = undefined;
    await this.app?.stop();
    this.app = undefined;
    await this.policy?.close();
    this.policy = undefined;
    if (this.thread) await this.thread.stop();
    else if (this.embedded) await this.embedded.stop();
    else await this.engine?.stop();
    this.thread = undefined;
    this.embedded = undefined;
    this.engine = undefined;
    this.log.info('sipedge node stopped');
  }
}
