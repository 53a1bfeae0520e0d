/**
 * Writes made to a socket within one tick leave in one writev instead of one syscall each: the first write of a
 * tick corks the socket and the uncork is queued for the end of the tick (after the microtasks of that tick, so
 * answers sent from promise continuations of one read go together). Order is kept. The engine uses it for SIP and
 * control connections; the gateway for its drachtio and Redis connections, whose clients write each message apart.
 */
import type { Writable } from 'node:stream';

export class TickBatcher {
  private corked = false;

  constructor(private readonly socket: Writable) {}

  /** Call before each write. */
  batch(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(this.release);
  }

  private readonly release = (): void => {
    this.corked = false;
    // A socket destroyed meanwhile has nothing left to flush.
    if (!this.socket.destroyed) this.socket.uncork();
  };
}

const batchers = new WeakMap<Writable, TickBatcher>();

/** batch() for a socket owned by a library (srf, ioredis): call before anything that may write to it. */
export function batchWrites(socket: Writable | undefined): void {
  if (socket === undefined || socket.destroyed) return;
  let b = batchers.get(socket);
  if (b === undefined) batchers.set(socket, (b = new TickBatcher(socket)));
  b.batch();
}
