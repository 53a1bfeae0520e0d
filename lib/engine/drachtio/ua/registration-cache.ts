/**
 * Connections learned from REGISTER / SUBSCRIBE answered over TCP or TLS (spec 12.3, 14.4):
 * `<Contact user>@<Contact host>` (no port) -> connection id, until the binding expires or the
 * connection closes. Lets the engine reach NAT-ed stream clients on the connection they opened.
 */
import type { Clock } from '../../timers/clock.js';
import type { SipResponse } from '../../messages/message.js';
import { tryParseNameAddr } from '../../messages/name-addr.js';
import { tryParseUri } from '../../messages/uri.js';
import { RenewingMap, RenewingSet } from '../../collections/renewing-map.js';

interface Entry {
  connectionId: string;
  expiresAt: number;
}

export class RegistrationCache {
  private readonly byAor = new RenewingMap<string, Entry>();
  /** connection id -> keys bound to it, so a close removes them without a scan. */
  private readonly byConnection = new RenewingMap<string, RenewingSet<string>>();

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.byAor.size;
  }

  /** Bind (or with expiresS 0, unbind) `userAtHost` to a connection. */
  set(userAtHost: string, connectionId: string, expiresS: number): void {
    const key = userAtHost.toLowerCase();
    this.unbind(key);
    if (expiresS <= 0) return;
    this.byAor.set(key, { connectionId, expiresAt: this.clock.now() + expiresS * 1000 });
    let keys = this.byConnection.get(connectionId);
    if (keys === undefined) this.byConnection.set(connectionId, (keys = new RenewingSet()));
    keys.add(key);
  }

  /** The live connection id for `userAtHost`, if any; expired entries are dropped lazily. */
  lookup(userAtHost: string): string | undefined {
    const key = userAtHost.toLowerCase();
    const e = this.byAor.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= this.clock.now()) {
      this.unbind(key);
      return undefined;
    }
    return e.connectionId;
  }

  /** spec 14.4: a closed connection is removed from the cache. */
  connectionClosed(connectionId: string): void {
    const keys = this.byConnection.get(connectionId);
    if (keys === undefined) return;
    this.byConnection.delete(connectionId);
    for (const k of keys) this.byAor.delete(k);
  }

  private unbind(key: string): void {
    const old = this.byAor.get(key);
    if (old === undefined) return;
    this.byAor.delete(key);
    const keys = this.byConnection.get(old.connectionId);
    if (keys !== undefined) {
      keys.delete(key);
      if (keys.size === 0) this.byConnection.delete(old.connectionId);
    }
  }
}

/** `user@host` of a SIP URI string (lower-cased host), or undefined for URIs without a host. */
export function userAtHost(user: string | undefined, host: string): string | undefined {
  if (host.length === 0) return undefined;
  return (user ?? '') + '@' + host.toLowerCase();
}

/**
 * spec 12.3 / 14.4: bind every Contact of a REGISTER 200 / SUBSCRIBE 2xx to the arrival connection, for
 * the Contact's `expires`, else the Expires header (3600 when neither is given).
 */
export function cacheRegistration(cache: RegistrationCache, res: SipResponse, connectionId: string): void {
  const expiresHeader = res.get('expires');
  const defaultExpires = expiresHeader === undefined ? 3600 : parseInt(expiresHeader, 10);
  for (const c of res.getList('contact')) {
    const na = tryParseNameAddr(c);
    const uri = na === undefined ? undefined : tryParseUri(na.uri);
    if (na === undefined || uri === undefined) continue;
    const key = userAtHost(uri.user, uri.host);
    if (key === undefined) continue;
    const p = na.params.get('expires');
    const expires = typeof p === 'string' ? parseInt(p, 10) : defaultExpires;
    cache.set(key, connectionId, Number.isFinite(expires) ? expires : 0);
  }
}
