/**
 * Loads a node's config: defaults from the schema, overridden by a JSON file
 * and then by a JSON object given in code (tests) — validated once at start.
 */
import { readFile } from 'node:fs/promises';
import { configSchema, type SipedgeConfig } from './config-schema.js';
import { ConfigError, validate } from './schema-validator.js';

export { ConfigError };

/** Validate an in-memory config object (everything optional; defaults filled). */
export function resolveConfig(input: unknown): SipedgeConfig {
  const config = validate(configSchema, input, '') as SipedgeConfig;
  const tls = config.sip.tls;
  if (tls.enabled && (!tls.keyFile || !tls.certFile)) {
    throw new ConfigError('sip.tls', 'keyFile and certFile are required when TLS is enabled');
  }
  if (config.sip.timers.t2Ms < config.sip.timers.t1Ms) {
    throw new ConfigError('sip.timers.t2Ms', 'must be >= t1Ms (RFC 3261 17.1.2.2)');
  }
  const probe = config.callServers.probeIntervalS;
  if (probe > 0 && probe < 1) throw new ConfigError('callServers.probeIntervalS', `must be 0 (no probing) or >= 1, got ${probe}`);
  if (config.media.portMax < config.media.portMin) throw new ConfigError('media.portMax', 'must be >= media.portMin');
  if (config.node.appProcesses > 1) {
    // The app processes share bindings, nonces and failure counters only through the store, and reach the engine
    // of this node; each launching its own rtpengine would be wrong.
    if (config.store.type !== 'redis') throw new ConfigError('node.appProcesses', 'more than 1 needs store.type "redis" (the processes share registrations through it)');
    if (config.drachtio.mode !== 'embedded') throw new ConfigError('node.appProcesses', 'more than 1 needs drachtio.mode "embedded" (the processes connect to this node\'s engine)');
    if (config.media.launch.enabled) throw new ConfigError('node.appProcesses', 'more than 1 cannot be combined with media.launch (list the rtpengine in media.rtpengines)');
  }
  return config;
}

/** Read a JSON config file (if given) and merge `overrides` on top, then validate. */
export async function loadConfig(file?: string, overrides?: unknown): Promise<SipedgeConfig> {
  let fromFile: unknown = {};
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new ConfigError('(file)', `cannot read ${file}: ${(err as Error).message}`);
    }
    try {
      fromFile = JSON.parse(text);
    } catch (err) {
      throw new ConfigError('(file)', `${file} is not valid JSON: ${(err as Error).message}`);
    }
  }
  return resolveConfig(deepMerge(fromFile, overrides ?? {}));
}

export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
