/**
 * SIP requests and responses (RFC 3261 section 7). Headers are kept as the
 * raw lines received (original name spelling, unfolded value); structured
 * views (Via, CSeq, From, To, Request-URI) are parsed on first access, cached,
 * and dropped when the header they come from changes. A message parsed from
 * the wire remembers its bytes until it is modified, so forwarding or
 * retransmitting it unchanged costs no serialization.
 */
import type { CSeq, NameAddr, RawHeader, SipMessageApi, SipRequestApi, SipResponseApi, SipUri, Via } from './types.js';
import { headerKey, isListHeader } from './header-names.js';
import { firstListElement, splitCommaList, trimmedSlice } from './lexical.js';
import { parseCSeqOrError } from './cseq.js';
import { tryParseNameAddr } from './name-addr.js';
import { tryParseVia } from './via.js';
import { tryParseUri } from './uri.js';

const EMPTY_BODY: Buffer = Buffer.alloc(0);

/** Lower-case header key -> positions in the header array. */
export type HeaderIndex = Map<string, number[]>;

export function buildHeaderIndex(headers: readonly RawHeader[]): HeaderIndex {
  const idx: HeaderIndex = new Map();
  for (let i = 0; i < headers.length; i++) {
    const k = headerKey(headers[i]!.name);
    const at = idx.get(k);
    if (at === undefined) idx.set(k, [i]);
    else at.push(i);
  }
  return idx;
}

export abstract class SipMessage implements SipMessageApi {
  abstract readonly kind: 'request' | 'response';

  /** @internal Header lines; header objects are never mutated in place, only replaced, so clones may share them. */
  _headers: RawHeader[];
  /** @internal Lazily built; undefined after any header change. */
  _index: HeaderIndex | undefined;
  /** @internal The exact bytes of this message while it is unmodified (set by the parser and serializer). */
  _wire: Buffer | undefined;
  private _body: Buffer;

  // cached views; undefined = not parsed yet
  /** @internal */ _callId: string | undefined;
  /** @internal */ _cseq: CSeq | undefined;
  /** @internal */ _vias: Via[] | undefined;
  /** @internal */ _topVia: Via | undefined;
  /** @internal */ _from: NameAddr | undefined;
  /** @internal */ _to: NameAddr | undefined;

  protected constructor(headers: readonly RawHeader[] | undefined, body: Buffer | undefined) {
    this._headers = headers ? headers.slice() : [];
    this._body = body ?? EMPTY_BODY;
    this._index = undefined;
    this._wire = undefined;
    this._callId = undefined;
    this._cseq = undefined;
    this._vias = undefined;
    this._topVia = undefined;
    this._from = undefined;
    this._to = undefined;
  }

  get headers(): readonly RawHeader[] {
    return this._headers;
  }

  get body(): Buffer {
    return this._body;
  }

  set body(value: Buffer) {
    this._body = value;
    this._wire = undefined;
  }

  /**
   * Drop the header index and parsed views (rebuilt on next access). For
   * messages kept only for retransmission (e.g. 32 s of Timer J over UDP),
   * where they would cost several KB each for nothing.
   */
  releaseCaches(): void {
    this._index = undefined;
    this._callId = undefined;
    this._cseq = undefined;
    this._vias = undefined;
    this._topVia = undefined;
    this._from = undefined;
    this._to = undefined;
  }

  /** @internal */
  _idx(): HeaderIndex {
    let idx = this._index;
    if (idx === undefined) {
      idx = buildHeaderIndex(this._headers);
      this._index = idx;
    }
    return idx;
  }

  get(name: string): string | undefined {
    const at = this._idx().get(headerKey(name));
    return at === undefined ? undefined : this._headers[at[0]!]!.value;
  }

  getAll(name: string): string[] {
    const at = this._idx().get(headerKey(name));
    if (at === undefined) return [];
    const out = new Array<string>(at.length);
    for (let i = 0; i < at.length; i++) out[i] = this._headers[at[i]!]!.value;
    return out;
  }

  getList(name: string): string[] {
    const key = headerKey(name);
    const at = this._idx().get(key);
    if (at === undefined) return [];
    if (!isListHeader(key)) return this.getAll(key);
    const out: string[] = [];
    for (const i of at) {
      const v = this._headers[i]!.value;
      const parts = splitCommaList(v);
      if (parts === undefined) {
        out.push(v.trim()); // unclosed quote or '<': hand back the line rather than guess
        continue;
      }
      for (const p of parts) if (p.length > 0) out.push(p);
    }
    return out;
  }

  has(name: string): boolean {
    return this._idx().has(headerKey(name));
  }

  set(name: string, value: string): void {
    const key = headerKey(name);
    const at = this._idx().get(key);
    if (at === undefined) {
      this._headers.push({ name, value });
    } else {
      this._headers[at[0]!] = { name, value };
      for (let i = at.length - 1; i >= 1; i--) this._headers.splice(at[i]!, 1);
    }
    this._changed(key);
  }

  append(name: string, value: string): void {
    const key = headerKey(name);
    const at = this._idx().get(key);
    // next to its siblings, so the message stays readable; relative order is what matters (RFC 3261 7.3.1)
    if (at === undefined) this._headers.push({ name, value });
    else this._headers.splice(at[at.length - 1]! + 1, 0, { name, value });
    this._changed(key);
  }

  prepend(name: string, value: string): void {
    const key = headerKey(name);
    const at = this._idx().get(key);
    this._headers.splice(at === undefined ? 0 : at[0]!, 0, { name, value });
    this._changed(key);
  }

  remove(name: string): number {
    const key = headerKey(name);
    const at = this._idx().get(key);
    if (at === undefined) return 0;
    for (let i = at.length - 1; i >= 0; i--) this._headers.splice(at[i]!, 1);
    this._changed(key);
    return at.length;
  }

  /** @internal Drop what depends on the header `key`. */
  _changed(key: string): void {
    this._index = undefined;
    this._wire = undefined;
    switch (key) {
      case 'via':
        this._vias = undefined;
        this._topVia = undefined;
        break;
      case 'cseq':
        this._cseq = undefined;
        break;
      case 'call-id':
        this._callId = undefined;
        break;
      case 'from':
        this._from = undefined;
        break;
      case 'to':
        this._to = undefined;
        break;
    }
  }

  get callId(): string {
    let v = this._callId;
    if (v === undefined) {
      const raw = this.get('call-id');
      if (raw === undefined) throw new Error('Missing Call-ID header');
      v = trimmedSlice(raw, 0, raw.length);
      if (v.length === 0) throw new Error('Empty Call-ID header');
      this._callId = v;
    }
    return v;
  }

  get cseq(): CSeq {
    let v = this._cseq;
    if (v === undefined) {
      const raw = this.get('cseq');
      if (raw === undefined) throw new Error('Missing CSeq header');
      const r = parseCSeqOrError(raw);
      if (typeof r === 'string') throw new Error(`${r}: ${JSON.stringify(raw)}`);
      v = this._cseq = r;
    }
    return v;
  }

  get via(): Via {
    let v = this._topVia;
    if (v === undefined) {
      const raw = this.get('via');
      if (raw === undefined) throw new Error('Missing Via header');
      const first = firstListElement(raw);
      const parsed = first === undefined ? undefined : tryParseVia(first);
      if (parsed === undefined) throw new Error(`Malformed Via header: ${JSON.stringify(raw)}`);
      v = this._topVia = parsed;
    }
    return v;
  }

  vias(): Via[] {
    let v = this._vias;
    if (v === undefined) {
      v = [];
      for (const raw of this.getAll('via')) {
        const parts = splitCommaList(raw);
        if (parts === undefined) throw new Error(`Malformed Via header: ${JSON.stringify(raw)}`);
        for (const p of parts) {
          const via = tryParseVia(p);
          if (via === undefined) throw new Error(`Malformed Via header: ${JSON.stringify(p)}`);
          v.push(via);
        }
      }
      this._vias = v;
      if (v.length > 0) this._topVia = v[0];
    }
    return v;
  }

  get from(): NameAddr {
    let v = this._from;
    if (v === undefined) v = this._from = this._nameAddr('from', 'From');
    return v;
  }

  get to(): NameAddr {
    let v = this._to;
    if (v === undefined) v = this._to = this._nameAddr('to', 'To');
    return v;
  }

  private _nameAddr(key: string, label: string): NameAddr {
    const raw = this.get(key);
    if (raw === undefined) throw new Error(`Missing ${label} header`);
    const na = tryParseNameAddr(raw);
    if (na === undefined) throw new Error(`Malformed ${label} header: ${JSON.stringify(raw)}`);
    return na;
  }

  /** @internal Copy header lines, body, wire bytes and cached views (views are treated as immutable). */
  protected _copyInto<T extends SipMessage>(target: T): T {
    target._wire = this._wire;
    target._callId = this._callId;
    target._cseq = this._cseq;
    target._vias = this._vias;
    target._topVia = this._topVia;
    target._from = this._from;
    target._to = this._to;
    return target;
  }

  abstract clone(): SipMessage;
}

export class SipRequest extends SipMessage implements SipRequestApi {
  readonly kind = 'request' as const;
  private _method: string;
  private _uri: string;
  /** @internal */ _parsedUri: SipUri | undefined;

  constructor(method: string, uri: string, headers?: readonly RawHeader[], body?: Buffer) {
    super(headers, body);
    this._method = method;
    this._uri = uri;
    this._parsedUri = undefined;
  }

  get method(): string {
    return this._method;
  }

  set method(value: string) {
    this._method = value;
    this._wire = undefined;
  }

  override releaseCaches(): void {
    super.releaseCaches();
    this._parsedUri = undefined;
  }

  get uri(): string {
    return this._uri;
  }

  set uri(value: string) {
    this._uri = value;
    this._parsedUri = undefined;
    this._wire = undefined;
  }

  get parsedUri(): SipUri {
    let u = this._parsedUri;
    if (u === undefined) {
      u = tryParseUri(this._uri);
      if (u === undefined) throw new Error(`Malformed Request-URI: ${JSON.stringify(this._uri)}`);
      this._parsedUri = u;
    }
    return u;
  }

  clone(): SipRequest {
    const c = this._copyInto(new SipRequest(this._method, this._uri, this._headers, this.body));
    c._parsedUri = this._parsedUri;
    return c;
  }
}

export class SipResponse extends SipMessage implements SipResponseApi {
  readonly kind = 'response' as const;
  private _status: number;
  private _reason: string;

  constructor(status: number, reason: string, headers?: readonly RawHeader[], body?: Buffer) {
    super(headers, body);
    this._status = status;
    this._reason = reason;
  }

  get status(): number {
    return this._status;
  }

  set status(value: number) {
    this._status = value;
    this._wire = undefined;
  }

  get reason(): string {
    return this._reason;
  }

  set reason(value: string) {
    this._reason = value;
    this._wire = undefined;
  }

  clone(): SipResponse {
    return this._copyInto(new SipResponse(this._status, this._reason, this._headers, this.body));
  }
}

/** Either kind of message. */
export type AnySipMessage = SipRequest | SipResponse;
