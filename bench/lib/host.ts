// Benchmarks reuse the test harness (SIPp runner, process manager, certificates); this plays tap's role of
// collecting teardown functions and runs them at the end, so every process is still stopped by PID.
import type { TeardownHost } from '../../test/helpers/processes.js';

export class BenchHost implements TeardownHost {
  private readonly fns: Array<() => unknown> = [];
  teardown(fn: () => unknown): void {
    this.fns.push(fn);
  }
  async close(): Promise<void> {
    for (const fn of this.fns.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`teardown failed: ${(err as Error).message}\n`);
      }
    }
  }
}
