/**
 * SIP over TCP (RFC 3261 18): node:net listener and outbound connections;
 * everything else is shared with TLS in StreamTransport.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { StreamTransport } from './stream-transport.js';

export class TcpTransport extends StreamTransport {
  readonly name = 'tcp' as const;
  protected readonly connectedEvent = 'connect';

  protected createServer(): Server {
    return createServer({ noDelay: true });
  }

  protected wireServer(): void {}

  protected onAdmitted(socket: Socket): void {
    this.accept(socket);
  }

  protected openSocket(host: string, port: number): Socket {
    return createConnection({ host, port, noDelay: true });
  }
}
