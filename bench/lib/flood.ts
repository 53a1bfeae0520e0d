// An OPTIONS flood over one TCP connection at a fixed offered rate, for overload runs past what SIPp can generate
// on this machine. Messages are built from a template (unique branch, tag and Call-ID each); responses are counted
// by status from their status lines. If the node stops reading, the socket's write queue is capped: what could not
// be queued is counted as "not sent" (a real client's kernel buffer would be full too).
import { connect, type Socket } from 'node:net';

export interface FloodResult {
  offered: number;
  sent: number;
  notSent: number;
  byStatus: Record<string, number>;
  /** 200 responses per second of the run, one entry per second since the start. */
  okPerSecond: number[];
  /** When sending stopped (ms since epoch). */
  stoppedAt: number;
  /** When the last response arrived (ms since epoch). */
  lastResponseAt: number;
}

const MAX_QUEUED = 1 << 20;
const TICK_MS = 5;

export async function flood(port: number, rate: number, durationMs: number): Promise<FloodResult> {
  const sock: Socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', () => resolve());
    sock.once('error', reject);
  });
  const local = `127.0.0.1:${sock.localPort}`;
  const byStatus: Record<string, number> = {};
  const okPerSecond: number[] = [];
  const started = Date.now();
  let lastResponseAt = started;
  let tail = '';
  sock.on('data', (chunk: Buffer) => {
    lastResponseAt = Date.now();
    const text = tail + chunk.toString('latin1');
    let i = text.indexOf('SIP/2.0 ');
    while (i >= 0 && i + 11 <= text.length) {
      const code = text.slice(i + 8, i + 11);
      byStatus[code] = (byStatus[code] ?? 0) + 1;
      if (code === '200') {
        const sec = Math.floor((lastResponseAt - started) / 1000);
        okPerSecond[sec] = (okPerSecond[sec] ?? 0) + 1;
      }
      i = text.indexOf('SIP/2.0 ', i + 11);
    }
    tail = i >= 0 ? text.slice(i) : text.slice(-10);
  });
  sock.on('error', () => {});

  let offered = 0;
  let sent = 0;
  let notSent = 0;
  let n = 0;
  const message = (k: number) =>
    `OPTIONS sip:flood@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP ${local};branch=z9hG4bKfl${k}\r\nMax-Forwards: 70\r\n` +
    `From: <sip:flood@127.0.0.1>;tag=f${k}\r\nTo: <sip:flood@127.0.0.1>\r\nCall-ID: flood-${k}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = Date.now() - started;
      const due = Math.floor((Math.min(elapsed, durationMs) * rate) / 1000) - offered;
      if (due > 0) {
        offered += due;
        if (sock.writableLength > MAX_QUEUED) {
          notSent += due;
        } else {
          let batch = '';
          for (let k = 0; k < due; k++) batch += message(++n);
          sock.write(batch);
          sent += due;
        }
      }
      if (elapsed >= durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  const stoppedAt = Date.now();
  // Drain: wait until responses stop coming for 2 s (bounded at 60 s).
  while (Date.now() - lastResponseAt < 2000 && Date.now() - stoppedAt < 60000) await new Promise((r) => setTimeout(r, 200));
  sock.destroy();
  return { offered, sent, notSent, byStatus, okPerSecond, stoppedAt, lastResponseAt };
}
