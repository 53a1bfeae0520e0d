/**
 * Closes device connections whose registrations all ended (RFC 3261 10.3 bindings expire; keep-alives alone would
 * hold such a connection open for ever). Every interval the engine's inbound connections are looked up in the
 * store: one that carried a binding at an earlier look and carries none now is released, which the engine does only
 * when no transaction or dialog uses it (otherwise it is asked again at the next look). Connections that never
 * carried a binding are left to the transport's idle timeout.
 *
 * Lives in lib/node because it joins both halves: the engine's connections and the gateway's store.
 */
import type { Logger } from 'pino';
import { connectionIdOf } from '../registrar/register-input.js';
import type { RegistrationStore } from '../store/registration-store.js';
import type { DeviceConnection } from './engine-thread.js';

/** What the engine (in-process or on its thread) offers for this. */
export interface DeviceConnectionControl {
  deviceConnections(): Promise<DeviceConnection[]>;
  /** Closes those of `ids` nothing uses; resolves with the ids closed. */
  releaseConnections(ids: string[]): Promise<string[]>;
}

export interface ConnectionReleaseOptions {
  engine: DeviceConnectionControl;
  store: Pick<RegistrationStore, 'connectionsBound'>;
  nodeId: string;
  intervalMs: number;
  log: Logger;
}

export class ConnectionRelease {
  /** Engine ids of open connections that carried a binding at an earlier look. */
  private readonly carried = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly o: ConnectionReleaseOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.check(), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look; resolves with how many connections were closed. Never rejects (a failed look is retried next time). */
  async check(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const conns = await this.o.engine.deviceConnections();
      const bound = await this.o.store.connectionsBound(
        this.o.nodeId,
        conns.map((c) => connectionIdOf(c.transport, c.remoteAddress, c.remotePort)),
      );
      const open = new Set<string>();
      const unbound: string[] = [];
      conns.forEach((c, i) => {
        open.add(c.id);
        if (bound[i] === true) this.carried.add(c.id);
        else if (this.carried.has(c.id)) unbound.push(c.id);
      });
      for (const id of this.carried) if (!open.has(id)) this.carried.delete(id);
      if (unbound.length === 0) return 0;
      const closed = await this.o.engine.releaseConnections(unbound);
      for (const id of closed) this.carried.delete(id);
      if (closed.length > 0) this.o.log.debug({ closed: closed.length, inUse: unbound.length - closed.length }, 'released device connections without bindings');
      return closed.length;
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'could not look for device connections without bindings');
      return 0;
    } finally {
      this.running = false;
    }
  }
}
