// The sockets a process holds, read from /proc (Linux). Lets a test assert that a peer such as
// baresip, or the gateway itself, binds and talks to loopback addresses only.
import { readFile, readdir, readlink } from 'node:fs/promises';

export interface SocketInfo {
  proto: 'tcp' | 'udp' | 'tcp6' | 'udp6';
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Kernel state code in hex ('0A' = TCP listen, '01' = established, '07' = UDP unconnected). */
  state: string;
}

function decodeIPv4(hex: string): string {
  // /proc prints the address as one little-endian 32-bit word.
  const bytes = [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return bytes.join('.');
}

function decodeIPv6(hex: string): string {
  // Four little-endian 32-bit words.
  const parts: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    const bytes = [6, 4, 2, 0].map((i) => word.slice(i, i + 2)).join('');
    parts.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  const full = parts.map((p) => parseInt(p, 16).toString(16)).join(':');
  if (full === '0:0:0:0:0:0:0:0') return '::';
  if (full === '0:0:0:0:0:0:0:1') return '::1';
  const mapped = full.match(/^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$/);
  if (mapped) {
    const hi = parseInt(mapped[1] as string, 16);
    const lo = parseInt(mapped[2] as string, 16);
    return `::ffff:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return full;
}

function decodeEndpoint(text: string, v6: boolean): [string, number] {
  const [addr = '', port = '0'] = text.split(':');
  return [v6 ? decodeIPv6(addr) : decodeIPv4(addr), parseInt(port, 16)];
}

/** Socket inodes open in process `pid`. */
async function socketInodes(pid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    try {
      const m = (await readlink(`/proc/${pid}/fd/${fd}`)).match(/^socket:\[(\d+)\]$/);
      if (m) inodes.add(m[1] as string);
    } catch {
      // fd closed while we looked
    }
  }
  return inodes;
}

/** TCP and UDP sockets (IPv4 and IPv6) held by process `pid`. */
export async function socketsOfPid(pid: number): Promise<SocketInfo[]> {
  const inodes = await socketInodes(pid);
  const out: SocketInfo[] = [];
  for (const proto of ['tcp', 'udp', 'tcp6', 'udp6'] as const) {
    let text: string;
    try {
      // The table of the process's own network namespace.
      text = await readFile(`/proc/${pid}/net/${proto}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || !inodes.has(cols[9] as string)) continue;
      const v6 = proto.endsWith('6');
      const [localAddress, localPort] = decodeEndpoint(cols[1] as string, v6);
      const [remoteAddress, remotePort] = decodeEndpoint(cols[2] as string, v6);
      out.push({ proto, localAddress, localPort, remoteAddress, remotePort, state: cols[3] as string });
    }
  }
  return out;
}

/** Whether an address is loopback (127.0.0.0/8, ::1, or IPv4-mapped loopback). */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

/** Whether an address is the unspecified "any" address (not bound / not connected). */
export function isUnspecified(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}
