// The load generator's closed TCP connections stay in TIME_WAIT for 60 s, each holding a local port. SIPp binds
// every new-connection-per-call socket to a port of its own before connecting, and the kernel's search for a free
// port gets slower as TIME_WAIT sockets pile up (in `perf`, most of SIPp's CPU at 1,500 connections/s was
// inet_csk_get_port). A run that opens thousands of connections therefore starts once the previous runs'
// TIME_WAIT sockets are gone, so that it measures the node, not the leftovers of the run before.
import { readFile, writeFile } from 'node:fs/promises';

/** TCP sockets in TIME_WAIT on this host (/proc/net/sockstat "tw"). */
export async function timeWaitSockets(): Promise<number> {
  const text = await readFile('/proc/net/sockstat', 'utf8');
  return Number(/^TCP:.*\btw (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Waits until at most `max` sockets are in TIME_WAIT, or `timeoutMs`; returns how many are left. */
export async function timeWaitDrained(max = 500, timeoutMs = 70_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  let n = await timeWaitSockets();
  while (n > max && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 1000));
    n = await timeWaitSockets();
  }
  return n;
}

const PORT_RANGE = '/proc/sys/net/ipv4/ip_local_port_range';
/** The range a load-test host would use: SIPp then finds a port for each new socket without a long search. */
const WIDE_RANGE = '1024 65000';

/**
 * Widens the host's ephemeral port range for the new-connection runs (as one would on a load-test host) when the
 * bench may (root), and returns what it did plus a function that puts the old range back. Debian's default,
 * 32768-60999, leaves SIPp 28,000 ports while each closed connection holds one for 60 s.
 */
export async function wideEphemeralPorts(): Promise<{ range: string; restore: () => Promise<void> }> {
  const old = (await readFile(PORT_RANGE, 'utf8')).trim().replace(/\s+/g, ' ');
  try {
    await writeFile(PORT_RANGE, WIDE_RANGE);
  } catch {
    return { range: `${old} (could not be widened: not root)`, restore: async () => undefined };
  }
  return { range: WIDE_RANGE, restore: () => writeFile(PORT_RANGE, old) };
}
