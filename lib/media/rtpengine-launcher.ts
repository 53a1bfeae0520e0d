/**
 * Runs a local rtpengine-daemon for this node when media.launch.enabled: userspace forwarding only (no kernel
 * table), the configured interface, ng port, media port range and TOS, no system config file. The launch is done
 * once the daemon answers an ng ping; stop() ends it by its PID (SIGTERM, then SIGKILL), and it is killed if the
 * node exits without stopping it.
 */
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';
import rtpengineClient from 'rtpengine-client';
import type { MediaConfig } from '../config/config-schema.js';

const { Client } = rtpengineClient;

export const RTPENGINE_DEBIAN_PACKAGE = 'rtpengine-daemon';

export interface LaunchedRtpengine {
  readonly pid: number;
  /** Its ng address as "host:port", for the pool. */
  readonly ngAddress: string;
  /** Exit status once it has ended, else null. */
  readonly exitCode: number | null;
  /** Last lines of its output (it logs to stderr). */
  output(): string;
  /** SIGTERM, SIGKILL after graceMs; resolves once it has exited. Safe to call more than once. */
  stop(graceMs?: number): Promise<void>;
}

export interface LaunchOptions {
  logger?: Logger;
  /** How long to wait for the first pong. Default 10 s. */
  readyTimeoutMs?: number;
  /** Added after the built-in arguments (e.g. --recording-dir, --delete-delay). */
  extraArgs?: readonly string[];
}

type LaunchConfig = Pick<MediaConfig, 'launch' | 'portMin' | 'portMax' | 'dscp'>;

/** The daemon's arguments for `config` (rtpengine 10.5 option names). */
export function rtpengineArgs(config: LaunchConfig, extraArgs: readonly string[] = []): string[] {
  const { interface: iface, ngPort } = config.launch;
  const host = iface.includes(':') ? `[${iface}]` : iface;
  return [
    // Without this the daemon also reads /etc/rtpengine/rtpengine.conf (and opens its HTTP/CLI listeners).
    '--config-file=none',
    '--foreground',
    '--log-stderr',
    '--table=-1',
    `--interface=${iface}`,
    `--listen-ng=${host}:${ngPort}`,
    `--port-min=${config.portMin}`,
    `--port-max=${config.portMax}`,
    `--tos=${config.dscp << 2}`,
    // Warnings and worse: at the default level rtpengine logs every ng command, and this node reads that output.
    '--log-level=4',
    ...extraArgs,
  ];
}

const MAX_OUTPUT = 16 * 1024;
const KILL_WAIT_MS = 5000;

function pingOnce(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const loopback = host === 'localhost' || /^127\./.test(host);
  const client = new Client({ timeout: timeoutMs, ...(loopback ? { localAddress: '127.0.0.1' } : {}) });
  client.on('error', () => undefined);
  return client
    .ping({ host, port })
    .then(
      (r) => r.result === 'pong',
      () => false,
    )
    .finally(() => client.close());
}

/** Starts the daemon and waits until it answers an ng ping; rejects (after stopping it) if it does not. */
export async function launchRtpengine(config: LaunchConfig, opts: LaunchOptions = {}): Promise<LaunchedRtpengine> {
  const { binary, interface: iface, ngPort } = config.launch;
  const args = rtpengineArgs(config, opts.extraArgs);
  const log = opts.logger;
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    output = (output + chunk).slice(-MAX_OUTPUT);
  });
  let exitCode: number | null = null;
  let exited = false;
  // If this process ends without stop(), the daemon must not outlive it.
  const killOnExit = (): void => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      process.removeListener('exit', killOnExit);
      exited = true;
      exitCode = code ?? (signal ? 128 : 1);
      log?.info({ pid: child.pid, code, signal }, 'rtpengine exited');
      resolve();
    });
  });
  const spawnError = new Promise<Error>((resolve) => {
    child.once('error', (err) => {
      process.removeListener('exit', killOnExit);
      exited = true;
      resolve(
        new Error(
          `cannot start rtpengine binary '${binary}': ${err.message}; install the Debian package ` +
            `'${RTPENGINE_DEBIAN_PACKAGE}' or set media.launch.binary`,
          { cause: err },
        ),
      );
    });
  });

  const stop = async (graceMs = 3000): Promise<void> => {
    if (exited || child.pid === undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!exited) child.kill('SIGKILL');
    }, graceMs);
    await Promise.race([exit, new Promise((r) => setTimeout(r, graceMs + KILL_WAIT_MS).unref())]);
    clearTimeout(timer);
  };

  const host = iface === '0.0.0.0' ? '127.0.0.1' : iface;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 10_000);
  let failed: Error | undefined;
  const earlyError = spawnError.then((err) => {
    failed = err;
  });
  void earlyError;
  for (;;) {
    // Give a spawn failure (reported asynchronously) the chance to surface first.
    await new Promise((r) => setTimeout(r, 50));
    if (failed) throw failed;
    if (exited) {
      throw new Error(`rtpengine ('${binary}') exited with code ${exitCode} during start-up; output:\n${output.slice(-2000)}`);
    }
    if (await pingOnce(host, ngPort, 200)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`rtpengine ('${binary}') did not answer an ng ping on ${host}:${ngPort} in time; output:\n${output.slice(-2000)}`);
    }
  }
  const pid = child.pid ?? 0;
  log?.info({ pid, ngPort, args }, 'rtpengine launched');
  return {
    pid,
    ngAddress: `${host}:${ngPort}`,
    get exitCode() {
      return exitCode;
    },
    output: () => output,
    stop,
  };
}
