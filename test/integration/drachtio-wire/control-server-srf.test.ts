// The control channel (spec 1-5) driven by the real drachtio-srf client: authenticate, routes, round-robin,
// ping, disconnects, and delivery of an S->A sip frame built by frames.ts to an srf handler.
import t, { type Test } from 'tap';
import Srf from 'drachtio-srf';
import type { AppCommand, AppConnection, CommandHandler, LocalAddresses } from '../../../lib/engine/drachtio/contracts.js';
import { ControlServer } from '../../../lib/engine/drachtio/wire/control-server.js';
import { okSentResponse, sipFrame } from '../../../lib/engine/drachtio/wire/frames.js';

const SECRET = 'cymru';
const HOSTPORTS = 'udp/127.0.0.1:5999,tcp/127.0.0.1:5999';

const localAddresses: LocalAddresses = {
  hostports: () => HOSTPORTS,
  listener: () => ({ host: '127.0.0.1', port: 5999 }),
  isLocal: () => false,
};

type Handler = (req: Srf.SrfRequest, res: Srf.SrfResponse) => void;
/** srf's per-method registration API (its bundled types only declare `invite`). */
interface MethodApi {
  options(h: Handler): void;
  register(h: Handler): void;
}
interface ConnectOpts {
  host: string;
  port: number;
  secret: string;
  enablePing?: boolean;
  pingInterval?: number;
  reconnect?: { maxAttempts?: number };
}
interface SrfInternals {
  app?: { wp?: { closing?: boolean; reconnectVars?: { retryTimer?: NodeJS.Timeout | null } } };
}

class RecordingHandler implements CommandHandler {
  sip: Array<{ conn: AppConnection; cmd: AppCommand }> = [];
  proxy: Array<{ conn: AppConnection; cmd: AppCommand }> = [];
  closed: AppConnection[] = [];
  onSipCommand(conn: AppConnection, cmd: AppCommand): void {
    this.sip.push({ conn, cmd });
    conn.sendFrame(okSentResponse({
      appMsgId: cmd.msgId, bytes: Buffer.byteLength(cmd.sipText), transport: 'udp', address: '127.0.0.1',
      port: 5070, transactionId: cmd.fields[2] ?? '', dialogId: '', raw: cmd.sipText,
    }));
  }
  onProxyCommand(conn: AppConnection, cmd: AppCommand): void {
    this.proxy.push({ conn, cmd });
  }
  onAppClosed(conn: AppConnection): void {
    this.closed.push(conn);
  }
}

async function startServer(t: Test): Promise<{ server: ControlServer; handler: RecordingHandler; port: number }> {
  const server = new ControlServer({ port: 0, secret: SECRET, localAddresses });
  const handler = new RecordingHandler();
  server.setHandler(handler);
  const { port } = await server.start();
  t.teardown(() => server.stop());
  return { server, handler, port };
}

function stopSrf(srf: Srf): void {
  const wp = (srf as unknown as SrfInternals).app?.wp;
  if (wp) {
    wp.closing = true;
    if (wp.reconnectVars?.retryTimer) clearTimeout(wp.reconnectVars.retryTimer);
  }
  try {
    srf.disconnect();
  } catch {
    // never connected
  }
}

/** Connect and resolve with srf's 'connect' arguments (error or hostport/version). */
function connectSrf(
  t: Test,
  srf: Srf,
  opts: ConnectOpts,
): Promise<{ err: Error | null; hostport?: string; version?: string; local?: string }> {
  t.teardown(() => stopSrf(srf));
  srf.on('error', () => {});
  return new Promise((resolve) => {
    (srf as unknown as NodeJS.EventEmitter).once(
      'connect',
      (err: Error | null, hostport?: string, version?: string, local?: string) => resolve({ err, hostport, version, local }),
    );
    void srf.connect(opts as Srf.SrfConfig);
  });
}

async function waitFor(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function connOf(server: ControlServer, tag: string, verb: string): AppConnection | undefined {
  return server.routeTable.connectionsFor(verb).find((c) => c.tags.includes(tag));
}

const OPTIONS_RAW =
  'OPTIONS sip:ping@127.0.0.1:5999 SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1;rport\r\n' +
  'Max-Forwards: 70\r\n' +
  'From: <sip:tester@127.0.0.1>;tag=abc\r\n' +
  'To: <sip:ping@127.0.0.1>\r\n' +
  'Call-ID: wire-test-1\r\n' +
  'CSeq: 1 OPTIONS\r\n' +
  'Subject: caf\u00e9 \ud83d\ude00\r\n' +
  'Content-Length: 0\r\n\r\n';

t.test('srf connects and learns hostports, version and local hostports', async (t) => {
  const { server, port } = await startServer(t);
  const srf = new Srf(['tagA', 'tag-b']);
  const r = await connectSrf(t, srf, { host: '127.0.0.1', port, secret: SECRET });
  t.equal(r.err, null);
  t.equal(r.hostport, HOSTPORTS);
  t.equal(r.version, 'v0.9.4');
  t.equal(r.local, HOSTPORTS);
  t.equal(server.connectionCount, 1);
});

t.test('a wrong secret makes srf report a connect error and the server closes the connection', async (t) => {
  const { server, handler, port } = await startServer(t);
  const srf = new Srf();
  const r = await connectSrf(t, srf, { host: '127.0.0.1', port, secret: 'wrong', reconnect: { maxAttempts: 1 } });
  t.type(r.err, Error);
  t.match(r.err?.message, /authenticate/);
  await waitFor('connection closed', () => server.connectionCount === 0);
  t.equal(handler.closed.length, 0, 'an unauthenticated connection is not reported to the handler');
});

t.test('srf.options + srf.register produce deduplicated routes', async (t) => {
  const { server, port } = await startServer(t);
  const srf = new Srf('dedup');
  const api = srf as unknown as MethodApi;
  api.options(() => {});
  const r = await connectSrf(t, srf, { host: '127.0.0.1', port, secret: SECRET });
  t.equal(r.err, null);
  // Added after authentication: srf re-sends every route (spec 4).
  api.register(() => {});
  await waitFor('register route', () => connOf(server, 'dedup', 'register') !== undefined);
  const conn = connOf(server, 'dedup', 'options')!;
  t.ok(conn);
  t.same(server.routeTable.routesOf(conn).sort(), ['options', 'register']);
  t.equal(server.routeTable.connectionsFor('options').length, 1);
  t.equal(server.routeTable.connectionsFor('REGISTER').length, 1);
  t.equal(server.router.pick('OPTIONS'), conn);
  t.equal(server.router.pick('REGISTER'), conn);
  t.equal(server.router.pick('INVITE'), undefined);
});

t.test('two apps routing options are picked round-robin, and a sip frame reaches the picked app', async (t) => {
  const { server, handler, port } = await startServer(t);
  const got: Record<string, Srf.SrfRequest[]> = { one: [], two: [] };
  for (const tag of ['one', 'two']) {
    const srf = new Srf(tag);
    (srf as unknown as MethodApi).options((req, res) => {
      got[tag]!.push(req);
      res.send(200);
    });
    const r = await connectSrf(t, srf, { host: '127.0.0.1', port, secret: SECRET });
    t.equal(r.err, null);
  }
  await waitFor('both routes', () => server.routeTable.connectionsFor('options').length === 2);
  const picks = [0, 1, 2, 3].map(() => server.router.pick('OPTIONS')!);
  t.same(picks.map((c) => c.tags[0]), ['one', 'two', 'one', 'two']);

  const target = picks[1]!;
  target.sendFrame(sipFrame({
    source: 'network', bytes: Buffer.byteLength(OPTIONS_RAW), transport: 'udp', address: '127.0.0.1', port: 5070,
    transactionId: 'stx-1', dialogId: '', receivedOn: { host: '127.0.0.1', port: 5999 }, raw: OPTIONS_RAW,
  }));
  await waitFor('request delivered', () => got.two!.length === 1);
  t.equal(got.one!.length, 0);
  const req = got.two![0]! as Srf.SrfRequest & Record<string, unknown>;
  t.equal(req.method, 'OPTIONS');
  t.equal(req.get('Call-ID'), 'wire-test-1');
  t.equal(req.get('Subject'), 'caf\u00e9 \ud83d\ude00', 'multi-byte header survives framing');
  t.equal(req['source_address'], '127.0.0.1');
  t.equal(req['source_port'], 5070);
  t.equal(req['protocol'], 'udp');
  t.equal(req['stackTxnId'], 'stx-1');
  t.equal(req['receivedOn'], '127.0.0.1:5999');

  // The app's 200 comes back as a `sip` command carrying the transaction id.
  await waitFor('sip command', () => handler.sip.length === 1);
  const { conn, cmd } = handler.sip[0]!;
  t.equal(conn, target);
  t.equal(cmd.type, 'sip');
  t.equal(cmd.fields[2], 'stx-1');
  t.match(cmd.sipText, /^SIP\/2\.0 200 OK\r\n/);
});

t.test('srf pings (enablePing) are answered with pong', async (t) => {
  const { server, port } = await startServer(t);
  const srf = new Srf();
  const r = await connectSrf(t, srf, {
    host: '127.0.0.1', port, secret: SECRET, enablePing: true, pingInterval: 5000,
  });
  t.equal(r.err, null);
  await waitFor('a ping', () => server.pingsAnswered >= 1, 8000);
  t.equal(server.connectionCount, 1, 'still connected after the pong');
});

t.test('an app disconnect removes its routes and is reported to the handler', async (t) => {
  const { server, handler, port } = await startServer(t);
  const stay = new Srf('stay');
  const leave = new Srf('leave');
  for (const srf of [stay, leave]) {
    (srf as unknown as MethodApi).options(() => {});
    (srf as unknown as MethodApi).register(() => {});
    t.equal((await connectSrf(t, srf, { host: '127.0.0.1', port, secret: SECRET })).err, null);
  }
  await waitFor('routes', () => server.routeTable.connectionsFor('register').length === 2);
  const leaving = connOf(server, 'leave', 'options')!;
  stopSrf(leave);
  await waitFor('disconnect', () => server.connectionCount === 1);
  t.same(handler.closed, [leaving]);
  t.ok(leaving.closed);
  t.same(server.routeTable.routesOf(leaving), []);
  for (let i = 0; i < 3; i++) t.equal(server.router.pick('options')?.tags[0], 'stay');
  t.equal(server.routeTable.connectionsFor('register').length, 1);
});
