/**
 * drachtio-srf builds its debug strings whether its debug output is on or off: for every response the app sends it
 * JSON-stringifies the message twice (`Response#send: msg: ...`, `agent#sendResponse: ...`) and serializes it once
 * more for `sendMessage: ${msg}`, besides the real serialization for the wire: about 4 % of the app's CPU per
 * authenticated registration (profiled at 3,000/s). While none of srf's debug namespaces is enabled, its
 * SipMessage gets a short JSON form and a short implicit string form, so those strings cost next to nothing.
 * The wire form is untouched: srf always serializes with an explicit `toString()`, which template literals and
 * String() do not call when `Symbol.toPrimitive` is defined.
 */
import { createRequire } from 'node:module';
import Srf from 'drachtio-srf';

/** srf's debug namespaces (`require('debug')('drachtio:...')` in its modules). */
const SRF_DEBUG_NAMESPACES = [
  'drachtio:agent',
  'drachtio:request',
  'drachtio:response',
  'drachtio:socket',
  'drachtio:srf',
] as const;

interface SipMessageLike {
  method?: string;
  status?: number;
  reason?: string;
  uri?: string;
  headers: Record<string, string | undefined>;
}

/** What a SipMessage shows in srf's (disabled) debug strings: its first line and Call-ID. */
function summary(this: SipMessageLike): string {
  const start =
    this.method !== undefined ? `${this.method} ${this.uri ?? ''}` : `${this.status ?? '?'} ${this.reason ?? ''}`;
  return `[SipMessage ${start} call-id=${this.headers['call-id'] ?? '?'}]`;
}

let installed: boolean | undefined;

/**
 * Installs the short forms once, unless one of srf's debug namespaces is enabled (DEBUG=drachtio:*): then srf's
 * debug output keeps whole messages. Returns whether they are installed.
 */
export function quietSrfDebugStrings(): boolean {
  if (installed !== undefined) return installed;
  // srf's own copy of `debug`, resolved from srf's package.
  const srfRequire = createRequire(createRequire(import.meta.url).resolve('drachtio-srf'));
  const debug = srfRequire('debug') as { enabled(namespace: string): boolean };
  installed = !SRF_DEBUG_NAMESPACES.some((ns) => debug.enabled(ns));
  if (installed) {
    const proto = (Srf as unknown as { SipMessage: { prototype: object } }).SipMessage.prototype;
    Object.defineProperty(proto, 'toJSON', { value: summary, configurable: true, writable: true });
    Object.defineProperty(proto, Symbol.toPrimitive, { value: summary, configurable: true, writable: true });
  }
  return installed;
}
