/**
 * Batches the app's writes to the drachtio server: srf writes every message with its own socket.write, one
 * syscall each. Responses sent in the same event-loop turn (the 401s for one read of requests, the 200s for one
 * read of Redis replies) are held with cork() and leave in one writev at the turn's check phase. Order is kept.
 */
import type { Socket } from 'node:net';

const held = new WeakSet<Socket>();

function release(socket: Socket): void {
  held.delete(socket);
  if (!socket.destroyed) socket.uncork();
}

/** Call before sending on `socket`: writes until the end of this turn go out together. */
export function holdWrites(socket: Socket | undefined): void {
  if (socket === undefined || held.has(socket) || socket.destroyed) return;
  held.add(socket);
  socket.cork();
  setImmediate(release, socket);
}

/** The control-channel socket srf keeps on each request and response it creates (not in srf's types). */
export function socketOf(msg: object): Socket | undefined {
  return (msg as { socket?: Socket }).socket;
}
