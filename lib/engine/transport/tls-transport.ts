/**
 * SIP over TLS (RFC 3261 18, 26.2; RFC 5630): node:tls listener and outbound
 * connections that verify the server unless configured not to. Connection
 * limits are applied to the raw socket, before the handshake costs anything.
 */
import { isIP, type Server, type Socket } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import type { TlsConfig } from './transport-config.js';
import { StreamTransport, type StreamTransportContext } from './stream-transport.js';

export class TlsTransport extends StreamTransport {
  readonly name = 'tls' as const;
  protected readonly connectedEvent = 'secureConnect';

  constructor(
    private readonly tls: TlsConfig,
    ctx: StreamTransportContext,
  ) {
    super(tls, ctx);
  }

  protected createServer(): Server {
    const c = this.tls;
    if (!c.key || !c.cert) throw new Error('tls: key and cert are required when TLS is enabled');
    return createServer({
      key: c.key,
      cert: c.cert,
      ca: c.ca,
      minVersion: c.minVersion,
      // A handshake is bounded like a slow message.
      handshakeTimeout: this.limits.messageReceiveTimeoutMs,
    });
  }

  protected wireServer(server: Server): void {
    server.on('secureConnection', (socket: TLSSocket) => this.accept(socket));
    server.on('tlsClientError', (err: Error & { code?: string }) => {
      // A peer hanging up mid-handshake (or a socket refused by the limits) is not malformed input.
      if (err.code !== 'ECONNRESET') this.metrics.parseError('tls', 'tls-handshake');
      this.logger.debug({ err: err.message }, 'tls handshake failed');
    });
  }

  protected onAdmitted(): void {
    // The tls server wraps the socket itself and reports 'secureConnection'.
  }

  protected openSocket(host: string, port: number): Socket {
    const c = this.tls;
    return connect({
      host,
      port,
      // SNI and certificate name checks need a name, not an IP literal.
      servername: isIP(host) === 0 ? host : undefined,
      ca: c.ca,
      // Present our certificate too, for peers that ask for mutual TLS.
      key: c.key || undefined,
      cert: c.cert || undefined,
      minVersion: c.minVersion,
      rejectUnauthorized: c.rejectUnauthorized,
    });
  }
}
