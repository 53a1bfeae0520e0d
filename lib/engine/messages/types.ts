/**
 * Contract of the SIP message model (RFC 3261 sections 7, 20, 25).
 *
 * Other engine layers (transport, transactions, core) depend only on these
 * types and on the functions exported from ./index.ts. Parsing is lazy: the
 * parser splits the start line and header lines once, and structured views
 * (Via, CSeq, From/To, URIs) are parsed on first access and cached.
 */

export type TransportName = 'udp' | 'tcp' | 'tls';

/** A parameter list (`;a=b;c`). A flag parameter with no value maps to null. Keys are lower-case. */
export type Params = Map<string, string | null>;

/** One header line as received (or as set): original name case, unfolded value. */
export interface RawHeader {
  name: string;
  value: string;
}

export interface SipUri {
  /** Lower-case scheme: 'sip', 'sips', 'tel' or any other. */
  scheme: string;
  /** User part, still %-escaped as received. */
  user?: string;
  password?: string;
  /** Host as written; IPv6 references keep their brackets: '[2001:db8::1]'. */
  host: string;
  port?: number;
  params: Params;
  /** URI headers (`?a=b&c=d`), still escaped. */
  headers: Map<string, string>;
  /** The URI text exactly as it appeared. */
  raw: string;
  /** For schemes other than sip/sips/tel: everything after 'scheme:' (host is then ''). */
  opaque?: string;
}

export interface NameAddr {
  displayName?: string;
  /** The URI text (without angle brackets). */
  uri: string;
  /** Header parameters (after the URI / after '>'). */
  params: Params;
  /** Shortcut to params.get('tag') when it has a value. */
  tag?: string;
}

export interface Via {
  /** e.g. 'SIP/2.0' */
  protocol: string;
  /** Upper-case transport token: 'UDP', 'TCP', 'TLS', 'SCTP', ... */
  transport: string;
  host: string;
  port?: number;
  params: Params;
  branch?: string;
  received?: string;
  /** undefined: no rport param; null: rport flag without value (RFC 3581 request); number: filled in. */
  rport?: number | null;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** Shared accessors for requests and responses. Header names are case-insensitive and accept compact forms ('v', 'f', 't', 'i', 'l', 'm', ...). */
export interface SipMessageApi {
  readonly headers: readonly RawHeader[];
  body: Buffer;
  /** First value of a header (for comma-list headers: the whole first header line). */
  get(name: string): string | undefined;
  /** Every header line's value for that name, in order (not comma-split). */
  getAll(name: string): string[];
  /** Every element of a comma-separated list header (Via, Contact, Route, Record-Route, Allow, Supported...), split respecting quotes and <>. */
  getList(name: string): string[];
  has(name: string): boolean;
  /** Replace all occurrences of a header by one line. */
  set(name: string, value: string): void;
  append(name: string, value: string): void;
  prepend(name: string, value: string): void;
  /** Remove every line of that header; returns how many were removed. */
  remove(name: string): number;

  readonly callId: string;
  readonly cseq: CSeq;
  /** Top-most Via value (parsed). */
  readonly via: Via;
  /** All Via values, top first. */
  vias(): Via[];
  readonly from: NameAddr;
  readonly to: NameAddr;
}

export interface SipRequestApi extends SipMessageApi {
  readonly kind: 'request';
  method: string;
  /** Request-URI text as received / set. */
  uri: string;
  /** Parsed Request-URI (cached; reset when uri is assigned). */
  readonly parsedUri: SipUri;
}

export interface SipResponseApi extends SipMessageApi {
  readonly kind: 'response';
  status: number;
  reason: string;
}

/** Why a message was refused, and whether it can still be answered with a response. */
export interface ParseFailure {
  ok: false;
  /** Short human reason, used as the 400 reason phrase, e.g. 'Missing Call-ID header'. */
  reason: string;
  /** Status to answer with when answerable (400, 505, 416, ...). */
  status: number;
  /** Set when the bytes were a request whose Via/From/To/Call-ID/CSeq are usable enough to build a response. */
  answerable?: import('./message.js').SipRequest;
}

export interface ParseSuccess<M> {
  ok: true;
  message: M;
}
