// CPU time of this process's finished children (/proc/self/stat cutime and cstime), to tell how busy a load
// generator was: read before and after a SIPp run, the difference is SIPp's own CPU time.
import { readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ on Linux

export interface ChildCpu {
  userS: number;
  systemS: number;
}

export function childCpu(): ChildCpu {
  // Fields after the ")" that ends the command name: state is field 3; cutime and cstime are fields 16 and 17.
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { userS: Number(f[13]) / TICKS_PER_S, systemS: Number(f[14]) / TICKS_PER_S };
}

/** "N % of a core (M % in the kernel)" for the children that finished between `before` and now, over `wallMs`. */
export function childCpuShare(before: ChildCpu, wallMs: number): string {
  const after = childCpu();
  const user = after.userS - before.userS;
  const sys = after.systemS - before.systemS;
  const pct = (s: number) => Math.round((100 * s * 1000) / wallMs);
  return `${pct(user + sys)} % of a core (${pct(sys)} % in the kernel)`;
}
