/**
 * Writes made to a socket within one tick leave in one writev instead of one syscall each: the first write of a
 * tick corks the socket and the uncork is queued for the end of the tick. Order is kept.
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
    this.socket.uncork();
  };
}
