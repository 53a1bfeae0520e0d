/**
 * Header reads on messages drachtio-srf parsed, without srf's `get()` / `has()`: each of those lists every header
 * name and lower-cases it per call (about 0.5 KB of garbage each), and the registrar reads a dozen headers per
 * REGISTER. srf's parser stores header names lower-cased, compact forms expanded ('m' -> 'contact'), so a
 * lower-case name is a direct property read. Only X-* headers, P-* headers other than P-Asserted-*, and Diversion
 * keep their case in srf; those are left to srf's own lookup.
 */
interface ParsedSrfMessage {
  headers: Record<string, unknown>;
  get(name: string): string | undefined;
}

function keptCase(lowerName: string): boolean {
  return lowerName.startsWith('x-') || (lowerName.startsWith('p-') && !lowerName.startsWith('p-asserted')) || lowerName === 'diversion';
}

/** The value of a header (several occurrences joined with commas, as srf does), or undefined if absent. */
export function headerValue(msg: ParsedSrfMessage, lowerName: string): string | undefined {
  const v = msg.headers[lowerName];
  if (typeof v === 'string') return v;
  // Not a plain string (a header srf holds parsed) or stored under its own case: srf's lookup knows.
  if (v !== undefined || keptCase(lowerName)) return msg.get(lowerName) ?? undefined;
  return undefined;
}
