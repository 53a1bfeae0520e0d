/**
 * Configuration of the transport layer: listeners (RFC 3261 18) and the
 * limits that protect the gateway from misbehaving peers.
 */
import type { SecureVersion } from 'node:tls';

export interface UdpConfig {
  enabled: boolean;
  address: string;
  port: number;
}

export interface TcpConfig {
  enabled: boolean;
  address: string;
  port: number;
  /** Close a connection with no traffic in either direction for this long. */
  idleTimeoutMs: number;
}

export type PemInput = string | Buffer;

export interface TlsConfig {
  enabled: boolean;
  address: string;
  port: number;
  idleTimeoutMs: number;
  /** PEM private key (the config loader reads files). Required when enabled. */
  key: PemInput;
  /** PEM certificate chain. Required when enabled. */
  cert: PemInput;
  /** Trusted CAs for verifying peers; Node's default roots when absent. */
  ca?: PemInput | PemInput[];
  minVersion: SecureVersion;
  /** Verify the server's certificate on outbound connections. */
  rejectUnauthorized: boolean;
}

export interface TransportLimits {
  /** Largest message (header block + body) accepted on any transport. */
  maxMessageBytes: number;
  /** Most header lines accepted in one message. */
  maxHeaders: number;
  /** Most TCP+TLS connections open at once (inbound, including TLS handshakes, plus outbound). */
  maxConnections: number;
  /** Most inbound TCP+TLS connections from one remote IP. */
  maxConnectionsPerIp: number;
  /** A message (or a TLS handshake) must arrive completely within this time once started. */
  messageReceiveTimeoutMs: number;
  /** Close a connection whose unsent output exceeds this (a peer that does not read). */
  maxWriteBacklogBytes: number;
  /** Give up on an outbound TCP/TLS connection not established within this time. */
  connectTimeoutMs: number;
}

export interface TransportConfig {
  udp: UdpConfig;
  tcp: TcpConfig;
  tls: TlsConfig;
  limits: TransportLimits;
  /** TOS byte of SIP signalling (DSCP << 2; 0 leaves sockets unmarked). */
  tos: number;
}

/** Any subset of TransportConfig; missing values take the defaults. */
export interface TransportConfigInput {
  udp?: Partial<UdpConfig>;
  tcp?: Partial<TcpConfig>;
  tls?: Partial<TlsConfig>;
  limits?: Partial<TransportLimits>;
  tos?: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 1_200_000;

export const DEFAULT_LIMITS: Readonly<TransportLimits> = Object.freeze({
  maxMessageBytes: 65535,
  maxHeaders: 256,
  maxConnections: 10000,
  maxConnectionsPerIp: 1000,
  messageReceiveTimeoutMs: 10000,
  maxWriteBacklogBytes: 4 * 1024 * 1024,
  connectTimeoutMs: 10000,
});

export const DEFAULT_TRANSPORT_CONFIG: Readonly<TransportConfig> = Object.freeze({
  udp: Object.freeze({ enabled: true, address: '127.0.0.1', port: 5060 }),
  tcp: Object.freeze({ enabled: true, address: '127.0.0.1', port: 5060, idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS }),
  // TLS needs a key and certificate, so it is off unless configured.
  tls: Object.freeze({
    enabled: false,
    address: '127.0.0.1',
    port: 5061,
    idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
    key: '',
    cert: '',
    minVersion: 'TLSv1.2' as SecureVersion,
    rejectUnauthorized: true,
  }),
  limits: DEFAULT_LIMITS,
  tos: 0,
});

/** A complete config from a partial one. */
export function withTransportDefaults(input: TransportConfigInput = {}): TransportConfig {
  const d = DEFAULT_TRANSPORT_CONFIG;
  return {
    udp: { ...d.udp, ...input.udp },
    tcp: { ...d.tcp, ...input.tcp },
    tls: { ...d.tls, ...input.tls },
    limits: { ...d.limits, ...input.limits },
    tos: input.tos ?? d.tos,
  };
}
