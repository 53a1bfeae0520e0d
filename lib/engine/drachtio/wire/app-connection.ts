/**
 * One application's control-channel connection over a TCP socket (spec 1.1, 1.4, 1.5).
 * Owns the socket and its frame decoder; knows nothing about commands (control-server.ts does).
 */
import type { Socket } from 'node:net';
import type { AppConnection } from '../contracts.js';
import { TickBatcher } from '../../../common/tick-batcher.js';
import { FrameDecoder, encodeString, type FrameError } from './frame-codec.js';

export interface SocketAppConnectionOptions {
  /** Called once per complete A->S payload. */
  onPayload: (conn: SocketAppConnection, payload: string) => void;
  /** Called once, after the socket closed for any reason. */
  onClose: (conn: SocketAppConnection) => void;
  /** A malformed frame was received; the connection is being closed (spec 1.1). */
  onFrameError?: (conn: SocketAppConnection, err: FrameError) => void;
  maxFrameBytes?: number;
  /** TCP keep-alive initial delay (spec 1.5). */
  keepAliveMs?: number;
}

let connCounter = 0;

export class SocketAppConnection implements AppConnection {
  readonly id = 'a' + ++connCounter;
  tags: readonly string[] = [];
  authenticated = false;
  readonly remoteAddress: string;
  readonly remotePort: number;
  private isClosed = false;
  private readonly batcher: TickBatcher;
  private readonly decoder: FrameDecoder;

  constructor(
    private readonly socket: Socket,
    opts: SocketAppConnectionOptions,
  ) {
    this.batcher = new TickBatcher(socket);
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, opts.keepAliveMs ?? 30_000);
    this.decoder = new FrameDecoder({
      maxFrameBytes: opts.maxFrameBytes,
      onFrame: (payload) => opts.onPayload(this, payload),
      onError: (err) => {
        opts.onFrameError?.(this, err);
        this.destroy();
      },
    });
    socket.on('data', (chunk: Buffer) => this.decoder.push(chunk));
    // Errors (ECONNRESET, ...) are followed by 'close'; handling them here keeps them from being thrown.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.markClosed();
      opts.onClose(this);
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  sendFrame(payload: string): void {
    if (this.isClosed) return;
    // An echo plus the network frames that follow it, a burst of requests: one writev (order kept, spec 6.5).
    this.batcher.batch();
    this.socket.write(encodeString(payload), 'utf8');
  }

  /** Flush what was written, then close (used after `NO|incorrect secret`, spec 3.2). */
  end(): void {
    if (this.isClosed) return;
    this.markClosed();
    this.socket.end();
    // A peer that never closes its side must not keep the socket forever.
    this.socket.setTimeout(2000, () => this.socket.destroy());
  }

  /** Close at once (protocol violation, server stop). */
  destroy(): void {
    this.markClosed();
    this.socket.destroy();
  }

  private markClosed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.decoder.stop();
  }
}
