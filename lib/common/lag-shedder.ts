/**
 * The shed-fraction controller both overload controls use (the engine's and the srf app's): event-loop lag samples
 * raise the share of new requests refused while the lag is above target and lower it once back under, so the
 * served share settles at what the thread can really do (an AQM controller in the spirit of CoDel). Refusing
 * everything while lagging would turn a 2x overload into a collapse. Pure: the caller takes the samples.
 */
const STEP_UP = 0.1;
const STEP_DOWN = 0.05;
const MAX_SHED = 0.95;

export class LagShedder {
  private shed = 0;
  /** Error-diffusion accumulator: spreads refusals evenly, no randomness. */
  private acc = 0;

  constructor(private readonly targetLagMs: number) {}

  /** Takes one event-loop lag sample (ms). */
  sample(lagMs: number): void {
    if (lagMs > this.targetLagMs) this.shed = Math.min(MAX_SHED, this.shed + STEP_UP);
    else if (this.shed > 0) this.shed = this.shed - STEP_DOWN < 1e-9 ? 0 : this.shed - STEP_DOWN;
  }

  /** Share of new requests currently refused (0..0.95). */
  get fraction(): number {
    return this.shed;
  }

  /** Whether to refuse the next new request. */
  refuseNext(): boolean {
    if (this.shed === 0) return false;
    this.acc += this.shed;
    if (this.acc < 1) return false;
    this.acc -= 1;
    return true;
  }
}
