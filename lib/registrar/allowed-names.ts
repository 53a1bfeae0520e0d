/**
 * "Allowed URI names" (product brief): a node accepts out-of-dialog requests whose Request-URI host is one of the
 * cluster's names (the cluster FQDN, every member's hostname) or one of its own addresses; a device that failed
 * over keeps addressing the name it used first, so every member accepts all of them.
 */
import { safeParseUri } from './register-input.js';

/** Request-URIs remembered with their verdict: devices use a handful of distinct ones, each parsed once. */
const MAX_REMEMBERED = 256;

export class AllowedUriNames {
  private readonly names = new Set<string>();
  private readonly verdicts = new Map<string, boolean>();

  constructor(configured: readonly string[]) {
    for (const n of configured) this.add(n);
  }

  /** Adds a name or address (e.g. the node's listening addresses once known). */
  add(name: string): void {
    this.names.add(normalise(name));
    this.verdicts.clear();
  }

  /** The host of a Request-URI, or undefined if the URI is not a SIP URI. */
  hostOf(requestUri: string): string | undefined {
    const host = safeParseUri(requestUri)?.host;
    return host === undefined ? undefined : normalise(host);
  }

  allows(requestUri: string): boolean {
    const known = this.verdicts.get(requestUri);
    if (known !== undefined) return known;
    const host = this.hostOf(requestUri);
    const verdict = host !== undefined && this.names.has(host);
    // Bounded: a flood of distinct URIs costs a parse each, never memory.
    if (this.verdicts.size >= MAX_REMEMBERED) this.verdicts.clear();
    this.verdicts.set(requestUri, verdict);
    return verdict;
  }

  list(): string[] {
    return [...this.names];
  }
}

/** Host names compare case-insensitively (RFC 3261 19.1.4); IPv6 references lose their brackets. */
function normalise(host: string): string {
  const h = host.trim().toLowerCase();
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}
