// Free-port discovery on loopback. Ports are drawn below the kernel's ephemeral range, then held to check they are
// free (on both protocols when asked): a port the kernel picks (bind to 0) comes from the range it also hands to
// every outgoing connection and unbound UDP socket on the machine, so another process could take it between this
// check and the test's own bind (seen as EADDRINUSE in a node start).
import { createServer, type Server } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export type PortKind = 'tcp' | 'udp' | 'both';

const HOST = '127.0.0.1';
const MAX_ATTEMPTS = 50;
const WINDOW_START = 10_000;
/** rtpengine's media port blocks start here (test/helpers/rtpengine.ts): signalling ports stay below them. */
const WINDOW_END = 24_000;

/** First port of the kernel's ephemeral range (net.ipv4.ip_local_port_range). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : 32768;
  } catch {
    return 32768;
  }
}

/** A port to try: random below the ephemeral range, or 0 (the kernel's choice) when that range starts too low. */
function candidatePort(): number {
  const end = Math.min(ephemeralLow(), WINDOW_END);
  if (end - WINDOW_START < 1000) return 0;
  return WINDOW_START + Math.floor(Math.random() * (end - WINDOW_START));
}

interface Held {
  port: number;
  release: () => Promise<void>;
}

function holdTcp(port: number): Promise<Held | null> {
  return new Promise((resolve) => {
    const server: Server = createServer();
    server.once('error', () => resolve(null));
    server.listen({ host: HOST, port, exclusive: true }, () => {
      const addr = server.address();
      const bound = typeof addr === 'object' && addr !== null ? addr.port : 0;
      resolve({ port: bound, release: () => new Promise<void>((r) => server.close(() => r())) });
    });
  });
}

function holdUdp(port: number): Promise<Held | null> {
  return new Promise((resolve) => {
    const socket: Socket = createSocket({ type: 'udp4', reuseAddr: false });
    socket.once('error', () => {
      socket.close();
      resolve(null);
    });
    socket.bind({ address: HOST, port, exclusive: true }, () => {
      resolve({ port: socket.address().port, release: () => new Promise<void>((r) => socket.close(() => r())) });
    });
  });
}

async function holdFree(kind: PortKind): Promise<Held> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const port = candidatePort();
    const first = kind === 'udp' ? await holdUdp(port) : await holdTcp(port);
    if (!first) continue;
    if (kind !== 'both') return first;
    const second = await holdUdp(first.port);
    if (second) {
      return {
        port: first.port,
        release: async () => {
          await Promise.all([first.release(), second.release()]);
        },
      };
    }
    await first.release();
  }
  throw new Error(`freePort: no free ${kind} port on ${HOST} after ${MAX_ATTEMPTS} attempts`);
}

/** A port free on 127.0.0.1 for the given protocol(s) at the time of the call. */
export async function freePort(kind: PortKind = 'both'): Promise<number> {
  const held = await holdFree(kind);
  await held.release();
  return held.port;
}

/**
 * Several distinct free ports. All are held until every one is found, so the kernel
 * cannot hand the same number out twice.
 */
export async function freePorts(count: number, kind: PortKind = 'both'): Promise<number[]> {
  const held: Held[] = [];
  try {
    while (held.length < count) held.push(await holdFree(kind));
    return held.map((h) => h.port);
  } finally {
    await Promise.all(held.map((h) => h.release()));
  }
}

/** Whether nothing is bound to `port` on 127.0.0.1 for the given protocol(s). */
export async function isPortFree(port: number, kind: PortKind = 'both'): Promise<boolean> {
  const tcp = kind === 'udp' ? null : await holdTcp(port);
  if (kind !== 'udp' && !tcp) return false;
  const udp = kind === 'tcp' ? null : await holdUdp(port);
  await tcp?.release();
  if (kind !== 'tcp' && !udp) return false;
  await udp?.release();
  return true;
}

/**
 * Whether some socket is bound to `port` (UDP) or listening on it (TCP), read from the kernel's
 * socket tables. Unlike a bind probe this never holds the port, so it cannot race the
 * process that is starting up.
 */
export async function isListening(port: number, proto: 'tcp' | 'udp'): Promise<boolean> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of [`/proc/net/${proto}`, `/proc/net/${proto}6`]) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue; // no IPv6 table on this host
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      const local = cols[1] ?? '';
      const state = cols[3];
      // 0A is TCP_LISTEN; a UDP socket counts as soon as it is bound (07 = unconnected).
      if (local.endsWith(`:${hexPort}`) && (proto === 'udp' || state === '0A')) return true;
    }
  }
  return false;
}

export interface WaitListeningOptions {
  timeoutMs?: number;
  /** Stop waiting early (with an error) once this returns a reason, e.g. the process exited. */
  abortIf?: () => string | null;
}

/** Polls until `port` is bound for every protocol in `protos`. */
export async function waitForListening(
  port: number,
  protos: ReadonlyArray<'tcp' | 'udp'>,
  opts: WaitListeningOptions = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    const states = await Promise.all(protos.map((p) => isListening(port, p)));
    if (states.every(Boolean)) return;
    const reason = opts.abortIf?.();
    if (reason) throw new Error(`port ${port} never became ready: ${reason}`);
    if (Date.now() > deadline) throw new Error(`port ${port} (${protos.join('+')}) not listening after ${opts.timeoutMs ?? 10_000} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
