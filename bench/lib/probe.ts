// A latency probe: one OPTIONS every `everyMs` over its own TCP connection, recording status and latency,
// so a benchmark can tell when the node is back to normal after an overload.
import { connect, type SipStreamClient } from '../../test/helpers/sip-tls-client.js';

export interface ProbeSample {
  at: number;
  ms: number;
  status: number;
}

export function startProbe(port: number, everyMs = 50, timeoutMs = 2000): { stop(): Promise<ProbeSample[]> } {
  const samples: ProbeSample[] = [];
  let running = true;
  let n = 0;
  const loop = (async () => {
    let client: SipStreamClient | undefined;
    while (running) {
      const at = Date.now();
      try {
        client ??= await connect({ port, transport: 'tcp', connectTimeoutMs: timeoutMs });
        const res = await client.request(
          (ctx) =>
            [
              'OPTIONS sip:probe@127.0.0.1 SIP/2.0',
              `Via: SIP/2.0/TCP ${ctx.sentBy};branch=z9hG4bKprobe${++n}`,
              'Max-Forwards: 70',
              `From: <sip:probe@127.0.0.1>;tag=p${n}`,
              'To: <sip:probe@127.0.0.1>',
              `Call-ID: probe-${n}-${at}`,
              'CSeq: 1 OPTIONS',
              'Content-Length: 0',
              '',
              '',
            ].join('\r\n'),
          { timeoutMs },
        );
        samples.push({ at, ms: Date.now() - at, status: res.status });
      } catch {
        samples.push({ at, ms: Date.now() - at, status: 0 });
        client?.close();
        client = undefined;
      }
      const wait = everyMs - (Date.now() - at);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    client?.close();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** First time at or after `from` from which every sample for `holdMs` was a 200 under `maxMs`. */
export function recoveredAt(samples: ProbeSample[], from: number, maxMs = 20, holdMs = 1000): number | undefined {
  const after = samples.filter((s) => s.at >= from);
  for (let i = 0; i < after.length; i++) {
    const start = after[i]!.at;
    let ok = true;
    let j = i;
    for (; j < after.length && after[j]!.at < start + holdMs; j++) {
      if (after[j]!.status !== 200 || after[j]!.ms > maxMs) {
        ok = false;
        break;
      }
    }
    if (ok && j < after.length) return start;
  }
  return undefined;
}
