/**
 * Connecting an Srf to a drachtio server as a promise with a deadline (srf.connect itself only emits events and
 * retries forever), and disconnecting so that no retry outlives stop().
 */
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';

export interface DrachtioEndpoint {
  host: string;
  port: number;
  secret: string;
}

/** The parts of srf's wire-protocol client that decide whether it reconnects (not in srf's public types). */
interface WireClient {
  closing?: boolean;
  reconnectVars?: { retryTimer?: NodeJS.Timeout | null };
}
interface SrfInternals {
  app?: { client?: { wp?: WireClient } };
}

export function connectSrf(
  srf: Srf,
  endpoint: DrachtioEndpoint,
  log: Logger,
  timeoutMs: number,
): Promise<{ hostports: string[]; serverVersion: string }> {
  const where = `${endpoint.host}:${endpoint.port}`;
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const timer = setTimeout(() => {
      srf.removeListener('connect', onConnect);
      disconnectSrf(srf);
      const why = lastError ? ` (last error: ${lastError.message})` : '';
      reject(new Error(`could not connect to the drachtio server at ${where} within ${timeoutMs} ms${why}`));
    }, timeoutMs);
    const onConnect = (err: Error | null, hostport?: string, serverVersion?: string) => {
      if (err) {
        // A wrong secret will not fix itself: fail now rather than let srf retry until the deadline.
        clearTimeout(timer);
        srf.removeListener('connect', onConnect);
        disconnectSrf(srf);
        reject(new Error(`drachtio server at ${where} refused the app: ${err.message}`));
        return;
      }
      clearTimeout(timer);
      srf.removeListener('connect', onConnect);
      resolve({ hostports: (hostport ?? '').split(',').filter(Boolean), serverVersion: serverVersion ?? '' });
    };
    // srf turns socket errors into 'error' events; unhandled they would throw. It reconnects by itself.
    srf.on('error', (err: Error) => {
      lastError = err;
      log.warn({ err: err.message, server: where }, 'drachtio connection error');
    });
    (srf as unknown as NodeJS.EventEmitter).on('reconnecting', (info: { attempt: number; delay: number }) => {
      log.info({ server: where, ...info }, 'reconnecting to drachtio server');
    });
    srf.on('connect', onConnect);
    void srf.connect({ host: endpoint.host, port: endpoint.port, secret: endpoint.secret });
  });
}

/** Closes the control connection and stops srf's reconnect loop, connected or not. */
export function disconnectSrf(srf: Srf): void {
  const wp = (srf as unknown as SrfInternals).app?.client?.wp;
  if (wp) {
    wp.closing = true;
    if (wp.reconnectVars?.retryTimer) {
      clearTimeout(wp.reconnectVars.retryTimer);
      wp.reconnectVars.retryTimer = null;
    }
  }
  try {
    srf.disconnect();
  } catch {
    // srf throws when it has no socket yet (never connected): nothing more to close.
  }
}
