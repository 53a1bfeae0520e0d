/**
 * Batches the app's writes to the drachtio server: srf writes every message with its own socket.write, one
 * syscall each. Responses sent in the same tick (the 401s for one read of requests, the 200s for one read of
 * Redis replies) leave in one writev (lib/common/tick-batcher.ts). Order is kept.
 */
import type { Socket } from 'node:net';
import { batchWrites } from '../common/tick-batcher.js';

/** Call before sending on `msg`'s control connection: what is sent until the end of this tick goes out together. */
export function holdWrites(msg: object): void {
  batchWrites(socketOf(msg));
}

/** The control-channel socket srf keeps on each request and response it creates (not in srf's types). */
export function socketOf(msg: object): Socket | undefined {
  return (msg as { socket?: Socket }).socket;
}
