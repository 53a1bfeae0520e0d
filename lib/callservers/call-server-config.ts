/**
 * Call-server entries from config: each is one string in `callServers.servers`, e.g.
 * `sip:pbx1.example.com:5060;transport=tcp;priority=10;weight=60` (the config validator only knows flat types),
 * parsed and checked here at start. Errors name the entry (`callServers.servers[i]`).
 */
import { ConfigError } from '../config/schema-validator.js';

export type CallServerTransport = 'udp' | 'tcp' | 'tls';

export interface CallServerSpec {
  /** The entry as configured (also its metrics label and status key). */
  name: string;
  scheme: 'sip' | 'sips';
  /** Host name, IPv4 address or IPv6 reference (`[::1]`). */
  host: string;
  /** Undefined: resolved per RFC 3263 (SRV / default port) by the SIP side. */
  port?: number;
  transport?: CallServerTransport;
  /** RFC 2782: lower is preferred. */
  priority: number;
  /** RFC 2782: share within one priority. */
  weight: number;
  /** Request-URI of the OPTIONS probe (and of requests sent to this server). */
  uri: string;
}

const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?)$/i;

function intParam(path: string, name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new ConfigError(path, `${name} must be an integer, got '${value}'`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(path, `${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** Parses one entry; `path` is its key path for errors. */
export function parseCallServer(entry: string, path: string): CallServerSpec {
  const text = entry.trim();
  const m = /^(sips?):([^;]+)((?:;[^;]*)*)$/i.exec(text);
  if (m === null) throw new ConfigError(path, `expected 'sip:host[:port][;transport=..][;priority=..][;weight=..]', got '${entry}'`);
  const scheme = m[1]!.toLowerCase() as 'sip' | 'sips';
  const hostport = m[2]!;
  if (hostport.includes('@')) throw new ConfigError(path, `a call server is a host, not a user: '${entry}'`);
  const hp = /^(\[[^\]]+\]|[^:]+)(?::(.*))?$/.exec(hostport);
  if (hp === null || !HOST.test(hp[1]!)) throw new ConfigError(path, `invalid host in '${entry}'`);
  const host = hp[1]!.toLowerCase();
  const port = hp[2] === undefined ? undefined : intParam(path, 'port', hp[2], 1, 65535);
  let transport: CallServerTransport | undefined;
  let priority = 10;
  let weight = 100;
  const seen = new Set<string>();
  for (const raw of m[3]!.split(';').slice(1)) {
    const eq = raw.indexOf('=');
    const key = (eq < 0 ? raw : raw.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : raw.slice(eq + 1).trim();
    if (seen.has(key)) throw new ConfigError(path, `parameter '${key}' given twice`);
    seen.add(key);
    switch (key) {
      case 'transport': {
        const t = value.toLowerCase();
        if (t !== 'udp' && t !== 'tcp' && t !== 'tls') throw new ConfigError(path, `transport must be udp, tcp or tls, got '${value}'`);
        transport = t;
        break;
      }
      case 'priority':
        priority = intParam(path, 'priority', value, 0, 65535);
        break;
      case 'weight':
        weight = intParam(path, 'weight', value, 0, 65535);
        break;
      default:
        throw new ConfigError(path, `unknown parameter '${key}' (use transport, priority, weight)`);
    }
  }
  if (scheme === 'sips' && transport !== undefined && transport !== 'tls') throw new ConfigError(path, `sips: needs transport=tls, got ${transport}`);
  let uri = `${scheme}:${host}${port === undefined ? '' : `:${port}`}`;
  if (transport !== undefined && !(scheme === 'sips' && transport === 'tls')) uri += `;transport=${transport}`;
  return { name: text, scheme, host, port, transport, priority, weight, uri };
}

/** Parses every entry; duplicates (same URI) are refused. */
export function parseCallServers(entries: readonly string[], keyPath = 'callServers.servers'): CallServerSpec[] {
  const out: CallServerSpec[] = [];
  const uris = new Map<string, number>();
  entries.forEach((entry, i) => {
    const path = `${keyPath}[${i}]`;
    const spec = parseCallServer(entry, path);
    const prev = uris.get(spec.uri);
    if (prev !== undefined) throw new ConfigError(path, `same server as ${keyPath}[${prev}] (${spec.uri})`);
    uris.set(spec.uri, i);
    out.push(spec);
  });
  return out;
}
