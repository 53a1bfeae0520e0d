/**
 * Which headers of a request the gateway copies onto the other leg of a bridged call. Everything passes (identity
 * headers such as P-Asserted-Identity, Privacy, Diversion, History-Info, and headers we do not know), except
 * those that belong to one hop or one leg (RFC 3261 transaction and dialog headers, routing), the device's
 * credentials, and what the SIP engine writes itself.
 */

/** Lower-case names that never cross from one leg to the other. */
const LEG_LOCAL: ReadonlySet<string> = new Set([
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'contact',
  'max-forwards',
  'content-length',
  'content-type',
  'route',
  'record-route',
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'proxy-authenticate',
  // RFC 3262 reliable provisionals are a per-leg agreement; the engine adds RSeq/RAck on each leg itself.
  'rseq',
  'rack',
  'path',
]);

/** The headers of `headers` (srf's name -> value map) that pass to the other leg. */
export function passThroughHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    if (!LEG_LOCAL.has(name.toLowerCase())) out[name] = headers[name] as string;
  }
  return out;
}

/** A From or To value without its tag parameter (the other leg gets its own). */
export function withoutTag(nameAddr: string): string {
  return nameAddr.replace(/;\s*tag=[^;>,\s]*/i, '');
}

/** True when a request's Supported or Require lists the option tag (RFC 3261 20.37 / 20.32). */
export function supportsOption(get: (name: string) => string | undefined, tag: string): boolean {
  const re = new RegExp(`(^|,)\\s*${tag}\\s*(,|$)`, 'i');
  return re.test(get('Supported') ?? '') || re.test(get('Require') ?? '');
}

/**
 * Response headers for a leg whose request did not offer 100rel: reliable provisionals (RFC 3262) are agreed per
 * leg, so the other leg's `Require: 100rel` must not reach it (srf would then send that leg a reliable 1xx it
 * never asked for).
 */
export function without100rel(headers: Record<string, string>): Record<string, string> {
  const name = Object.keys(headers).find((h) => h.toLowerCase() === 'require');
  if (name === undefined) return headers;
  const rest = (headers[name] as string)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s.toLowerCase() !== '100rel');
  const out = { ...headers };
  if (rest.length === 0) delete out[name];
  else out[name] = rest.join(', ');
  return out;
}
