/**
 * The leader fields of a `proxy` command (spec 9.1):
 * `<id>|proxy|<txnId>|<remainInDialog>|<fullResponse>|<followRedirects>|<simultaneous|serial>|<provTimeout>|<finalTimeout>|<dest>...`
 */
export interface ProxyOptions {
  transactionId: string;
  /** Add Record-Route (or Path for REGISTER) so later requests pass through us. */
  remainInDialog: boolean;
  /** On a 3xx, try the Contact URIs it names. */
  followRedirects: boolean;
  /** Fork to all destinations at once (otherwise one after another). */
  simultaneous: boolean;
  /** Move on when a target sends nothing at all (not even 100) within this time. */
  provisionalTimeoutMs?: number;
  /** Move on when a target sends no final response within this time. */
  finalTimeoutMs?: number;
  destinations: string[];
}

/** `2s`, `500ms` or a bare number of seconds; undefined when empty or unreadable (spec 9.1 fields 7-8). */
export function parseDuration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = text.trim();
  if (s.length === 0) return undefined;
  let unit = 1000;
  let digits = s;
  if (s.endsWith('ms')) {
    unit = 1;
    digits = s.slice(0, -2);
  } else if (s.endsWith('s')) {
    digits = s.slice(0, -1);
  }
  const n = Number(digits);
  return Number.isFinite(n) && n > 0 ? Math.round(n * unit) : undefined;
}

export function parseProxyOptions(fields: readonly string[]): ProxyOptions {
  const destinations: string[] = [];
  for (let i = 9; i < fields.length; i++) {
    const d = fields[i]!.trim();
    if (d.length > 0) destinations.push(d);
  }
  return {
    transactionId: fields[2] ?? '',
    remainInDialog: fields[3] === 'remainInDialog',
    followRedirects: fields[5] === 'followRedirects',
    simultaneous: fields[6] === 'simultaneous',
    provisionalTimeoutMs: parseDuration(fields[7]),
    finalTimeoutMs: parseDuration(fields[8]),
    destinations,
  };
}
