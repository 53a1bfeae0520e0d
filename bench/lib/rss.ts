// Resident memory of a process from /proc (Linux), and a sampler that keeps the peak during a run.
import { readFile } from 'node:fs/promises';

export async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = status.match(/^VmRSS:\s+(\d+) kB/m);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

export function sampleRss(pid: number, everyMs = 100): { stop(): Promise<{ peakKb: number; lastKb: number }> } {
  let peak = 0;
  let last = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        last = await rssKb(pid);
        if (last > peak) peak = last;
      } catch {
        running = false;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { peakKb: peak, lastKb: last };
    },
  };
}
