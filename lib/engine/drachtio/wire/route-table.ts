/**
 * Which app connection gets a new network request or CDR (spec 4, 10, 11.2).
 * Routes are a *set* of (verb, connection) pairs: srf re-sends every route each time a handler is added,
 * so duplicates must not skew the round-robin (spec 4).
 */
import type { AppConnection, AppRouter } from '../contracts.js';

interface VerbEntry {
  conns: AppConnection[];
  /** Index of the connection to try first on the next pick. */
  next: number;
}

export class RouteTable implements AppRouter {
  private readonly byVerb = new Map<string, VerbEntry>();
  private readonly byConn = new Map<AppConnection, Set<string>>();

  /** Add a route; false when the pair already existed (still answered OK, spec 4). */
  add(verb: string, conn: AppConnection): boolean {
    const v = verb.toLowerCase();
    let verbs = this.byConn.get(conn);
    if (verbs?.has(v)) return false;
    if (verbs === undefined) {
      verbs = new Set();
      this.byConn.set(conn, verbs);
    }
    verbs.add(v);
    let entry = this.byVerb.get(v);
    if (entry === undefined) {
      entry = { conns: [], next: 0 };
      this.byVerb.set(v, entry);
    }
    entry.conns.push(conn);
    return true;
  }

  /** Per-verb removal (spec 4: what srf intends, not the real server's remove-all bug). */
  remove(verb: string, conn: AppConnection): boolean {
    const v = verb.toLowerCase();
    const verbs = this.byConn.get(conn);
    if (verbs === undefined || !verbs.delete(v)) return false;
    if (verbs.size === 0) this.byConn.delete(conn);
    this.dropFromVerb(v, conn);
    return true;
  }

  /** Drop every route of a connection (it closed). */
  removeConnection(conn: AppConnection): void {
    const verbs = this.byConn.get(conn);
    if (verbs === undefined) return;
    this.byConn.delete(conn);
    for (const v of verbs) this.dropFromVerb(v, conn);
  }

  pick(method: string): AppConnection | undefined {
    const entry = this.byVerb.get(method.toLowerCase());
    if (entry === undefined) return undefined;
    const conns = entry.conns;
    const n = conns.length;
    // Round-robin from `next`, skipping connections that closed but are not yet removed.
    for (let k = 0; k < n; k++) {
      const idx = (entry.next + k) % n;
      const c = conns[idx]!;
      if (!c.closed) {
        entry.next = (idx + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  pickCdr(type: 'cdr:attempt' | 'cdr:start' | 'cdr:stop'): AppConnection | undefined {
    return this.pick(type);
  }

  /** Verbs a connection routed (lower case), for diagnostics and tests. */
  routesOf(conn: AppConnection): string[] {
    const verbs = this.byConn.get(conn);
    return verbs === undefined ? [] : [...verbs];
  }

  /** Connections routed for a verb, in round-robin order of registration. */
  connectionsFor(verb: string): readonly AppConnection[] {
    return this.byVerb.get(verb.toLowerCase())?.conns ?? [];
  }

  private dropFromVerb(v: string, conn: AppConnection): void {
    const entry = this.byVerb.get(v);
    if (entry === undefined) return;
    const idx = entry.conns.indexOf(conn);
    if (idx < 0) return;
    entry.conns.splice(idx, 1);
    if (entry.conns.length === 0) {
      this.byVerb.delete(v);
      return;
    }
    // Keep pointing at the same next connection after the removal shifted the array.
    if (idx < entry.next) entry.next--;
    if (entry.next >= entry.conns.length) entry.next = 0;
  }
}
