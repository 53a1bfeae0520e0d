/**
 * Which requests come from a call server (trusted, on the LAN side) rather than from a device (which must
 * authenticate). An entry is an IP ("10.0.0.5": any port) or an IP and port ("10.0.0.5:5060"). By default the
 * call servers' own hosts and the peer nodes' hosts (cluster.peers) are trusted: IP literals as they are, host
 * names resolved once at start.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ConfigError } from '../config/schema-validator.js';

export class TrustedSources {
  private readonly anyPort = new Set<string>();
  private readonly withPort = new Set<string>();

  /** Adds "ip" or "ip:port" ("[v6]:port" for IPv6 with a port). Throws a ConfigError naming `keyPath` if bad. */
  add(entry: string, keyPath = 'callServers.trustedSources'): void {
    const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(entry) ?? /^([^:]+):(\d{1,5})$/.exec(entry);
    if (m !== null) {
      const [, ip, port] = m as unknown as [string, string, string];
      if (isIP(ip) === 0 || Number(port) < 1 || Number(port) > 65535) throw new ConfigError(keyPath, `'${entry}' is not ip:port`);
      this.withPort.add(`${ip}|${Number(port)}`);
      return;
    }
    if (isIP(entry) === 0) throw new ConfigError(keyPath, `'${entry}' is not an IP address or ip:port`);
    this.anyPort.add(entry);
  }

  /** True when a request from `address`:`port` comes from a call server. */
  has(address: string, port: number | string): boolean {
    return this.anyPort.has(address) || this.withPort.has(`${address}|${Number(port)}`);
  }

  get size(): number {
    return this.anyPort.size + this.withPort.size;
  }
}

/**
 * The trusted sources from config: the explicit list when given, else every host given (call servers, peer
 * nodes; names resolved through the system resolver, all addresses). Start-up code. A name that does not resolve (an SRV-only name, DNS
 * down) is returned in `unresolved` for the caller to log: the operator then lists the addresses explicitly.
 */
export async function trustedSourcesFrom(
  explicit: readonly string[],
  defaultHosts: readonly string[],
): Promise<{ trusted: TrustedSources; unresolved: string[] }> {
  const trusted = new TrustedSources();
  const unresolved: string[] = [];
  if (explicit.length > 0) {
    explicit.forEach((e, i) => trusted.add(e, `callServers.trustedSources[${i}]`));
    return { trusted, unresolved };
  }
  for (const host of defaultHosts) {
    const bare = host.replace(/^\[|\]$/g, '');
    if (isIP(bare) !== 0) {
      trusted.add(bare, 'callServers.servers');
      continue;
    }
    try {
      for (const a of await lookup(bare, { all: true })) trusted.add(a.address, 'callServers.servers');
    } catch {
      unresolved.push(host);
    }
  }
  return { trusted, unresolved };
}
