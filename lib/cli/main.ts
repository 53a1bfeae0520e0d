/**
 * `sipedge` command line: `start` runs a node (SIP side + gateway app); `engine` runs the embedded engine and its
 * drachtio control channel alone, for any drachtio-srf app (like a drachtio-server); `check-config` validates a
 * config file; `status [--admin http://127.0.0.1:9090]` prints a running node's /status (call server states). Config errors end the process with the key path and reason.
 */
import { ConfigError, loadConfig } from '../config/load-config.js';
import { SipedgeNode } from '../node/sipedge-node.js';
import { processIo, runUserCommand } from './user-command.js';

interface Args {
  command: string;
  config?: string;
  /** `status`: the node's admin base URL (default: from the config's admin address and port). */
  admin?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { command: argv[0] ?? 'start' };
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--config' || argv[i] === '-c') args.config = argv[++i];
    else if (argv[i] === '--admin') args.admin = argv[++i];
    else throw new Error(`unknown argument '${argv[i]}'`);
  }
  args.config ??= process.env.SIPEDGE_CONFIG;
  return args;
}

async function main(): Promise<void> {
  // `user add ...` edits the user directory; it needs neither config nor a node.
  if (process.argv[2] === 'user') {
    process.exitCode = await runUserCommand(process.argv.slice(3), processIo());
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  const config = await loadConfig(args.config);
  if (args.command === 'check-config') {
    process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    return;
  }
  if (args.command === 'status') {
    const base = args.admin ?? `http://${config.admin.address}:${config.admin.port}`;
    process.exitCode = await printStatus(base);
    return;
  }
  if (args.command !== 'start' && args.command !== 'engine') {
    throw new Error(`unknown command '${args.command}' (use start, engine, status or check-config)`);
  }
  const node = new SipedgeNode(config, { role: args.command === 'engine' ? 'engine' : 'gateway' });
  await node.start();
  const shutdown = (signal: string) => {
    node.log.info({ signal }, 'shutting down');
    node.stop().then(
      () => process.exit(0),
      (err) => {
        node.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

/** `sipedge status`: GET <admin>/status and print it (JSON); 1 when the node cannot be reached. */
async function printStatus(base: string): Promise<number> {
  const url = `${base.replace(/\/+$/, '')}/status`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    process.stderr.write(`sipedge: cannot reach ${url}: ${(err as Error).message}\n`);
    return 1;
  }
  const text = await res.text();
  if (!res.ok) {
    process.stderr.write(`sipedge: ${url} answered ${res.status}: ${text}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  return 0;
}

// Last line of defence: a bug that leaks a rejection is logged loudly, but must not take calls down with it.
process.on('unhandledRejection', (err) => {
  process.stderr.write(`sipedge: unhandled rejection (bug): ${(err as Error)?.stack ?? String(err)}\n`);
});

main().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`sipedge: ${err.message}\n`);
  else process.stderr.write(`sipedge: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
