/**
 * Turns the operator's config (seconds, file paths) into the engine's options
 * (milliseconds, PEM contents). Start-up code: file reads here are fine.
 */
import { readFile } from 'node:fs/promises';
import type { SipedgeConfig } from '../config/config-schema.js';
import { ConfigError } from '../config/schema-validator.js';
import type { SipEngineOptions } from '../engine/core/sip-engine.js';

async function readPem(keyPath: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new ConfigError(keyPath, `cannot read ${file}: ${(err as Error).message}`);
  }
}

export async function engineOptionsFrom(config: SipedgeConfig): Promise<Omit<SipEngineOptions, 'logger' | 'metrics' | 'clock'>> {
  const { udp, tcp, tls, limits, timers, overload } = config.sip;
  const tlsEnabled = tls.enabled;
  return {
    transport: {
      udp: { enabled: udp.enabled, address: udp.address, port: udp.port },
      tcp: { enabled: tcp.enabled, address: tcp.address, port: tcp.port, idleTimeoutMs: tcp.idleTimeoutS * 1000 },
      tls: {
        enabled: tlsEnabled,
        address: tls.address,
        port: tls.port,
        idleTimeoutMs: tls.idleTimeoutS * 1000,
        key: tlsEnabled && tls.keyFile ? await readPem('sip.tls.keyFile', tls.keyFile) : '',
        cert: tlsEnabled && tls.certFile ? await readPem('sip.tls.certFile', tls.certFile) : '',
        ca: tlsEnabled && tls.caFile ? await readPem('sip.tls.caFile', tls.caFile) : undefined,
        minVersion: tls.minVersion,
        rejectUnauthorized: tls.verifyPeer,
      },
      limits: {
        maxMessageBytes: limits.maxMessageBytes,
        maxHeaders: limits.maxHeaders,
        maxConnections: limits.maxConnections,
        maxConnectionsPerIp: limits.maxConnectionsPerIp,
        messageReceiveTimeoutMs: limits.messageReceiveTimeoutS * 1000,
        maxWriteBacklogBytes: limits.maxWriteBacklogBytes,
        connectTimeoutMs: limits.connectTimeoutS * 1000,
      },
      tos: config.sip.dscp << 2,
    },
    timers: { t1: timers.t1Ms, t2: timers.t2Ms, t4: timers.t4Ms },
    overload,
  };
}
