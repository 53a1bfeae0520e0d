/**
 * The set of live TCP/TLS connections: by id, and by transport + remote
 * address + port so that responses and later requests toward a peer reuse
 * its existing connection (RFC 3261 18.2.2, RFC 5923). Also counts inbound
 * sockets per remote IP for the connection limits.
 */
import { RenewingMap } from '../collections/renewing-map.js';

/** What the table needs to know about a connection. */
export interface TableEntry {
  readonly id: string;
  readonly transport: 'tcp' | 'tls';
  readonly inbound: boolean;
  /** Keys under which the entry is findable by remote address; maintained by the table. */
  remoteKeys: string[] | string | undefined;
}

export type AdmitRefusal = 'limit-total' | 'limit-per-ip';

export function remoteKey(transport: string, host: string, port: number): string {
  return `${transport}|${host.toLowerCase()}|${port}`;
}

export class ConnectionTable<C extends TableEntry> {
  private readonly byId = new RenewingMap<string, C>();
  private readonly byRemote = new RenewingMap<string, C>();
  private readonly perIp = new RenewingMap<string, number>();
  /** Inbound sockets admitted and not yet closed (including TLS handshakes in progress). */
  private inboundSockets = 0;
  private outbound = 0;

  /** Connections in the table (inbound established, outbound connecting or established). */
  get size(): number {
    return this.byId.size;
  }

  /** Sockets counted against maxConnections. */
  get total(): number {
    return this.inboundSockets + this.outbound;
  }

  get(id: string): C | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<C> {
    return this.byId.values();
  }

  findByRemote(transport: string, host: string, port: number): C | undefined {
    return this.byRemote.get(remoteKey(transport, host, port));
  }

  /** Count an inbound socket from ip, or say which limit refuses it. */
  admit(ip: string, maxTotal: number, maxPerIp: number): AdmitRefusal | undefined {
    if (this.total >= maxTotal) return 'limit-total';
    const n = this.perIp.get(ip) ?? 0;
    if (n >= maxPerIp) return 'limit-per-ip';
    this.perIp.set(ip, n + 1);
    this.inboundSockets++;
    return undefined;
  }

  /** Undo admit() when the inbound socket closes. */
  release(ip: string): void {
    const n = this.perIp.get(ip);
    if (n === undefined) return;
    if (n <= 1) this.perIp.delete(ip);
    else this.perIp.set(ip, n - 1);
    this.inboundSockets--;
  }

  inboundFrom(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }

  add(conn: C, host: string, port: number): void {
    this.byId.set(conn.id, conn);
    if (!conn.inbound) this.outbound++;
    this.alias(conn, host, port);
  }

  /** Make conn findable under another remote address too (e.g. the resolved IP, or an RFC 5923 alias). */
  alias(conn: C, host: string, port: number): void {
    const key = remoteKey(conn.transport, host, port);
    const existing = this.byRemote.get(key);
    if (existing === conn) return;
    // The newest connection wins the key; the older one stays reachable by id.
    if (existing !== undefined) this.dropKey(existing, key);
    this.byRemote.set(key, conn);
    const keys = conn.remoteKeys;
    if (keys === undefined) conn.remoteKeys = key;
    else if (typeof keys === 'string') conn.remoteKeys = [keys, key];
    else keys.push(key);
  }

  remove(conn: C): boolean {
    if (this.byId.get(conn.id) !== conn) return false;
    this.byId.delete(conn.id);
    if (!conn.inbound) this.outbound--;
    const keys = conn.remoteKeys;
    if (typeof keys === 'string') {
      if (this.byRemote.get(keys) === conn) this.byRemote.delete(keys);
    } else if (keys !== undefined) {
      for (const k of keys) if (this.byRemote.get(k) === conn) this.byRemote.delete(k);
    }
    conn.remoteKeys = undefined;
    return true;
  }

  private dropKey(conn: C, key: string): void {
    const keys = conn.remoteKeys;
    if (keys === key) conn.remoteKeys = undefined;
    else if (Array.isArray(keys)) {
      const i = keys.indexOf(key);
      if (i >= 0) keys.splice(i, 1);
    }
  }
}
