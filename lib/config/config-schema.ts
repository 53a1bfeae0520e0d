/**
 * The one config schema of a sipedge node, with vendor-recommended defaults
 * (1200 s TCP/TLS idle timeout, 5060/5061, TLS 1.2 minimum). Times an operator
 * sets are in seconds; the engine works in milliseconds internally.
 */
import type { FieldSchema } from './schema-validator.js';

const listener = (port: number, withIdle: boolean): FieldSchema => ({
  type: 'object',
  fields: {
    enabled: { type: 'boolean', default: true },
    address: { type: 'string', default: '127.0.0.1', nonEmpty: true },
    port: { type: 'number', default: port, integer: true, min: 0, max: 65535 },
    ...(withIdle ? { idleTimeoutS: { type: 'number', default: 1200, min: 0.1, max: 86400 } } : {}),
  },
});

export const configSchema: FieldSchema = {
  type: 'object',
  fields: {
    node: {
      type: 'object',
      fields: {
        id: { type: 'string', default: 'sipedge-1', nonEmpty: true },
      },
    },
    log: {
      type: 'object',
      fields: {
        level: { type: 'string', default: 'info', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
      },
    },
    admin: {
      type: 'object',
      fields: {
        enabled: { type: 'boolean', default: true },
        address: { type: 'string', default: '127.0.0.1', nonEmpty: true },
        port: { type: 'number', default: 9090, integer: true, min: 0, max: 65535 },
      },
    },
    sip: {
      type: 'object',
      fields: {
        udp: listener(5060, false),
        tcp: listener(5060, true),
        tls: {
          type: 'object',
          fields: {
            enabled: { type: 'boolean', default: false },
            address: { type: 'string', default: '127.0.0.1', nonEmpty: true },
            port: { type: 'number', default: 5061, integer: true, min: 0, max: 65535 },
            idleTimeoutS: { type: 'number', default: 1200, min: 0.1, max: 86400 },
            keyFile: { type: 'string', optional: true },
            certFile: { type: 'string', optional: true },
            caFile: { type: 'string', optional: true },
            minVersion: { type: 'string', default: 'TLSv1.2', enum: ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] },
            verifyPeer: { type: 'boolean', default: true },
          },
        },
        limits: {
          type: 'object',
          fields: {
            maxMessageBytes: { type: 'number', default: 65535, integer: true, min: 1024, max: 16 * 1024 * 1024 },
            maxHeaders: { type: 'number', default: 256, integer: true, min: 8, max: 10000 },
            maxConnections: { type: 'number', default: 10000, integer: true, min: 1 },
            maxConnectionsPerIp: { type: 'number', default: 1000, integer: true, min: 1 },
            messageReceiveTimeoutS: { type: 'number', default: 10, min: 0.1, max: 3600 },
            maxWriteBacklogBytes: { type: 'number', default: 4 * 1024 * 1024, integer: true, min: 65536 },
            connectTimeoutS: { type: 'number', default: 10, min: 0.1, max: 300 },
          },
        },
        timers: {
          type: 'object',
          fields: {
            t1Ms: { type: 'number', default: 500, integer: true, min: 10, max: 60000 },
            t2Ms: { type: 'number', default: 4000, integer: true, min: 10, max: 600000 },
            t4Ms: { type: 'number', default: 5000, integer: true, min: 10, max: 600000 },
          },
        },
        overload: {
          type: 'object',
          fields: {
            maxPendingRequests: { type: 'number', default: 5000, integer: true, min: 1 },
            maxEventLoopLagMs: { type: 'number', default: 200, min: 1 },
            retryAfterS: { type: 'number', default: 5, integer: true, min: 0 },
          },
        },
      },
    },
    drachtio: {
      type: 'object',
      fields: {
        mode: { type: 'string', default: 'embedded', enum: ['embedded', 'external'] },
        host: { type: 'string', default: '127.0.0.1', nonEmpty: true },
        port: { type: 'number', default: 9022, integer: true, min: 0, max: 65535 },
        secret: { type: 'string', default: 'cymru', nonEmpty: true },
        connectTimeoutS: { type: 'number', default: 10, min: 0.1, max: 3600 },
      },
    },
  },
};

export interface ListenerConfig {
  enabled: boolean;
  address: string;
  port: number;
}

export interface SipedgeConfig {
  node: { id: string };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  admin: ListenerConfig;
  sip: {
    udp: ListenerConfig;
    tcp: ListenerConfig & { idleTimeoutS: number };
    tls: ListenerConfig & {
      idleTimeoutS: number;
      keyFile?: string;
      certFile?: string;
      caFile?: string;
      minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
      verifyPeer: boolean;
    };
    limits: {
      maxMessageBytes: number;
      maxHeaders: number;
      maxConnections: number;
      maxConnectionsPerIp: number;
      messageReceiveTimeoutS: number;
      maxWriteBacklogBytes: number;
      connectTimeoutS: number;
    };
    timers: { t1Ms: number; t2Ms: number; t4Ms: number };
    overload: { maxPendingRequests: number; maxEventLoopLagMs: number; retryAfterS: number };
  };
  drachtio: { mode: 'embedded' | 'external'; host: string; port: number; secret: string; connectTimeoutS: number };
}
