// A real rtpengine (Debian package rtpengine-daemon) for media tests: userspace forwarding on 127.0.0.1, a free ng
// UDP port, and a private media port block per instance (claimed with a lock file, so parallel test files never
// share one). Started with the same arguments the node's launcher uses and stopped by PID at teardown.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import rtpengineClient, { type NgReply } from 'rtpengine-client';
import { rtpengineArgs } from '../../lib/media/rtpengine-launcher.js';
import { startProcess, type ManagedProcess, type TeardownHost } from './processes.js';
import { freePort } from './ports.js';

const { Client } = rtpengineClient;
const HOST = '127.0.0.1' as const;

// Media port blocks live below the kernel's ephemeral range (32768+) and away from the production default.
const BLOCK_BASE = 24000;
const BLOCK_SIZE = 40;
const BLOCK_COUNT = 200;

export interface StartRtpengineOptions {
  /** Extra daemon arguments. */
  args?: string[];
  readyTimeoutMs?: number;
}

export interface RtpengineInstance {
  readonly host: '127.0.0.1';
  readonly ngPort: number;
  /** "127.0.0.1:<ngPort>", as configured in media.rtpengines. */
  readonly ngAddress: string;
  readonly portMin: number;
  readonly portMax: number;
  /** The current daemon process (a new one after restart()). */
  readonly process: ManagedProcess;
  /** Sends one ng command to it (for assertions). */
  ng(command: 'ping' | 'list' | 'query', params?: Record<string, unknown>): Promise<NgReply>;
  /** Call-IDs it currently holds (ng list). */
  sessions(): Promise<string[]>;
  stop(): Promise<void>;
  /** Starts the daemon again on the same ports (stopping the running one first); its calls are gone. */
  restart(): Promise<void>;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims a media port block no other test process holds; released at teardown. */
export function claimPortBlock(t: TeardownHost): { portMin: number; portMax: number } {
  const start = Math.floor(Math.random() * BLOCK_COUNT);
  for (let k = 0; k < BLOCK_COUNT; k++) {
    const block = (start + k) % BLOCK_COUNT;
    const lock = join(tmpdir(), `sipedge-test-rtpengine-ports-${block}.lock`);
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      // Taken; reclaim it if its owner is gone.
      let owner = NaN;
      try {
        owner = Number(readFileSync(lock, 'utf8'));
      } catch {
        continue;
      }
      if (!Number.isInteger(owner) || owner <= 0 || pidAlive(owner)) continue;
      try {
        unlinkSync(lock);
        fd = openSync(lock, 'wx');
      } catch {
        continue;
      }
    }
    writeSync(fd, String(process.pid));
    closeSync(fd);
    t.teardown(() => {
      try {
        unlinkSync(lock);
      } catch {
        // already gone
      }
    });
    const portMin = BLOCK_BASE + block * BLOCK_SIZE;
    return { portMin, portMax: portMin + BLOCK_SIZE - 1 };
  }
  throw new Error('startRtpengine: no free media port block');
}

/** Starts rtpengine and waits until it answers an ng ping. */
export async function startRtpengine(t: TeardownHost, opts: StartRtpengineOptions = {}): Promise<RtpengineInstance> {
  const ngPort = await freePort('udp');
  const { portMin, portMax } = claimPortBlock(t);
  const client = new Client({ timeout: 500, localAddress: HOST });
  client.on('error', () => undefined);
  t.teardown(() => client.close());
  const ng = (command: 'ping' | 'list' | 'query', params: Record<string, unknown> = {}): Promise<NgReply> =>
    client[command]({ host: HOST, port: ngPort }, params);

  const args = rtpengineArgs(
    { launch: { enabled: true, binary: 'rtpengine', interface: HOST, ngPort }, portMin, portMax, dscp: 46 },
    opts.args ?? [],
  );
  const launch = async (): Promise<ManagedProcess> => {
    const proc = startProcess(t, 'rtpengine', args, { debianPackage: 'rtpengine-daemon', stopGraceMs: 2000 });
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 10_000);
    for (;;) {
      if (proc.exitInfo) throw new Error(`rtpengine exited (code ${proc.exitInfo.code}) during start-up:\n${proc.output().slice(-2000)}`);
      const pong = await ng('ping').then((r) => r.result === 'pong', () => false);
      if (pong) return proc;
      if (Date.now() > deadline) throw new Error(`rtpengine did not answer an ng ping on ${HOST}:${ngPort}:\n${proc.output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  let proc = await launch();
  return {
    host: HOST,
    ngPort,
    ngAddress: `${HOST}:${ngPort}`,
    portMin,
    portMax,
    get process() {
      return proc;
    },
    ng,
    async sessions() {
      const reply = await ng('list');
      if (reply.result !== 'ok' || !Array.isArray(reply.calls)) throw new Error(`ng list failed: ${JSON.stringify(reply)}`);
      return reply.calls as string[];
    },
    async stop() {
      await proc.stop();
    },
    async restart() {
      await proc.stop();
      proc = await launch();
    },
  };
}
