/** Builds the registration store the config asks for (memory, or Redis — connected before it is returned). */
import type { Logger } from 'pino';
import type { StoreConfig } from '../config/config-schema.js';
import type { RegistrationStore } from './registration-store.js';
import { MemoryRegistrationStore } from './memory-store.js';
import { RedisRegistrationStore } from './redis-store.js';

export interface CreateStoreOptions {
  /** Clock (epoch ms); injectable for tests. */
  now?: () => number;
  logger?: Logger;
  /** Period of the expired-entry sweep (ms). */
  sweepIntervalMs?: number;
}

/**
 * Memory or Redis per `cfg.type`. For Redis, waits for the connection at most `commandTimeoutMs`: an unreachable
 * Redis does not stop the node from starting (calls fail with StoreUnavailableError until it is back).
 */
export async function createRegistrationStore(cfg: StoreConfig, opts: CreateStoreOptions = {}): Promise<RegistrationStore> {
  if (cfg.type === 'redis') {
    const store = new RedisRegistrationStore(cfg.redis, opts);
    await store.connect();
    return store;
  }
  return new MemoryRegistrationStore(opts);
}
