/**
 * SIP over UDP (RFC 3261 18): one listening socket that receives datagrams
 * and sends everything outbound, so responses and requests leave from the
 * advertised port (RFC 3581 symmetric response routing relies on it).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { Flow } from './types.js';
import type { UdpConfig } from './transport-config.js';
import { normalizeAddress } from './address.js';
import { applyTos, readTos } from './socket-tos.js';

export interface DatagramSink {
  datagram(data: Buffer, flow: Flow): void;
}

export class UdpTransport {
  private socket: Socket | undefined;
  private localAddress = '';
  private localPort = 0;

  constructor(
    private readonly config: UdpConfig,
    private readonly sink: DatagramSink,
    private readonly logger: Logger,
    private readonly tos = 0,
  ) {}

  get address(): { address: string; port: number } | undefined {
    return this.socket === undefined ? undefined : { address: this.localAddress, port: this.localPort };
  }

  /** The socket's TOS byte as the OS reports it; undefined if unreadable. */
  get socketTos(): number | undefined {
    return this.socket === undefined ? undefined : readTos(this.socket);
  }

  async start(): Promise<void> {
    const socket = createSocket({ type: isIPv6(this.config.address) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.config.address, port: this.config.port }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    applyTos(socket, this.tos);
    const addr = socket.address();
    this.localAddress = normalizeAddress(addr.address);
    this.localPort = addr.port;
    // Send errors without a callback (ICMP unreachable and the like) land here; they are not fatal.
    socket.on('error', (err) => this.logger.debug({ err: err.message }, 'udp socket error'));
    socket.on('message', (data: Buffer, rinfo: RemoteInfo) => {
      this.sink.datagram(data, {
        transport: 'udp',
        localAddress: this.localAddress,
        localPort: this.localPort,
        remoteAddress: normalizeAddress(rinfo.address),
        remotePort: rinfo.port,
      });
    });
    this.socket = socket;
    this.logger.info({ transport: 'udp', address: this.localAddress, port: this.localPort }, 'listening');
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** A flow for sending from our socket to host:port. */
  flowTo(host: string, port: number): Flow {
    return { transport: 'udp', localAddress: this.localAddress, localPort: this.localPort, remoteAddress: host, remotePort: port };
  }

  /** Queue one datagram; false if the transport is not running. Failures are reported to onError when given. */
  send(data: Buffer, host: string, port: number, onError?: (err: Error) => void): boolean {
    const socket = this.socket;
    if (socket === undefined) return false;
    if (onError === undefined) socket.send(data, port, host);
    else
      socket.send(data, port, host, (err) => {
        if (err) onError(err);
      });
    return true;
  }
}
