/**
 * A request to a call server that may never be answered: the caller moves on to the next server after a while,
 * and an answer that still comes later must be undone (hang up, unsubscribe), since nobody waits for it.
 */

export interface Deadline<T> {
  /** `work`'s outcome, or the timeout's if `work` takes longer than the deadline. */
  readonly outcome: Promise<T>;
  /** Lifts the deadline (the server has shown it is alive, e.g. with a provisional response). */
  lift(): void;
}

/**
 * Races `work` against `ms`. On timeout `outcome` resolves with `onTimeout()`; a value `work` produces after that
 * goes to `late`. `work` must not reject (map failures to a value first).
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => T, late: (value: T) => void = () => undefined): Deadline<T> {
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const outcome = new Promise<T>((resolve) => {
    timer = setTimeout(() => {
      settled = true;
      resolve(onTimeout());
    }, ms);
    void work.then((value) => {
      clearTimeout(timer);
      if (settled) return late(value);
      settled = true;
      resolve(value);
    });
  });
  return { outcome, lift: () => clearTimeout(timer) };
}
