/** What the call routing handlers share: the srf app, the store, the call servers, media, and the node's policy. */
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { CallServerPool } from '../callservers/call-server-pool.js';
import type { MediaService } from '../media/media-contract.js';
import type { AllowedUriNames } from '../registrar/allowed-names.js';
import type { RegistrationStore } from '../store/registration-store.js';
import type { CallMetrics } from './call-metrics.js';
import type { CallRegistry } from './call-registry.js';
import type { PeerDirectory } from './call-targets.js';
import type { LocalContacts } from './local-contact.js';

export interface RoutingContext {
  srf: Srf;
  log: Logger;
  nodeId: string;
  store: RegistrationStore;
  callServers: CallServerPool;
  media: MediaService;
  allowed: AllowedUriNames;
  calls: CallRegistry;
  metrics: CallMetrics;
  peers: PeerDirectory;
  contacts: LocalContacts;
  /** A call server that sends nothing back within this long is skipped for the next one. */
  failoverTimeoutMs: number;
  ringTimeoutS: number;
  /** Retry-After of a 503 when the store or media is unavailable. */
  retryAfterS: number;
}
