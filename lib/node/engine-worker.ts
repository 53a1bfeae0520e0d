/**
 * Worker-thread entry of the embedded engine (`drachtio.engineThread`; started by engine-thread.ts): builds the
 * engine from the node's config with its own logger and metrics registry, starts it with its drachtio control
 * channel, and answers the main thread (ready, device connection closes and list, releasing unused connections,
 * metrics text, stats, stop). Messages are the union in engine-thread.ts.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { createEngineMetrics } from '../engine/engine-metrics.js';
import { startEmbeddedEngine, type EmbeddedEngine } from '../engine/drachtio/embedded-engine.js';
import { createLogger } from '../observability/logger.js';
import { engineOptionsFrom } from './engine-options.js';
import {
  registerDrachtioGauges,
  registerEngineGauges,
  serializeError,
  deviceConnectionsOf,
  type EngineWorkerData,
  type FromEngineWorker,
  type ToEngineWorker,
} from './engine-thread.js';

if (!parentPort) throw new Error('engine-worker.js runs as a worker thread (see engine-thread.ts)');
const port: MessagePort = parentPort;
const { config, statsIntervalMs } = workerData as EngineWorkerData;
const log = createLogger(config.log.level, config.node.id).child({ thread: 'engine' });
const registry = new Registry();
const post = (msg: FromEngineWorker): void => port.postMessage(msg);

process.on('unhandledRejection', (err) => {
  log.error({ err }, 'unhandled rejection in the engine thread (bug)');
});

let embedded: EmbeddedEngine | undefined;
let statsTimer: NodeJS.Timeout | undefined;
let stopping: Promise<void> | undefined;

async function start(): Promise<void> {
  const metrics = createEngineMetrics(registry);
  const options = { ...(await engineOptionsFrom(config)), logger: log, metrics };
  const { host, port: controlPort, secret } = config.drachtio;
  const e = await startEmbeddedEngine({ ...options, control: { address: host, port: controlPort, secret } });
  embedded = e;
  registerEngineGauges(registry, e.engine);
  registerDrachtioGauges(registry, e);
  e.engine.transport.on('connection:close', (info, reason) => {
    post({
      type: 'connection-close',
      info: { transport: info.transport, remoteAddress: info.remoteAddress, remotePort: info.remotePort, inbound: info.inbound, reason },
    });
  });
  statsTimer = setInterval(() => post({ type: 'stats', eventLoopLagMs: e.engine.eventLoopLagMs }), statsIntervalMs);
  statsTimer.unref();
  post({ type: 'ready', sip: e.engine.transport.listening, control: e.addresses.control });
}

/** Answers request `id` with what `answer` returns or resolves to, or with its error. */
function reply(id: number, answer: () => unknown): void {
  Promise.resolve()
    .then(answer)
    .then(
      (value) => post({ type: 'reply', id, value }),
      (err: unknown) => post({ type: 'reply', id, error: (err as Error)?.message ?? String(err) }),
    );
}

function stop(): Promise<void> {
  stopping ??= (async () => {
    clearInterval(statsTimer);
    try {
      await embedded?.stop();
    } catch (err) {
      log.error({ err }, 'engine stop failed');
    }
    embedded = undefined;
    post({ type: 'stopped' });
    // Nothing else keeps the thread alive once the port is closed: it exits when the engine's handles are gone.
    port.close();
  })();
  return stopping;
}

port.on('message', (msg: ToEngineWorker) => {
  switch (msg.type) {
    case 'metrics':
      reply(msg.id, () => registry.metrics());
      break;
    case 'device-connections':
      reply(msg.id, () => (embedded ? deviceConnectionsOf(embedded) : []));
      break;
    case 'release-connections':
      reply(msg.id, () => embedded?.server.releaseConnections(msg.ids) ?? []);
      break;
    case 'stop':
      void stop();
      break;
  }
});

start().catch((err: unknown) => {
  post({ type: 'start-failed', error: serializeError(err) });
});
