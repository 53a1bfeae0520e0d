/**
 * Entry of one extra gateway-app process (app-processes.ts): the node's config, as its parent adapted it (app
 * pointed at the parent's engine, no admin server), in SIPEDGE_APP_PROCESS_CONFIG. Runs the app until SIGTERM or
 * until the parent goes away, and answers the parent's metrics requests.
 */
import { resolveConfig } from '../config/load-config.js';
import { SipedgeNode } from './sipedge-node.js';
import type { AppProcessMessage, ParentMessage } from './app-process-messages.js';

function send(m: AppProcessMessage): void {
  process.send?.(m);
}

async function main(): Promise<void> {
  const raw = process.env['SIPEDGE_APP_PROCESS_CONFIG'];
  if (raw === undefined || process.send === undefined) throw new Error('app process: started without its parent node');
  const node = new SipedgeNode(resolveConfig(JSON.parse(raw)));
  await node.start();
  const log = node.log.child({ appProcess: Number(process.env['SIPEDGE_APP_PROCESS_INDEX'] ?? 0) });
  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, 'app process stopping');
    node.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'app process stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // The parent node is gone (crashed or killed): an app without its engine has nothing to do.
  process.once('disconnect', () => stop('parent gone'));
  process.on('message', (m: ParentMessage) => {
    if (m.type !== 'metrics') return;
    node.registry.getMetricsAsJSON().then(
      (metrics) => send({ type: 'metrics', id: m.id, metrics }),
      () => send({ type: 'metrics', id: m.id, metrics: [] }),
    );
  });
  send({ type: 'ready' });
}

process.on('unhandledRejection', (err) => {
  process.stderr.write(`sipedge app process: unhandled rejection (bug): ${(err as Error)?.stack ?? String(err)}\n`);
});

main().catch((err: unknown) => {
  send({ type: 'failed', error: (err as Error)?.message ?? String(err) });
  process.stderr.write(`sipedge app process: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
