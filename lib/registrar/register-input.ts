/**
 * Reading a REGISTER received through drachtio-srf into the registrar's terms (AOR, contacts, expiry, where it
 * came from). Anything malformed comes back as a 400 reason, never as an exception.
 */
import Srf from 'drachtio-srf';
import type { BindingTransport } from '../store/registration-store.js';
import { headerValue } from '../app/srf-headers.js';
import type { ContactEntry, RegisterInput } from './binding-update.js';

interface ParsedNameAddr {
  uri: string;
  params: Record<string, string | undefined>;
}

const TRANSPORTS: ReadonlySet<string> = new Set(['udp', 'tcp', 'tls', 'ws', 'wss']);

/** RFC 3261 10.3 step 5: the AOR is the To URI, canonicalised (scheme sip, host lower-case, no parameters). */
export function aorOf(uri: string): string | undefined {
  const u = safeParseUri(uri);
  if (u === undefined || u.host === undefined || u.host === '') return undefined;
  const user = u.user === undefined || u.user === '' ? '' : `${u.user}@`;
  return `sip:${user}${u.host.toLowerCase()}`;
}

/** The user part of an AOR made by aorOf ('' when it has none), without parsing it again. */
export function aorUser(aor: string): string {
  const at = aor.lastIndexOf('@');
  return at < 0 ? '' : aor.slice('sip:'.length, at);
}

export function safeParseUri(uri: string): { scheme?: string; user?: string; host?: string } | undefined {
  try {
    const u = Srf.parseUri(uri) as { scheme?: string; user?: string; host?: string } | undefined;
    if (u === undefined || u === null || (u.scheme !== 'sip' && u.scheme !== 'sips')) return undefined;
    return u;
  } catch {
    return undefined;
  }
}

function nonNegativeInt(v: string | undefined): number | undefined | 'bad' {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (!/^\d{1,10}$/.test(t)) return 'bad';
  return Number(t);
}

function unquote(v: string): string {
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

function contactEntry(c: ParsedNameAddr): ContactEntry | string {
  if (safeParseUri(c.uri) === undefined) return `Malformed Contact URI ${c.uri}`;
  const params = c.params ?? {};
  const entry: ContactEntry = { uri: c.uri };
  const expires = nonNegativeInt(params['expires']);
  if (expires === 'bad') return 'Malformed Contact expires parameter';
  if (expires !== undefined) entry.expires = expires;
  const q = params['q'];
  if (q !== undefined) {
    const n = Number(q);
    if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(q.trim()) || !Number.isFinite(n)) return 'Malformed Contact q parameter';
    entry.q = n;
  }
  const instance = params['+sip.instance'];
  if (instance !== undefined) entry.instanceId = unquote(instance);
  const regId = nonNegativeInt(params['reg-id']);
  if (regId === 'bad') return 'Malformed Contact reg-id parameter';
  if (regId !== undefined) entry.regId = regId;
  return entry;
}

export interface RegisterSource {
  nodeId: string;
  now: number;
}

/** A REGISTER as srf gives it, or the reason phrase of the 400 it deserves. */
export function readRegister(req: Srf.SrfRequest, src: RegisterSource): RegisterInput | { error: string } {
  let to: ParsedNameAddr;
  let contacts: ParsedNameAddr[];
  try {
    to = req.getParsedHeader('To') as unknown as ParsedNameAddr;
    contacts = headerValue(req, 'contact') !== undefined ? (req.getParsedHeader('Contact') as unknown as ParsedNameAddr[]) : [];
  } catch {
    return { error: 'Malformed To or Contact header' };
  }
  const aor = aorOf(to?.uri ?? '');
  if (aor === undefined) return { error: 'Malformed To URI' };
  const cseq = Number.parseInt((headerValue(req, 'cseq') ?? '').trim(), 10);
  if (!Number.isInteger(cseq) || cseq < 0) return { error: 'Malformed CSeq' };
  const expiresHeader = nonNegativeInt(headerValue(req, 'expires'));
  if (expiresHeader === 'bad') return { error: 'Malformed Expires header' };
  const transport = String(req.protocol ?? '').toLowerCase();
  if (!TRANSPORTS.has(transport)) return { error: 'Unsupported transport' };

  let entries: ContactEntry[] | '*' = [];
  if (contacts.some((c) => c.uri === '*')) {
    // RFC 3261 10.3 step 6: '*' must be the only contact.
    if (contacts.length !== 1) return { error: 'Contact * must be alone' };
    entries = '*';
  } else {
    for (const c of contacts) {
      const e = contactEntry(c);
      if (typeof e === 'string') return { error: e };
      entries.push(e);
    }
  }
  // RFC 3327: kept as received (srf joins several Path headers into one comma-separated value).
  const pathValue = headerValue(req, 'path');
  const path = pathValue !== undefined ? [pathValue] : undefined;
  const input: RegisterInput = {
    aor,
    callId: headerValue(req, 'call-id') ?? '',
    cseq,
    contacts: entries,
    transport: transport as BindingTransport,
    address: req.source_address,
    port: Number(req.source_port),
    nodeId: src.nodeId,
    connectionId: connectionIdOf(transport, req.source_address, Number(req.source_port)),
    now: src.now,
  };
  if (expiresHeader !== undefined) input.expiresHeader = expiresHeader;
  const ua = headerValue(req, 'user-agent');
  if (ua !== undefined) input.userAgent = ua;
  if (path !== undefined) input.path = path;
  return input;
}

/** How a node names a device's connection: the flow as the node sees it (one TCP/TLS connection per source). */
export function connectionIdOf(transport: string, address: string, port: number): string {
  return `${transport.toLowerCase()}:${address}:${port}`;
}
