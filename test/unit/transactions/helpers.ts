import { parseMessage } from '../../../lib/engine/messages/parser.js';
/**
 * Test doubles for the transaction layer: a recording MessageSender, recording
 * TUs and metrics, and builders for requests, responses and flows.
 */
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { SipRequest, SipResponse } from '../../../lib/engine/messages/message.js';
import type { RawHeader, TransportName } from '../../../lib/engine/messages/types.js';
import type { EngineMetrics } from '../../../lib/engine/observability.js';
import { noopMetrics } from '../../../lib/engine/observability.js';
import { FakeClock } from '../../../lib/engine/timers/fake-clock.js';
import type { Flow, SendTarget } from '../../../lib/engine/transport/types.js';
import type { MessageSender } from '../../../lib/engine/transactions/message-sender.js';
import {
  createTransactionContext,
  type TransactionContext,
} from '../../../lib/engine/transactions/transaction-context.js';
import type {
  ClientTransaction,
  ClientTransactionUser,
  ServerTransaction,
  ServerTransactionUser,
} from '../../../lib/engine/transactions/transaction-user.js';

export interface Sent {
  msg: SipRequest | SipResponse;
  target: SendTarget | Flow;
  at: number;
}

/** Records every send with the fake time; can be told to throw or reject. */
export class RecordingSender implements MessageSender {
  readonly sent: Sent[] = [];
  /** 'throw': the next sends throw; 'reject': they return a rejected promise; 'resolve': a resolved one. */
  mode: 'ok' | 'throw' | 'reject' | 'resolve' = 'ok';
  constructor(private readonly clock: FakeClock) {}

  send(msg: SipRequest | SipResponse, target: SendTarget | Flow): void | Promise<unknown> {
    this.sent.push({ msg, target, at: this.clock.now() });
    if (this.mode === 'throw') throw new Error('send failed');
    if (this.mode === 'reject') return Promise.reject(new Error('write failed'));
    if (this.mode === 'resolve') return Promise.resolve();
  }

  /** Retransmitted bytes are parsed back so tests see them like any other send. */
  sendBytes(bytes: Buffer, target: SendTarget | Flow): void | Promise<unknown> {
    const parsed = parseMessage(bytes);
    if (!parsed.ok) throw new Error(`retransmitted bytes do not parse: ${parsed.reason}`);
    return this.send(parsed.message, target);
  }

  /** Send times of messages matching the predicate. */
  times(pred: (m: SipRequest | SipResponse) => boolean = () => true): number[] {
    return this.sent.filter((s) => pred(s.msg)).map((s) => s.at);
  }

  requests(method?: string): SipRequest[] {
    return this.sent
      .map((s) => s.msg)
      .filter((m): m is SipRequest => m.kind === 'request' && (method === undefined || m.method === method));
  }

  responses(status?: number): SipResponse[] {
    return this.sent
      .map((s) => s.msg)
      .filter((m): m is SipResponse => m.kind === 'response' && (status === undefined || m.status === status));
  }
}

export const isMethod = (method: string) => (m: SipRequest | SipResponse) => m.kind === 'request' && m.method === method;
export const isStatus = (status: number) => (m: SipRequest | SipResponse) => m.kind === 'response' && m.status === status;

export type ClientEvent =
  | { type: 'response'; status: number; at: number; state: string }
  | { type: 'timeout'; at: number }
  | { type: 'transport-error'; at: number; message: string }
  | { type: 'terminated'; at: number };

export class RecordingClientUser implements ClientTransactionUser {
  readonly events: ClientEvent[] = [];
  readonly responses: SipResponse[] = [];
  constructor(private readonly clock: FakeClock) {}
  onResponse(res: SipResponse, txn: ClientTransaction): void {
    this.responses.push(res);
    this.events.push({ type: 'response', status: res.status, at: this.clock.now(), state: txn.state });
  }
  onTimeout(): void {
    this.events.push({ type: 'timeout', at: this.clock.now() });
  }
  onTransportError(err: unknown): void {
    this.events.push({ type: 'transport-error', at: this.clock.now(), message: (err as Error).message });
  }
  onTerminated(): void {
    this.events.push({ type: 'terminated', at: this.clock.now() });
  }
  types(): string[] {
    return this.events.map((e) => e.type);
  }
}

export class RecordingServerUser implements ServerTransactionUser {
  readonly requests: ServerTransaction[] = [];
  readonly acks: SipRequest[] = [];
  readonly stray: SipResponse[] = [];
  readonly timeouts: ServerTransaction[] = [];
  readonly transportErrors: ServerTransaction[] = [];
  /** Called from onRequest, to let a test answer synchronously. */
  answer?: (txn: ServerTransaction) => void;
  onRequest(txn: ServerTransaction): void {
    this.requests.push(txn);
    this.answer?.(txn);
  }
  onAck(ack: SipRequest): void {
    this.acks.push(ack);
  }
  onStrayResponse(res: SipResponse): void {
    this.stray.push(res);
  }
  onServerTransactionTimeout(txn: ServerTransaction): void {
    this.timeouts.push(txn);
  }
  onServerTransactionTransportError(_err: unknown, txn: ServerTransaction): void {
    this.transportErrors.push(txn);
  }
}

export class RecordingMetrics implements EngineMetrics {
  readonly timeouts: string[] = [];
  readonly responseTimes: Array<[string, number]> = [];
  messageIn = noopMetrics.messageIn;
  messageOut = noopMetrics.messageOut;
  parseError = noopMetrics.parseError;
  connectionOpened = noopMetrics.connectionOpened;
  connectionClosed = noopMetrics.connectionClosed;
  limitHit = noopMetrics.limitHit;
  overloadRejected = noopMetrics.overloadRejected;
  transactionTimeout(kind: string, timer: string): void {
    this.timeouts.push(`${kind}:${timer}`);
  }
  observeResponseTime(method: string, seconds: number): void {
    this.responseTimes.push([method, seconds]);
  }
}

export function flow(transport: TransportName = 'udp', remotePort = 5070): Flow {
  return {
    transport,
    localAddress: '192.0.2.1',
    localPort: 5060,
    remoteAddress: '198.51.100.7',
    remotePort,
    ...(transport === 'udp' ? {} : { connectionId: 'conn-1' }),
  };
}

export function target(transport: TransportName = 'udp'): SendTarget {
  return { transport, host: '203.0.113.9', port: 5060 };
}

export interface RequestOptions {
  method?: string;
  uri?: string;
  branch?: string | null;
  transport?: TransportName;
  sentBy?: string;
  callId?: string;
  cseq?: number;
  cseqMethod?: string;
  fromTag?: string;
  toTag?: string;
}

let counter = 0;

export function request(o: RequestOptions = {}): SipRequest {
  const method = o.method ?? 'INVITE';
  const transport = (o.transport ?? 'udp').toUpperCase();
  const branch = o.branch === null ? '' : `;branch=${o.branch ?? `z9hG4bK-test-${++counter}`}`;
  const headers: RawHeader[] = [
    { name: 'Via', value: `SIP/2.0/${transport} ${o.sentBy ?? '198.51.100.7:5070'}${branch}` },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: `<sip:alice@example.com>;tag=${o.fromTag ?? 'from-1'}` },
    { name: 'To', value: `<sip:bob@example.net>${o.toTag ? `;tag=${o.toTag}` : ''}` },
    { name: 'Call-ID', value: o.callId ?? 'call-1@example.com' },
    { name: 'CSeq', value: `${o.cseq ?? 1} ${o.cseqMethod ?? method}` },
    { name: 'Contact', value: '<sip:alice@198.51.100.7:5070>' },
    { name: 'Content-Length', value: '0' },
  ];
  return new SipRequest(method, o.uri ?? 'sip:bob@example.net', headers);
}

/** A response to `req` as a remote UAS would build it (Vias, From, To (+tag), Call-ID, CSeq copied). */
export function response(req: SipRequest, status: number, toTag: string | undefined = status > 100 ? 'to-1' : undefined): SipResponse {
  const headers: RawHeader[] = [];
  for (const v of req.getAll('via')) headers.push({ name: 'Via', value: v });
  headers.push({ name: 'From', value: req.get('from')! });
  const to = req.get('to')!;
  headers.push({ name: 'To', value: toTag !== undefined && !/;\s*tag=/i.test(to) ? `${to};tag=${toTag}` : to });
  headers.push({ name: 'Call-ID', value: req.get('call-id')! });
  headers.push({ name: 'CSeq', value: req.get('cseq')! });
  headers.push({ name: 'Content-Length', value: '0' });
  return new SipResponse(status, status === 200 ? 'OK' : 'Reason', headers);
}

export interface Harness {
  clock: FakeClock;
  sender: RecordingSender;
  metrics: RecordingMetrics;
  ctx: TransactionContext;
}

export function harness(): Harness {
  const clock = new FakeClock();
  const sender = new RecordingSender(clock);
  const metrics = new RecordingMetrics();
  const ctx = createTransactionContext({ sender, clock, metrics });
  return { clock, sender, metrics, ctx };
}

/*
 * tap runs every file of a folder it is given, this one included: when run
 * directly, check the doubles themselves, since every other test trusts them.
 */
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  t.test('RecordingSender records fake send times and fails on demand', async (t) => {
    const clock = new FakeClock();
    const sender = new RecordingSender(clock);
    const req = request({ method: 'OPTIONS' });
    sender.send(req, target());
    clock.tick(250);
    sender.send(response(req, 200), flow());
    t.same(sender.times(), [0, 250]);
    t.same(sender.times(isStatus(200)), [250]);
    t.equal(sender.requests('OPTIONS')[0], req);
    sender.mode = 'throw';
    t.throws(() => sender.send(req, target()), /send failed/);
    sender.mode = 'reject';
    await t.rejects(sender.send(req, target()) as Promise<unknown>, /write failed/);
  });

  t.test('request() and response() build consistent messages', (t) => {
    const req = request({ method: 'INVITE', branch: 'z9hG4bK-abc', cseq: 7, toTag: undefined });
    const res = response(req, 180, 'tt');
    t.equal(res.via.branch, 'z9hG4bK-abc');
    t.same(res.cseq, { seq: 7, method: 'INVITE' });
    t.equal(res.to.tag, 'tt');
    t.equal(res.from.tag, req.from.tag);
    t.equal(response(req, 100).to.tag, undefined, '100 carries no tag by default');
    t.end();
  });
}
