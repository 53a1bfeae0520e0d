// The embedded engine started in the test process on free loopback ports, and drachtio-srf apps connected to it
// over the real control channel. Everything is stopped at teardown.
import Srf from 'drachtio-srf';
import type { Test } from 'tap';
import { pino, type Logger } from 'pino';
import { loadConfig } from '../../lib/config/load-config.js';
import { engineOptionsFrom } from '../../lib/node/engine-options.js';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../lib/engine/drachtio/embedded-engine.js';
import { connectSrf, disconnectSrf } from '../../lib/app/srf-connection.js';
import { freePort } from './ports.js';
import type { TeardownHost } from './processes.js';

export const SECRET = 'test-secret';

export interface RunningEngine {
  embedded: EmbeddedEngine;
  /** UDP and TCP listen on the same port. */
  sipPort: number;
  tlsPort?: number;
  control: { host: string; port: number; secret: string };
}

export interface EngineTestOptions {
  tls?: { keyFile: string; certFile: string };
  /** Config overrides under `sip` (e.g. timers). */
  sip?: Record<string, unknown>;
  logLevel?: string;
  /** The engine's logger (to capture what it logs); overrides logLevel. */
  logger?: Logger;
}

export async function startTestEngine(t: TeardownHost, opts: EngineTestOptions = {}): Promise<RunningEngine> {
  const sipPort = await freePort('both');
  const tlsPort = opts.tls ? await freePort('tcp') : undefined;
  const config = await loadConfig(undefined, {
    sip: {
      ...opts.sip,
      udp: { port: sipPort },
      tcp: { port: sipPort },
      tls: opts.tls ? { enabled: true, port: tlsPort, keyFile: opts.tls.keyFile, certFile: opts.tls.certFile } : { enabled: false },
    },
  });
  const logger = opts.logger ?? pino({ level: opts.logLevel ?? process.env.SIPEDGE_TEST_LOG ?? 'silent' });
  const embedded = await startEmbeddedEngine({
    ...(await engineOptionsFrom(config)),
    logger,
    control: { address: '127.0.0.1', port: 0, secret: SECRET },
  });
  t.teardown(() => embedded.stop());
  return {
    embedded,
    sipPort,
    tlsPort,
    control: { host: '127.0.0.1', port: embedded.addresses.control.port, secret: SECRET },
  };
}

const quiet = pino({ level: 'silent' });

/**
 * A drachtio-srf app: `setup` registers its handlers before it connects (srf sends the routes after authenticating).
 * Resolves once connected; disconnected at teardown.
 */
export async function connectApp(t: TeardownHost, engine: RunningEngine, setup: (srf: Srf) => void = () => {}): Promise<Srf> {
  const srf = new Srf();
  setup(srf);
  await connectSrf(srf, engine.control, quiet, 5000);
  t.teardown(() => disconnectSrf(srf));
  return srf;
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves when `fn` returns true, polling every 20 ms; rejects after `timeoutMs`. */
export async function waitUntil(fn: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

/** Asserts that a SIPp run completed every call. */
export function expectCallsOk(
  t: Test,
  r: { exitCode: number | null; successful: number; failed: number; errors: string; output: string },
  calls: number,
  who: string,
): void {
  const why = r.errors.slice(-800) || r.output.slice(-800);
  t.equal(r.successful, calls, `${who}: ${calls} call(s) succeeded (${why})`);
  t.equal(r.failed, 0, `${who}: none failed`);
}
