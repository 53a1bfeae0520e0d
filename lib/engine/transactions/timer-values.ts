/**
 * SIP transaction timer values (RFC 3261 17, table 4 in appendix A; RFC 6026 for L and M).
 * Computed once per TimerConfig for reliable and unreliable transports, so
 * transactions only read numbers.
 */

export interface TimerConfig {
  /** RTT estimate (RFC 3261 17.1.1.1), ms. */
  t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, ms. */
  t2: number;
  /** Maximum duration a message will remain in the network, ms. */
  t4: number;
  /** Timer D on unreliable transports (RFC 3261 17.1.1.2: at least 32 s), ms. */
  d?: number;
}

export const DEFAULT_TIMER_CONFIG: Readonly<Required<TimerConfig>> = Object.freeze({
  t1: 500,
  t2: 4000,
  t4: 5000,
  d: 32_000,
});

/**
 * All values in ms. A value of 0 means "the timer is not used": for A/E/G the
 * request/response is not retransmitted, for D/I/J/K the state is left at once.
 */
export interface TimerValues {
  readonly reliable: boolean;
  readonly T1: number;
  readonly T2: number;
  readonly T4: number;
  /** INVITE request retransmit interval, initial (17.1.1.2); unreliable only. */
  readonly A: number;
  /** INVITE transaction timeout (17.1.1.2). */
  readonly B: number;
  /** Proxy INVITE transaction timeout (16.6 step 11); for a proxying TU, not used in this layer. */
  readonly C: number;
  /** Wait time for response retransmits in ICT Completed (17.1.1.2). */
  readonly D: number;
  /** Non-INVITE request retransmit interval, initial (17.1.2.2); unreliable only. */
  readonly E: number;
  /** Non-INVITE transaction timeout (17.1.2.2). */
  readonly F: number;
  /** INVITE response retransmit interval, initial (17.2.1); unreliable only. */
  readonly G: number;
  /** Wait time for ACK receipt (17.2.1). */
  readonly H: number;
  /** Wait time for ACK retransmits in IST Confirmed (17.2.1). */
  readonly I: number;
  /** Wait time for non-INVITE request retransmits in NIST Completed (17.2.2). */
  readonly J: number;
  /** Wait time for response retransmits in NICT Completed (17.1.2.2). */
  readonly K: number;
  /** IST Accepted: wait for INVITE retransmissions after a 2xx (RFC 6026 8.7); 0 on reliable transports. */
  readonly L: number;
  /** ICT Accepted: wait for 2xx retransmissions and forks (RFC 6026 8.4). */
  readonly M: number;
}

export function timerValues(config: Partial<TimerConfig> | undefined, reliable: boolean): TimerValues {
  const t1 = config?.t1 ?? DEFAULT_TIMER_CONFIG.t1;
  const t2 = config?.t2 ?? DEFAULT_TIMER_CONFIG.t2;
  const t4 = config?.t4 ?? DEFAULT_TIMER_CONFIG.t4;
  const d = config?.d ?? DEFAULT_TIMER_CONFIG.d;
  if (!(t1 > 0 && t2 >= t1 && t4 > 0)) throw new RangeError(`invalid SIP timer config t1=${t1} t2=${t2} t4=${t4}`);
  const t1x64 = 64 * t1;
  return Object.freeze({
    reliable,
    T1: t1,
    T2: t2,
    T4: t4,
    A: reliable ? 0 : t1,
    B: t1x64,
    C: 180_000,
    D: reliable ? 0 : d,
    E: reliable ? 0 : t1,
    F: t1x64,
    G: reliable ? 0 : t1,
    H: t1x64,
    I: reliable ? 0 : t4,
    J: reliable ? 0 : t1x64,
    K: reliable ? 0 : t4,
    // RFC 6026 8.7 keeps an IST 64*T1 after a 2xx to absorb INVITE retransmissions, which a client never sends
    // over a reliable transport (17.1.1.2); there the ACK reaches the TU just the same with no transaction, so
    // holding every answered INVITE for 32 s would only cost memory (and GC time) at high call rates.
    L: reliable ? 0 : t1x64,
    M: t1x64,
  });
}

/** Both variants, built once per layer. */
export interface TimerTable {
  readonly reliable: TimerValues;
  readonly unreliable: TimerValues;
}

export function timerTable(config?: Partial<TimerConfig>): TimerTable {
  return Object.freeze({ reliable: timerValues(config, true), unreliable: timerValues(config, false) });
}
