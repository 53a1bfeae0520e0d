/**
 * DSCP marking of SIP signalling (RFC 2474; the vendor default is CS3 = 24). Node has no API for IP_TOS, so a
 * tiny native helper (native/sockopt, built by `npm run build`) sets it on the socket's descriptor. Without the
 * helper, or on a platform without descriptors, signalling goes unmarked and the node says so once at start.
 */
import { createRequire } from 'node:module';
import type { Server, Socket } from 'node:net';
import { Socket as DatagramSocket } from 'node:dgram';

interface SockoptAddon {
  setTos(fd: number, tos: number): number;
  getTos(fd: number): number;
}

let addon: SockoptAddon | null | undefined;

/** The native helper, or null when it was not built (loaded once). */
export function sockoptAddon(): SockoptAddon | null {
  if (addon !== undefined) return addon;
  try {
    // From dist/lib/engine/transport/ (or lib/engine/transport/ under a TS runner) to the repo root.
    const require = createRequire(import.meta.url);
    const candidates = ['../../../../native/sockopt/build/Release/sockopt.node', '../../../native/sockopt/build/Release/sockopt.node'];
    addon = null;
    for (const c of candidates) {
      try {
        addon = require(new URL(c, import.meta.url).pathname) as SockoptAddon;
        break;
      } catch {
        // try the next layout
      }
    }
  } catch {
    addon = null;
  }
  return addon;
}

/** The OS descriptor behind a net socket or server, or a dgram socket (Node keeps them on internal handles). */
export function descriptorOf(s: Socket | Server | DatagramSocket): number | undefined {
  if (!(s instanceof DatagramSocket)) {
    const direct = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
    return typeof direct === 'number' && direct >= 0 ? direct : undefined;
  }
  // dgram keeps its handle behind a symbol-keyed state object (its `_handle` getter is deprecated, DEP0112).
  for (const sym of Object.getOwnPropertySymbols(s)) {
    const fd = (s as unknown as Record<symbol, { handle?: { fd?: number } } | undefined>)[sym]?.handle?.fd;
    if (typeof fd === 'number' && fd >= 0) return fd;
  }
  return undefined;
}

/** Sets the TOS byte (DSCP << 2) on a socket; true when it was applied. Never throws. */
export function applyTos(s: Socket | Server | DatagramSocket, tos: number): boolean {
  if (tos <= 0) return false;
  const a = sockoptAddon();
  const fd = descriptorOf(s);
  if (a === null || fd === undefined) return false;
  try {
    return a.setTos(fd, tos) === 0;
  } catch {
    return false;
  }
}

/** The TOS byte of a socket (tests, diagnostics); undefined when it cannot be read. */
export function readTos(s: Socket | Server | DatagramSocket): number | undefined {
  const a = sockoptAddon();
  const fd = descriptorOf(s);
  if (a === null || fd === undefined) return undefined;
  const v = a.getTos(fd);
  return v >= 0 ? v : undefined;
}
