// A throwaway redis-server on 127.0.0.1 for store tests: no persistence, stopped by PID at teardown.
import { startProcess, type ManagedProcess, type TeardownHost } from './processes.js';
import { freePort, waitForListening } from './ports.js';

export interface StartRedisOptions {
  /** Extra redis-server arguments. */
  args?: string[];
  /** How long to wait for it to accept connections. Default 10 s. */
  readyTimeoutMs?: number;
}

export interface RedisInstance {
  readonly port: number;
  readonly host: '127.0.0.1';
  /** The current redis-server process (a new one after restart()). */
  readonly process: ManagedProcess;
  /** Stops the server (its data is gone: nothing is saved). */
  stop(): Promise<void>;
  /** Starts a server again on the same port (stopping the running one first, if any). */
  restart(): Promise<void>;
}

const HOST = '127.0.0.1' as const;

async function launch(t: TeardownHost, port: number, opts: StartRedisOptions): Promise<ManagedProcess> {
  const proc = startProcess(
    t,
    'redis-server',
    [
      '--port', String(port),
      '--bind', HOST,
      '--save', '',
      '--appendonly', 'no',
      '--protected-mode', 'yes',
      ...(opts.args ?? []),
    ],
    { debianPackage: 'redis-server', stopGraceMs: 2000 },
  );
  await waitForListening(port, ['tcp'], {
    timeoutMs: opts.readyTimeoutMs ?? 10_000,
    abortIf: () => (proc.exitInfo ? `redis-server exited (code ${proc.exitInfo.code}): ${proc.output().slice(-1000)}` : null),
  });
  return proc;
}

/** Starts redis-server on a free loopback port and waits until it listens. */
export async function startRedis(t: TeardownHost, opts: StartRedisOptions = {}): Promise<RedisInstance> {
  const port = await freePort('tcp');
  let proc = await launch(t, port, opts);
  return {
    port,
    host: HOST,
    get process() {
      return proc;
    },
    async stop() {
      await proc.stop();
    },
    async restart() {
      await proc.stop();
      proc = await launch(t, port, opts);
    },
  };
}
