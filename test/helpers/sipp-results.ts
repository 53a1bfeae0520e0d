// Reading SIPp's result files: the statistics CSV (-trace_stat), the final screen text and the
// response-time trace (-trace_rtt). Pure functions, so they are testable without SIPp.

export interface CallCounts {
  successful: number;
  failed: number;
}

export interface RttSummary {
  count: number;
  /** Milliseconds. SIPp records response times with 1 ms resolution. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** The last data row of a SIPp statistics CSV, keyed by column name. */
export function parseStatCsv(text: string, delimiter = ';'): Record<string, string> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) return {};
  const header = (lines[0] ?? '').split(delimiter);
  const row = (lines[lines.length - 1] ?? '').split(delimiter);
  const out: Record<string, string> = {};
  header.forEach((name, i) => {
    if (name) out[name] = row[i] ?? '';
  });
  return out;
}

/** Cumulative successful/failed call counts from a statistics row, if present. */
export function countsFromStats(stats: Record<string, string>): CallCounts | null {
  const ok = stats['SuccessfulCall(C)'];
  const ko = stats['FailedCall(C)'];
  if (ok === undefined || ko === undefined) return null;
  return { successful: Number(ok), failed: Number(ko) };
}

/** Counts from the last "Successful call | periodic | cumulative" lines SIPp prints on exit. */
export function parseScreenCounts(text: string): CallCounts | null {
  const last = (label: string): number | null => {
    const re = new RegExp(`${label}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`, 'g');
    let value: number | null = null;
    for (const m of text.matchAll(re)) value = Number(m[1]);
    return value;
  };
  const successful = last('Successful call');
  const failed = last('Failed call');
  if (successful === null || failed === null) return null;
  return { successful, failed };
}

/**
 * Response times (ms) from a -trace_rtt file, grouped by response-time number (rtd). With `window`, only the
 * samples traced at `from` ms of the run or later and before `to` (SIPp's Date_ms counts from its start).
 */
export function parseRttCsv(text: string, window: { from?: number; to?: number } = {}): Map<number, number[]> {
  const from = window.from ?? -Infinity;
  const to = window.to ?? Infinity;
  const byRtd = new Map<number, number[]>();
  for (const line of text.split(/\r?\n/)) {
    const [at, ms, rtd] = line.split(';');
    if (ms === undefined || rtd === undefined) continue;
    const value = Number(ms);
    const n = Number(rtd);
    if (!Number.isFinite(value) || !Number.isInteger(n)) continue; // header line
    const t = Number(at);
    if (t < from || t >= to) continue;
    const list = byRtd.get(n) ?? [];
    list.push(value);
    byRtd.set(n, list);
  }
  return byRtd;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function summarize(values: readonly number[]): RttSummary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] as number,
    mean: sum / sorted.length,
  };
}

export interface BucketPercentiles {
  /** Upper bound (ms) of the bucket holding the percentile; for the open last bucket, its lower bound. */
  p50: number;
  p99: number;
  /** True when a percentile fell in the open-ended last bucket. */
  openEnded: boolean;
}

/**
 * Coarse percentiles from the ResponseTimeRepartition<rtd> columns of the statistics CSV,
 * for runs without -trace_rtt.
 */
export function percentilesFromRepartition(stats: Record<string, string>, rtd = 1): BucketPercentiles | undefined {
  const prefix = `ResponseTimeRepartition${rtd}_`;
  const buckets: Array<{ bound: number; open: boolean; count: number }> = [];
  for (const [key, value] of Object.entries(stats)) {
    if (!key.startsWith(prefix)) continue;
    const m = key.slice(prefix.length).match(/^(<|>=)(\d+)$/);
    if (!m) continue;
    buckets.push({ bound: Number(m[2]), open: m[1] === '>=', count: Number(value) || 0 });
  }
  const total = buckets.reduce((a, b) => a + b.count, 0);
  if (total === 0) return undefined;
  buckets.sort((a, b) => a.bound - b.bound || Number(a.open) - Number(b.open));
  const at = (p: number): { bound: number; open: boolean } => {
    const need = Math.ceil((p / 100) * total);
    let seen = 0;
    for (const b of buckets) {
      seen += b.count;
      if (seen >= need) return b;
    }
    return buckets[buckets.length - 1] as { bound: number; open: boolean };
  };
  const p50 = at(50);
  const p99 = at(99);
  return { p50: p50.bound, p99: p99.bound, openEnded: p50.open || p99.open };
}

/** SIPp's version line, e.g. " SIPp v3.6.1-SCTP-PCAP-RTPSTREAM." -> version and build features. */
export function parseSippVersion(text: string): { version: string; features: string[] } | null {
  const m = text.match(/SIPp v(\d+(?:\.\d+)*)((?:-[A-Za-z0-9]+)*)/);
  if (!m) return null;
  return { version: m[1] as string, features: (m[2] ?? '').split('-').filter(Boolean) };
}
