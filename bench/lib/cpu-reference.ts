// This VM's speed changes during a day (a fixed workload's time varies up to 2x, with no CPU steal shown), so
// each section's stamp carries a reference: the time of one fixed single-thread workload, run before and after
// it, and the CPU steal over the section. Figures are comparable only between runs with similar references.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Median of 3 timings (ms) of a fixed workload: MD5 hashing and short-lived objects, like a SIP node's work. */
export function cpuReferenceMs(): number {
  const times: number[] = [];
  // The first run warms the JIT up and is not counted.
  for (let run = 0; run < 4; run++) {
    const start = process.hrtime.bigint();
    let sink = 0;
    const objects: Array<{ i: number; s: string }> = [];
    for (let i = 0; i < 100_000; i++) {
      sink += createHash('md5').update(`reference-${i}`).digest('hex').charCodeAt(3);
      objects.push({ i, s: `x${i}` });
      if (objects.length > 1000) objects.length = 0;
    }
    if (run > 0) times.push(Number(process.hrtime.bigint() - start) / 1e6 + (sink < 0 ? 1 : 0));
  }
  return Math.round(times.sort((a, b) => a - b)[1]!);
}

/** Cumulative CPU jiffies of the machine: [total, steal] (first line of /proc/stat). */
export function cpuJiffies(): [number, number] {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return [total, f[7] ?? 0];
}

/** Steal in percent between two cpuJiffies() readings. */
export function stealPercent(before: [number, number], after: [number, number]): number {
  const total = after[0] - before[0];
  return total > 0 ? Math.round((100 * (after[1] - before[1])) / total) : 0;
}
