// Child processes for tests: spawned without a terminal, output kept (bounded) for matching,
// and always stopped by their own PID when the test ends, whatever happened in between.
import { spawn, type ChildProcess } from 'node:child_process';
import { requireBinary } from './binaries.js';

/** Anything with tap's teardown (the root `t` or a subtest). */
export interface TeardownHost {
  teardown(fn: () => unknown): void;
}

export interface StartOptions {
  cwd?: string;
  /** Added over the parent's environment. */
  env?: Record<string, string | undefined>;
  /** Package named in the failure message if the binary is missing. */
  debianPackage?: string;
  /** Characters of combined output retained; the oldest are dropped beyond this. */
  maxOutputChars?: number;
  /** Time between SIGTERM and SIGKILL when stopping. */
  stopGraceMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WaitOptions {
  /** Only match output that arrived after this cursor (from outputCursor()). */
  since?: number;
}

export interface ManagedProcess {
  readonly pid: number;
  readonly command: string;
  readonly args: readonly string[];
  /** Exit status once the process has ended, else null. */
  readonly exitInfo: ExitInfo | null;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr interleaved in arrival order (bounded). */
  output(): string;
  /** Total characters of combined output seen so far; a mark for waitForOutput's `since`. */
  outputCursor(): number;
  /** Resolves with the first match in the output; rejects on timeout or on exit without a match. */
  waitForOutput(pattern: RegExp, timeoutMs: number, opts?: WaitOptions): Promise<RegExpMatchArray>;
  /** Resolves when the process exits; rejects if it is still running after timeoutMs. */
  waitForExit(timeoutMs: number): Promise<ExitInfo>;
  /** Sends a signal to this PID if it is still running. */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after the grace period. Safe to call more than once. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

const DEFAULT_MAX_OUTPUT = 1 << 20;
const DEFAULT_GRACE_MS = 3000;
const KILL_WAIT_MS = 5000;

// If the test process dies before teardown runs, children must not outlive it.
const livePids = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pid of livePids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

class BoundedText {
  private text = '';
  private dropped = 0;
  constructor(private readonly max: number) {}
  append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.max) {
      const cut = this.text.length - this.max;
      this.text = this.text.slice(cut);
      this.dropped += cut;
    }
  }
  get value(): string {
    return this.text;
  }
  get total(): number {
    return this.dropped + this.text.length;
  }
  /** Retained text from absolute position `pos` on. */
  from(pos: number): string {
    return this.text.slice(Math.max(0, pos - this.dropped));
  }
}

function tail(text: string, chars = 2000): string {
  return text.length > chars ? `…${text.slice(-chars)}` : text;
}

class Managed implements ManagedProcess {
  readonly pid: number;
  private readonly out: BoundedText;
  private readonly err: BoundedText;
  private readonly all: BoundedText;
  private exit: ExitInfo | null = null;
  private readonly exited: Promise<ExitInfo>;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly child: ChildProcess,
    readonly command: string,
    readonly args: readonly string[],
    maxOutput: number,
    private readonly graceMs: number,
  ) {
    // Without a listener a spawn failure would crash the test runner instead of failing the test.
    child.on('error', () => undefined);
    if (child.pid === undefined) throw new Error(`failed to start ${command}`);
    this.pid = child.pid;
    this.out = new BoundedText(maxOutput);
    this.err = new BoundedText(maxOutput);
    this.all = new BoundedText(maxOutput);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (s: string) => this.onData(this.out, s));
    child.stderr?.on('data', (s: string) => this.onData(this.err, s));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        livePids.delete(this.pid);
        this.exit = { code, signal };
        resolve(this.exit);
        this.notify();
      });
    });
  }

  get exitInfo(): ExitInfo | null {
    return this.exit;
  }

  private onData(stream: BoundedText, chunk: string): void {
    stream.append(chunk);
    this.all.append(chunk);
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  stdout(): string {
    return this.out.value;
  }
  stderr(): string {
    return this.err.value;
  }
  output(): string {
    return this.all.value;
  }
  outputCursor(): number {
    return this.all.total;
  }

  private describe(): string {
    return `${this.command} (pid ${this.pid})`;
  }

  waitForOutput(pattern: RegExp, timeoutMs: number, opts: WaitOptions = {}): Promise<RegExpMatchArray> {
    const since = opts.since ?? 0;
    // A global regex carries lastIndex between calls; match() on a fresh copy avoids that.
    const re = new RegExp(pattern.source, pattern.flags.replace('g', ''));
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (fn: () => void): void => {
        this.listeners.delete(check);
        if (timer) clearTimeout(timer);
        fn();
      };
      const check = (): void => {
        const m = this.all.from(since).match(re);
        if (m) return finish(() => resolve(m));
        if (this.exit) {
          // Give pipes a moment to drain: 'exit' can fire before the last data event.
          return finish(() =>
            setTimeout(() => {
              const late = this.all.from(since).match(re);
              if (late) resolve(late);
              else
                reject(
                  new Error(
                    `${this.describe()} exited (code ${this.exit?.code}, signal ${this.exit?.signal}) ` +
                      `without printing ${re}; output:\n${tail(this.all.value)}`,
                  ),
                );
            }, 50),
          );
        }
      };
      timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new Error(`${this.describe()}: no output matching ${re} within ${timeoutMs} ms; output:\n${tail(this.all.value)}`),
            ),
          ),
        timeoutMs,
      );
      this.listeners.add(check);
      check();
    });
  }

  waitForExit(timeoutMs: number): Promise<ExitInfo> {
    if (this.exit) return Promise.resolve(this.exit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.describe()} still running after ${timeoutMs} ms; output:\n${tail(this.all.value)}`)),
        timeoutMs,
      );
      void this.exited.then((info) => {
        clearTimeout(timer);
        resolve(info);
      });
    });
  }

  signal(sig: NodeJS.Signals): void {
    // Only while our child is alive: a dead child's PID may already belong to someone else.
    if (this.exit) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      // exited in between
    }
  }

  async stop(graceMs = this.graceMs): Promise<ExitInfo> {
    if (this.exit) return this.exit;
    this.signal('SIGTERM');
    try {
      return await this.waitForExit(graceMs);
    } catch {
      this.signal('SIGKILL');
      return await this.waitForExit(KILL_WAIT_MS);
    }
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Spawns `cmd` with no stdin and piped output, and registers its stop in `t.teardown`.
 * Throws MissingBinaryError (failing the test) if `cmd` is not installed.
 */
export function startProcess(
  t: TeardownHost,
  cmd: string,
  args: readonly string[] = [],
  opts: StartOptions = {},
): ManagedProcess {
  const path = requireBinary(cmd, opts.debianPackage);
  const child = spawn(path, [...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const managed = new Managed(
    child,
    cmd,
    args,
    opts.maxOutputChars ?? DEFAULT_MAX_OUTPUT,
    opts.stopGraceMs ?? DEFAULT_GRACE_MS,
  );
  installExitHook();
  livePids.add(managed.pid);
  t.teardown(() => managed.stop());
  return managed;
}
