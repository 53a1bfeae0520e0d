/**
 * Reliable provisional responses sent by the UAS (RFC 3262 3, spec 12.2): each is re-sent over UDP
 * with T1 doubling until the PRACK whose RAck names it arrives; after 64*T1 `onTimeout` runs (the
 * INVITE is then refused with 503, spec 15). Several may be outstanding at once (createB2BUA relays them).
 */
import type { Clock, TimerHandle } from '../../timers/clock.js';
import { RenewingMap } from '../../collections/renewing-map.js';

interface Outstanding {
  resendTimer?: TimerHandle;
  giveUpTimer?: TimerHandle;
}

export class ReliableProvisionals {
  private readonly outstanding = new RenewingMap<string, Outstanding>();

  constructor(
    private readonly clock: Clock,
    private readonly T1: number,
    private readonly T2: number,
  ) {}

  get size(): number {
    return this.outstanding.size;
  }

  /** `key` is per INVITE (its dialog id); `rseq` the RSeq the response carries. */
  start(key: string, rseq: number, retransmit: boolean, resend: () => void, onTimeout: () => void): void {
    const id = key + ' ' + rseq;
    const o: Outstanding = {};
    let interval = this.T1;
    const tick = (): void => {
      resend();
      interval = Math.min(interval * 2, this.T2);
      o.resendTimer = this.clock.setTimer(interval, tick);
    };
    if (retransmit) o.resendTimer = this.clock.setTimer(interval, tick);
    o.giveUpTimer = this.clock.setTimer(64 * this.T1, () => {
      this.clear(id);
      onTimeout();
    });
    this.outstanding.set(id, o);
  }

  /** RFC 3262 4: a PRACK's `RAck: <rseq> <cseq> <method>`; true when it matched an outstanding response. */
  acknowledge(key: string, rack: string | undefined): boolean {
    if (rack === undefined) return false;
    const rseq = parseInt(rack.trim(), 10);
    if (!Number.isFinite(rseq)) return false;
    return this.clear(key + ' ' + rseq);
  }

  /** Stop every outstanding response of one INVITE (its final response was sent). */
  stopAll(key: string): void {
    const prefix = key + ' ';
    for (const id of [...this.outstanding.keys()]) if (id.startsWith(prefix)) this.clear(id);
  }

  private clear(id: string): boolean {
    const o = this.outstanding.get(id);
    if (o === undefined) return false;
    this.clock.clearTimer(o.resendTimer);
    this.clock.clearTimer(o.giveUpTimer);
    this.outstanding.delete(id);
    return true;
  }
}
