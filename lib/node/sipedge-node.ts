/**
 * Composition root of one sipedge node: config -> logger, metrics registry,
 * SIP engine, admin server; one lifecycle (start / stop, reverse order).
 */
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { SipedgeConfig } from '../config/config-schema.js';
import { SipEngine, type EngineUser } from '../engine/core/sip-engine.js';
import { createEngineMetrics } from '../engine/engine-metrics.js';
import { createLogger } from '../observability/logger.js';
import { AdminServer } from '../observability/admin-server.js';
import { engineOptionsFrom } from './engine-options.js';

export interface NodeAddresses {
  udp?: { address: string; port: number };
  tcp?: { address: string; port: number };
  tls?: { address: string; port: number };
  admin?: { address: string; port: number };
}

export class SipedgeNode {
  readonly registry = new Registry();
  readonly log: Logger;
  private engine?: SipEngine;
  private admin?: AdminServer;
  private adminAddress?: { address: string; port: number };

  constructor(
    readonly config: SipedgeConfig,
    private readonly engineUser?: (engine: SipEngine) => EngineUser,
  ) {
    this.log = createLogger(config.log.level, config.node.id);
  }

  async start(): Promise<NodeAddresses> {
    collectDefaultMetrics({ register: this.registry, prefix: 'sipedge_process_' });
    const metrics = createEngineMetrics(this.registry);
    const engine = new SipEngine({ ...(await engineOptionsFrom(this.config)), logger: this.log, metrics });
    this.engine = engine;
    if (this.engineUser) engine.setUser(this.engineUser(engine));
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
    await engine.start();
    if (this.config.admin.enabled) {
      this.admin = new AdminServer(this.registry, this.config.admin.address, this.config.admin.port, () => ({
        ok: true,
        eventLoopLagMs: engine.eventLoopLagMs,
      }));
      const a = await this.admin.start();
      this.adminAddress = { address: a.address, port: a.port };
    }
    const addresses = this.addresses();
    this.log.info(addresses, 'sipedge node started');
    return addresses;
  }

  addresses(): NodeAddresses {
    const out: NodeAddresses = { admin: this.adminAddress };
    for (const l of this.engine?.transport.listening ?? []) out[l.transport] = { address: l.address, port: l.port };
    return out;
  }

  get sipEngine(): SipEngine | undefined {
    return this.engine;
  }

  async stop(): Promise<void> {
    await this.admin?.stop();
    await this.engine?.stop();
    this.log.info('sipedge node stopped');
  }
}
