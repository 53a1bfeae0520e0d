/** Public surface of the transport layer. */
export { TransportLayer, type TransportLayerDeps, type ListeningAddress } from './transport-layer.js';
export {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_LIMITS,
  DEFAULT_TRANSPORT_CONFIG,
  withTransportDefaults,
  type TransportConfig,
  type TransportConfigInput,
  type TransportLimits,
  type UdpConfig,
  type TcpConfig,
  type TlsConfig,
} from './transport-config.js';
export type { ConnectionCloseReason, ConnectionInfo, Flow, SendTarget, TransportEvents } from './types.js';
