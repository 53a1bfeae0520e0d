/**
 * The engine's own SIP addresses (spec 3.2 hostports, 13.1 loop refusal, 14.1 external-ip / dns-names),
 * read from the transport layer's bound listeners so port 0 configurations report the real ports.
 */
import { networkInterfaces } from 'node:os';
import type { LocalAddresses } from './contracts.js';
import type { ListeningAddress } from '../transport/transport-layer.js';

export interface LocalAddressOptions {
  /** Public address advertised instead of the bound one (spec 14.1 external-ip). */
  externalIp?: string;
  /** Extra names that count as "me" (spec 14.1 dns-names, 18 loops). */
  names?: readonly string[];
}

type Listening = () => readonly ListeningAddress[];

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

function stripBrackets(host: string): string {
  return host.length > 1 && host.charCodeAt(0) === 0x5b ? host.slice(1, -1) : host;
}

export class EngineLocalAddresses implements LocalAddresses {
  private readonly names: Set<string>;
  /** The bound listeners, read once the transport has started (they do not change while it runs). */
  private bound: readonly ListeningAddress[] | undefined;

  /** `listening` is read on each call: the transport binds (and learns its ports) after construction. */
  constructor(
    private readonly readListening: Listening,
    private readonly options: LocalAddressOptions = {},
  ) {
    this.names = new Set((options.names ?? []).map((n) => n.toLowerCase()));
    if (options.externalIp !== undefined) this.names.add(options.externalIp.toLowerCase());
  }

  /** Hot path (every response and UAC request): the transport builds a new list per read, so keep it. */
  private listening(): readonly ListeningAddress[] {
    let b = this.bound;
    if (b === undefined) {
      b = this.readListening();
      if (b.length > 0) this.bound = b;
    }
    return b;
  }

  hostports(): string {
    const parts: string[] = [];
    for (const l of this.listening()) parts.push(`${l.transport}/${this.advertised(l.address)}:${l.port}`);
    return parts.join(',');
  }

  listener(transport: 'udp' | 'tcp' | 'tls'): { host: string; port: number } | undefined {
    for (const l of this.listening()) {
      if (l.transport === transport) return { host: this.advertised(l.address), port: l.port };
    }
    return undefined;
  }

  isLocal(host: string, port?: number): boolean {
    const h = stripBrackets(host).toLowerCase();
    const named = this.names.has(h);
    for (const l of this.listening()) {
      const bound = l.address.toLowerCase();
      // A wildcard bind answers on every interface address (spec 18: loops through our own LAN address too).
      const hostMatches = named || h === bound || (WILDCARDS.has(bound) && this.interfaceAddresses().has(h));
      if (!hostMatches) continue;
      // No port in the URI means 5060 (RFC 3261 19.1.2); a named match without port counts for any listener.
      if (port === undefined ? l.port === 5060 || named : l.port === port) return true;
    }
    return false;
  }

  private ifaces: Set<string> | undefined;

  /** Read once, on the first loop check against a wildcard listener (interfaces rarely change while running). */
  private interfaceAddresses(): Set<string> {
    let set = this.ifaces;
    if (set === undefined) {
      set = new Set(['127.0.0.1', '::1']);
      for (const list of Object.values(networkInterfaces())) {
        for (const a of list ?? []) set.add(a.address.toLowerCase());
      }
      this.ifaces = set;
    }
    return set;
  }

  private advertised(address: string): string {
    const host = this.options.externalIp ?? address;
    return host.includes(':') && host.charCodeAt(0) !== 0x5b ? `[${host}]` : host;
  }
}
