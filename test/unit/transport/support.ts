// Shared helpers for the transport tests: a recording metrics fake, SIP text builders, and a peer-side socket reader.
import type { Socket } from 'node:net';
import type { EngineMetrics } from '../../../lib/engine/observability.js';
import type { TransportName } from '../../../lib/engine/messages/types.js';
import { SipResponse, type SipRequest } from '../../../lib/engine/messages/message.js';
import type { ParseFailure } from '../../../lib/engine/messages/types.js';
import type { TransportLayer } from '../../../lib/engine/transport/transport-layer.js';
import type { ConnectionCloseReason, ConnectionInfo, Flow } from '../../../lib/engine/transport/types.js';

export class RecordingMetrics implements EngineMetrics {
  calls: Array<[string, ...unknown[]]> = [];
  messageIn(transport: TransportName, kind: string, method: string): void {
    this.calls.push(['messageIn', transport, kind, method]);
  }
  messageOut(transport: TransportName, kind: string, method: string): void {
    this.calls.push(['messageOut', transport, kind, method]);
  }
  parseError(transport: TransportName, reason: string): void {
    this.calls.push(['parseError', transport, reason]);
  }
  connectionOpened(transport: 'tcp' | 'tls'): void {
    this.calls.push(['connectionOpened', transport]);
  }
  connectionClosed(transport: 'tcp' | 'tls', reason: string): void {
    this.calls.push(['connectionClosed', transport, reason]);
  }
  limitHit(limit: string, transport: TransportName): void {
    this.calls.push(['limitHit', limit, transport]);
  }
  transactionTimeout(): void {}
  overloadRejected(): void {}
  observeResponseTime(): void {}

  /** How many recorded calls of `name` start with `args`. */
  count(name: string, ...args: unknown[]): number {
    return this.calls.filter((c) => c[0] === name && args.every((a, i) => c[i + 1] === a)).length;
  }
}

let seq = 0;

/** A complete, valid request as text. */
export function requestText(
  method = 'OPTIONS',
  opts: { transport?: string; viaHost?: string; rport?: boolean; body?: string; callId?: string } = {},
): string {
  const n = ++seq;
  const body = opts.body ?? '';
  const via = `SIP/2.0/${(opts.transport ?? 'TCP').toUpperCase()} ${opts.viaHost ?? '192.0.2.10:5060'};branch=z9hG4bK-t${n}${opts.rport ? ';rport' : ''}`;
  return (
    `${method} sip:service@example.com SIP/2.0\r\n` +
    `Via: ${via}\r\n` +
    `Max-Forwards: 70\r\n` +
    `From: <sip:caller@example.com>;tag=f${n}\r\n` +
    `To: <sip:service@example.com>\r\n` +
    `Call-ID: ${opts.callId ?? `call-${n}@test`}\r\n` +
    `CSeq: ${n} ${method}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
    body
  );
}

/** A response to req carrying its Via/From/To/Call-ID/CSeq (RFC 3261 8.2.6.2). */
export function responseTo(req: SipRequest, status = 200, reason = 'OK'): SipResponse {
  const headers = req.headers.filter((h) => /^(via|v|from|f|to|t|call-id|i|cseq)$/i.test(h.name));
  return new SipResponse(status, reason, headers);
}

/** Collects what a peer socket receives. */
export class PeerReader {
  data = '';
  closed = false;
  error: Error | undefined;
  private waiters: Array<() => void> = [];

  constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.data += d;
      this.wake();
    });
    socket.on('error', (e) => {
      this.error = e;
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when pred() holds (checked on every data/close), rejects after ms. */
  until(pred: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.data.slice(-300))}`)), ms);
      const check = (): void => {
        if (pred()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      check();
    });
  }

  waitForText(text: string, ms?: number): Promise<void> {
    return this.until(() => this.data.includes(text), ms, JSON.stringify(text));
  }

  waitClosed(ms?: number): Promise<void> {
    return this.until(() => this.closed, ms, 'close');
  }
}

/** Poll cond (with real timers) until true. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Records every event a TransportLayer emits. */
export class LayerEvents {
  messages: Array<{ msg: SipRequest | SipResponse; flow: Flow }> = [];
  invalid: Array<{ failure: ParseFailure; flow: Flow }> = [];
  opened: ConnectionInfo[] = [];
  closed: Array<{ info: ConnectionInfo; reason: ConnectionCloseReason }> = [];

  constructor(layer: TransportLayer) {
    layer.on('message', (msg, flow) => this.messages.push({ msg, flow }));
    layer.on('invalid', (failure, flow) => this.invalid.push({ failure, flow }));
    layer.on('connection:open', (info) => this.opened.push(info));
    layer.on('connection:close', (info, reason) => this.closed.push({ info, reason }));
  }

  requests(): SipRequest[] {
    return this.messages.map((m) => m.msg).filter((m): m is SipRequest => m.kind === 'request');
  }

  closedReason(id: string): ConnectionCloseReason | undefined {
    return this.closed.find((c) => c.info.id === id)?.reason;
  }
}

// Running the transport test folder with tap also runs this file: check the helpers themselves then.
if (process.argv[1] !== undefined && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href) {
  const { default: t } = await import('tap');
  const { parseMessage } = await import('../../../lib/engine/messages/parser.js');
  t.test('requestText builds valid, distinct requests', async (t) => {
    const a = parseMessage(Buffer.from(requestText('INFO', { body: 'x', rport: true })));
    const b = parseMessage(Buffer.from(requestText('INFO')));
    t.ok(a.ok && b.ok);
    if (a.ok && b.ok && a.message.kind === 'request') {
      t.equal(a.message.method, 'INFO');
      t.equal(a.message.via.rport, null);
      t.not(a.message.callId, b.message.callId);
      t.equal(responseTo(a.message, 486, 'Busy Here').status, 486);
    }
  });
  t.test('RecordingMetrics.count matches by prefix', async (t) => {
    const m = new RecordingMetrics();
    m.limitHit('max-headers', 'tcp');
    m.limitHit('max-headers', 'udp');
    t.equal(m.count('limitHit', 'max-headers'), 2);
    t.equal(m.count('limitHit', 'max-headers', 'udp'), 1);
  });
}
