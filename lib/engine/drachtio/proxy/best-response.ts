/**
 * Choosing the response to forward when every branch failed (RFC 3261 16.7.6,
 * spec 9.3): 6xx first; then 401/407/415/420/484; then other 4xx; then 5xx; then the rest.
 */

/** Lower is better. */
export function responseRank(status: number): number {
  if (status >= 600) return 0;
  if (status === 401 || status === 407 || status === 415 || status === 420 || status === 484) return 1;
  if (status >= 500) return 3;
  if (status >= 400) return 2;
  return 4;
}

/** True when `candidate` should replace `current` (the earlier response wins a tie). */
export function isBetterResponse(candidate: number, current: number | undefined): boolean {
  return current === undefined || responseRank(candidate) < responseRank(current);
}
