// Test harness for the drachtio UA: a real SipEngine on loopback UDP/TCP driven by DrachtioServer, a fake app
// connection that records the frames it would send to srf (parsed back the way srf splits them), and raw SIP
// peers over UDP or TCP. Run directly (as tap does for every .js in this folder) it checks itself.
import t, { type Test } from 'tap';
import { createSocket, type Socket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { SipEngine } from '../../../../lib/engine/core/sip-engine.js';
import { withTransportDefaults } from '../../../../lib/engine/transport/transport-config.js';
import { DrachtioServer } from '../../../../lib/engine/drachtio/drachtio-server.js';
import { EngineLocalAddresses } from '../../../../lib/engine/drachtio/local-addresses.js';
import type { AppCommand, AppConnection, AppRouter } from '../../../../lib/engine/drachtio/contracts.js';
import { parseSipMessage, SipStreamFramer, type SipMessage } from '../../../helpers/sip-message.js';

export interface Frame {
  fields: string[];
  sip: string;
  raw: string;
}

/** srf's split: leader up to the first CR, then skip CRLF (spec 1.2). */
export function parseFrame(payload: string): Frame {
  const cr = payload.indexOf('\r');
  const leader = cr < 0 ? payload : payload.slice(0, cr);
  return { fields: leader.split('|'), sip: cr < 0 ? '' : payload.slice(cr + 2), raw: payload };
}

async function until<T>(get: () => T | undefined, what: string, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let appCounter = 0;
let msgCounter = 0;

export class FakeApp implements AppConnection {
  readonly id = 'a' + ++appCounter;
  readonly tags: string[] = [];
  closed = false;
  readonly frames: Frame[] = [];
  private seen = 0;

  constructor(private readonly server: DrachtioServer) {}

  sendFrame(payload: string): void {
    if (!this.closed) this.frames.push(parseFrame(payload));
  }

  /** Next frame (in order) matching `pred`; earlier non-matching frames are skipped. */
  async next(pred: (f: Frame) => boolean = () => true, what = 'frame', ms?: number): Promise<Frame> {
    return until(() => {
      while (this.seen < this.frames.length) {
        const f = this.frames[this.seen++]!;
        if (pred(f)) return f;
      }
      return undefined;
    }, what, ms);
  }

  /** A `sip` command; resolves with the reply frame (field 2 = our msg id). */
  async sip(txnId: string, dialogId: string, text: string, routeUrl?: string): Promise<Frame> {
    const msgId = 'm' + ++msgCounter;
    const fields = [msgId, 'sip', txnId, dialogId];
    if (routeUrl !== undefined) fields.push(routeUrl);
    const cmd: AppCommand = { msgId, type: 'sip', fields, sipText: text };
    this.server.onSipCommand(this, cmd);
    return until(() => this.frames.find((f) => f.fields[1] === 'response' && f.fields[2] === msgId), 'reply to ' + msgId);
  }

  close(): void {
    this.closed = true;
    this.server.onAppClosed(this);
  }
}

export class FakeRouter implements AppRouter {
  readonly routes = new Map<string, AppConnection[]>();
  private turn = 0;
  pick(method: string): AppConnection | undefined {
    const list = (this.routes.get(method.toLowerCase()) ?? []).filter((c) => !c.closed);
    return list.length === 0 ? undefined : list[this.turn++ % list.length];
  }
  pickCdr(): AppConnection | undefined {
    return undefined;
  }
}

export interface Ua {
  engine: SipEngine;
  server: DrachtioServer;
  router: FakeRouter;
  udpPort: number;
  tcpPort: number;
  app: FakeApp;
}

export async function startUa(
  t: Test,
  opts: { appTimeoutMs?: number; T1?: number; routes?: string[] } = {},
): Promise<Ua> {
  const engine = new SipEngine({
    transport: withTransportDefaults({
      udp: { enabled: true, address: '127.0.0.1', port: 0 },
      tcp: { enabled: true, address: '127.0.0.1', port: 0 },
      tls: { enabled: false },
    }),
    timers: opts.T1 === undefined ? undefined : { t1: opts.T1, t2: opts.T1 * 8, t4: opts.T1 * 10, d: opts.T1 * 64 },
    overload: { maxPendingRequests: 10_000, maxEventLoopLagMs: 10_000, retryAfterS: 5 },
  });
  const router = new FakeRouter();
  const local = new EngineLocalAddresses(() => engine.transport.listening);
  const server = new DrachtioServer({
    engine,
    router,
    local,
    appTimeoutMs: opts.appTimeoutMs,
    timers: opts.T1 === undefined ? undefined : { T1: opts.T1, T2: opts.T1 * 8 },
  });
  engine.setUser(server);
  await engine.start();
  t.teardown(async () => {
    server.stop();
    await engine.stop();
  });
  const app = new FakeApp(server);
  for (const m of opts.routes ?? ['invite', 'register', 'options', 'message', 'subscribe', 'notify', 'info']) router.routes.set(m, [app]);
  const port = (tr: string) => engine.transport.listening.find((l) => l.transport === tr)!.port;
  return { engine, server, router, udpPort: port('udp'), tcpPort: port('tcp'), app };
}

/** A raw SIP peer on loopback UDP or TCP that records what it receives. */
export class Peer {
  readonly received: SipMessage[] = [];
  private seen = 0;
  private constructor(
    readonly transport: 'udp' | 'tcp',
    readonly port: number,
    private readonly sendRaw: (text: string) => void,
    readonly close: () => void,
  ) {}

  get sentBy(): string {
    return '127.0.0.1:' + this.port;
  }

  static async udp(t: Test, enginePort: number): Promise<Peer> {
    const sock: Socket = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const peer = new Peer('udp', sock.address().port, (text) => sock.send(text, enginePort, '127.0.0.1'), () => sock.close());
    sock.on('message', (m) => peer.received.push(parseSipMessage(m.toString('utf8'))));
    t.teardown(() => peer.close());
    return peer;
  }

  static async tcp(t: Test, enginePort: number): Promise<Peer> {
    const sock: TcpSocket = connect(enginePort, '127.0.0.1');
    await new Promise<void>((r, j) => sock.once('connect', () => r()).once('error', j));
    const framer = new SipStreamFramer();
    const peer = new Peer('tcp', sock.localPort!, (text) => sock.write(text), () => sock.destroy());
    sock.on('data', (d) => {
      for (const m of framer.push(d)) peer.received.push(parseSipMessage(m));
    });
    t.teardown(() => peer.close());
    return peer;
  }

  send(text: string): void {
    this.sendRaw(text);
  }

  async next(pred: (m: SipMessage) => boolean = () => true, what = 'SIP message', ms?: number): Promise<SipMessage> {
    return until(() => {
      while (this.seen < this.received.length) {
        const m = this.received[this.seen++]!;
        if (pred(m)) return m;
      }
      return undefined;
    }, what, ms);
  }
}

export const isStatus = (s: number) => (m: SipMessage) => m.kind === 'response' && m.status === s;
export const isMethod = (method: string) => (m: SipMessage) => m.kind === 'request' && m.method === method;
export const isSipFrame = (f: Frame) => f.fields[1] === 'sip';

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  t.test('harness: frames split like srf, and a UA starts on loopback', async (t) => {
    const f = parseFrame('x|sip|network|1|udp|1.2.3.4|5|t|txn||\r\nOPTIONS sip:a SIP/2.0\r\n\r\n');
    t.equal(f.fields.length, 11);
    t.equal(f.sip.startsWith('OPTIONS'), true);
    const ua = await startUa(t);
    t.ok(ua.udpPort > 0 && ua.tcpPort > 0);
  });
}
