/**
 * RFC 2782 target selection order as a pure function: priority ascending,
 * and within one priority the weighted random ordering of the RFC's
 * "Usage rules" (page 3-4). Shared by the engine (DNS SRV targets) and the gateway (call servers): lib/common
 * holds pure, dependency-free algorithms both halves may use, and imports nothing.
 */

export interface SrvLike {
  priority: number;
  weight: number;
}

/** A source of uniform numbers in [0, 1), like Math.random (injectable so tests can seed it). */
export type RandomSource = () => number;

/**
 * Order SRV records for trying in turn. Within a priority: put weight-0
 * records first, then repeatedly pick a uniform integer r in [0, sum of the
 * remaining weights] and take the first record whose running weight sum is
 * >= r (RFC 2782), so a record's chance of going first is proportional to its
 * weight and weight-0 records come last except by a small chance. Returns a
 * new array; the input is not changed.
 */
export function orderSrv<T extends SrvLike>(records: readonly T[], random: RandomSource = Math.random): T[] {
  if (records.length <= 1) return records.slice();
  const byPriority = records.slice().sort((a, b) => a.priority - b.priority);
  const out: T[] = [];
  let i = 0;
  while (i < byPriority.length) {
    let j = i + 1;
    while (j < byPriority.length && byPriority[j]!.priority === byPriority[i]!.priority) j++;
    if (j - i === 1) out.push(byPriority[i]!);
    else weightedOrder(byPriority.slice(i, j), random, out);
    i = j;
  }
  return out;
}

/** RFC 2782 selection within one priority; appends to `out`. */
function weightedOrder<T extends SrvLike>(group: T[], random: RandomSource, out: T[]): void {
  // Weight-0 records at the beginning, in their given order (RFC 2782).
  const remaining = group.filter((r) => r.weight <= 0).concat(group.filter((r) => r.weight > 0));
  let total = 0;
  for (const r of remaining) total += Math.max(0, r.weight);
  while (remaining.length > 1) {
    const pick = Math.floor(random() * (total + 1)); // uniform in [0, total]
    let running = 0;
    let chosen = remaining.length - 1;
    for (let k = 0; k < remaining.length; k++) {
      running += Math.max(0, remaining[k]!.weight);
      if (running >= pick) {
        chosen = k;
        break;
      }
    }
    const [rec] = remaining.splice(chosen, 1);
    out.push(rec!);
    total -= Math.max(0, rec!.weight);
  }
  out.push(remaining[0]!);
}
