/**
 * UAS 2xx reliability (spec 12.5, RFC 3261 13.3.1.4): over UDP the 2xx is re-sent after T1, doubling
 * up to T2, until the ACK arrives; after 64*T1 without an ACK (any transport) `onTimeout` runs, which
 * ends the dialog with a BYE. The transaction layer's Accepted state (RFC 6026) leaves this to the TU.
 */
import type { Clock, TimerHandle } from '../../timers/clock.js';

export interface AckWaitOptions {
  clock: Clock;
  T1: number;
  T2: number;
  /** Retransmit only over unreliable transports. */
  retransmit: boolean;
  resend(): void;
  onTimeout(): void;
}

export interface AckWait {
  stop(): void;
}

export function startAckWait(o: AckWaitOptions): AckWait {
  const clock = o.clock;
  let interval = o.T1;
  let resendTimer: TimerHandle | undefined;
  let timeoutTimer: TimerHandle | undefined;
  const tick = (): void => {
    o.resend();
    interval = Math.min(interval * 2, o.T2);
    resendTimer = clock.setTimer(interval, tick);
  };
  if (o.retransmit) resendTimer = clock.setTimer(interval, tick);
  timeoutTimer = clock.setTimer(64 * o.T1, () => {
    clock.clearTimer(resendTimer);
    resendTimer = timeoutTimer = undefined;
    o.onTimeout();
  });
  return {
    stop(): void {
      clock.clearTimer(resendTimer);
      clock.clearTimer(timeoutTimer);
      resendTimer = timeoutTimer = undefined;
    },
  };
}
