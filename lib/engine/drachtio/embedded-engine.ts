/**
 * Start-up of the embedded engine as a drachtio server: SIP engine + control channel (apps connect with
 * srf.connect) + the drachtio server that joins them + the stateful proxy. Engine-side code only: any drachtio-srf
 * app can use it, so nothing here knows about the gateway app.
 */
import { pino } from 'pino';
import { SipEngine, type SipEngineOptions } from '../core/sip-engine.js';
import type { ListeningAddress } from '../transport/transport-layer.js';
import { EngineLocalAddresses, type LocalAddressOptions } from './local-addresses.js';
import { ControlServer } from './wire/control-server.js';
import { DrachtioServer } from './drachtio-server.js';
import { ProxyCore } from './proxy/proxy-core.js';
import { DnsResolver } from './resolver/dns-resolver.js';

export interface ControlChannelOptions {
  address: string;
  /** 0 picks a free port (tests); the bound one is in `addresses.control`. */
  port: number;
  secret: string;
}

export interface EmbeddedEngineOptions extends SipEngineOptions {
  control: ControlChannelOptions;
  /** How the engine names itself to apps and recognises its own addresses. */
  local?: LocalAddressOptions;
}

export interface EmbeddedEngineAddresses {
  sip: ListeningAddress[];
  control: { address: string; port: number };
}

export interface EmbeddedEngine {
  engine: SipEngine;
  control: ControlServer;
  server: DrachtioServer;
  addresses: EmbeddedEngineAddresses;
  stop(): Promise<void>;
}

export async function startEmbeddedEngine(opts: EmbeddedEngineOptions): Promise<EmbeddedEngine> {
  const { control: controlOpts, local: localOpts, ...engineOpts } = opts;
  const logger = opts.logger ?? pino({ level: 'silent' });
  const engine = new SipEngine(engineOpts);
  const local = new EngineLocalAddresses(() => engine.transport.listening, localOpts);
  const resolver = new DnsResolver();
  const control = new ControlServer({
    address: controlOpts.address,
    port: controlOpts.port,
    secret: controlOpts.secret,
    localAddresses: local,
    logger,
  });
  const t1 = opts.timers?.t1;
  const server = new DrachtioServer({
    engine,
    router: control.router,
    local,
    resolver,
    logger,
    clock: opts.clock,
    timers: { T1: t1, T2: opts.timers?.t2 },
  });
  const proxy = new ProxyCore({ engine, pending: server, local, resolver, logger, clock: opts.clock, t1Ms: t1, router: control.router });
  server.setProxy(proxy);
  control.setHandler(server);
  engine.setUser(server);

  // SIP first, so the hostports an app learns at authentication are the bound ones.
  await engine.start();
  let controlAddress: { address: string; port: number };
  try {
    controlAddress = await control.start();
  } catch (err) {
    await engine.stop();
    throw err;
  }
  let stopped = false;
  return {
    engine,
    control,
    server,
    addresses: { sip: engine.transport.listening, control: controlAddress },
    async stop() {
      if (stopped) return;
      stopped = true;
      // Apps first (no new commands), then the SIP side.
      await control.stop();
      server.stop();
      await engine.stop();
    },
  };
}
