// The control channel driven by a raw TCP client: exact reply frames, protocol violations, framing edge cases.
import t, { type Test } from 'tap';
import { connect, type Socket } from 'node:net';
import type { AppCommand, AppConnection, CommandHandler, LocalAddresses } from '../../../lib/engine/drachtio/contracts.js';
import { ControlServer } from '../../../lib/engine/drachtio/wire/control-server.js';
import { FrameDecoder, encode } from '../../../lib/engine/drachtio/wire/frame-codec.js';
import { nok, parseCommand } from '../../../lib/engine/drachtio/wire/frames.js';

const SECRET = 's3cret';
const localAddresses: LocalAddresses = {
  hostports: () => 'udp/127.0.0.1:5060',
  listener: () => undefined,
  isLocal: () => false,
};

class RecordingHandler implements CommandHandler {
  commands: Array<{ kind: 'sip' | 'proxy'; conn: AppConnection; cmd: AppCommand }> = [];
  closed: AppConnection[] = [];
  onSipCommand(conn: AppConnection, cmd: AppCommand): void {
    this.commands.push({ kind: 'sip', conn, cmd });
    conn.sendFrame(nok(cmd.msgId, 'test handler'));
  }
  onProxyCommand(conn: AppConnection, cmd: AppCommand): void {
    this.commands.push({ kind: 'proxy', conn, cmd });
  }
  onAppClosed(conn: AppConnection): void {
    this.closed.push(conn);
  }
}

interface RawClient {
  socket: Socket;
  frames: string[];
  closed: Promise<void>;
  send(payload: string): void;
  next(): Promise<string>;
}

async function startServer(t: Test, handler?: CommandHandler): Promise<{ server: ControlServer; port: number }> {
  const server = new ControlServer({ port: 0, secret: SECRET, localAddresses, version: 'v0.9.4-3-gabc' });
  if (handler) server.setHandler(handler);
  const { port } = await server.start();
  t.teardown(() => server.stop());
  return { server, port };
}

async function rawClient(t: Test, port: number): Promise<RawClient> {
  const socket = connect({ host: '127.0.0.1', port });
  t.teardown(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const frames: string[] = [];
  const waiters: Array<() => void> = [];
  const decoder = new FrameDecoder({
    onFrame: (p) => {
      frames.push(p);
      waiters.splice(0).forEach((w) => w());
    },
    onError: (e) => t.fail(`server sent a malformed frame: ${e.message}`),
  });
  socket.on('data', (c: Buffer) => decoder.push(c));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let read = 0;
  return {
    socket,
    frames,
    closed,
    send: (payload) => socket.write(encode(payload)),
    next: () =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no frame within 3 s')), 3000);
        const take = (): void => {
          if (read < frames.length) {
            clearTimeout(timer);
            resolve(frames[read++]!);
          } else waiters.push(take);
        };
        take();
      }),
  };
}

async function waitFor(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function authed(t: Test, port: number, tags = ''): Promise<RawClient> {
  const c = await rawClient(t, port);
  c.send(`auth-1|authenticate|${SECRET}|${tags}`);
  const reply = parseCommand(await c.next());
  if (reply.fields[3] !== 'OK') throw new Error('auth failed');
  return c;
}

t.test('authenticate OK reply layout (spec 3.2) and tags', async (t) => {
  const { server, port } = await startServer(t);
  const c = await rawClient(t, port);
  c.send(`a1|authenticate|${SECRET}|t1,t2`);
  const r = parseCommand(await c.next());
  t.equal(r.type, 'response');
  t.same(r.fields.slice(2), ['a1', 'OK', 'udp/127.0.0.1:5060', 'v0.9.4-3-gabc', 'udp/127.0.0.1:5060']);
  c.send('r1|route|OPTIONS');
  t.same(parseCommand(await c.next()).fields.slice(2), ['r1', 'OK']);
  const conn = server.router.pick('options');
  t.same(conn?.tags, ['t1', 't2']);
});

t.test('ping gets OK|pong; route/remove_route get OK', async (t) => {
  const { server, port } = await startServer(t);
  const c = await authed(t, port);
  c.send('p1|ping');
  t.same(parseCommand(await c.next()).fields.slice(1), ['response', 'p1', 'OK', 'pong']);
  t.equal(server.pingsAnswered, 1);
  c.send('r1|route|invite');
  c.send('r2|route|invite');
  c.send('r3|remove_route|invite');
  c.send('r4|remove_route|bogus');
  for (const id of ['r1', 'r2', 'r3', 'r4']) t.same(parseCommand(await c.next()).fields.slice(2), [id, 'OK']);
  t.equal(server.router.pick('INVITE'), undefined);
});

t.test('wrong secret: NO|incorrect secret, then closed', async (t) => {
  const { server, port } = await startServer(t);
  const c = await rawClient(t, port);
  c.send('a1|authenticate|nope|');
  t.same(parseCommand(await c.next()).fields.slice(1), ['response', 'a1', 'NO', 'incorrect secret']);
  await c.closed;
  await waitFor('server side close', () => server.connectionCount === 0);
  t.equal(server.connectionCount, 0);
});

t.test('a command before authentication closes the connection without reply', async (t) => {
  const handler = new RecordingHandler();
  const { port } = await startServer(t, handler);
  const c = await rawClient(t, port);
  c.send('x|route|invite');
  await c.closed;
  t.equal(c.frames.length, 0);
  t.equal(handler.closed.length, 0);
});

t.test('unknown type: NO|Unknown message type, then closed', async (t) => {
  const handler = new RecordingHandler();
  const { port } = await startServer(t, handler);
  const c = await authed(t, port);
  c.send('u1|frobnicate|x');
  t.same(parseCommand(await c.next()).fields.slice(1), ['response', 'u1', 'NO', 'Unknown message type']);
  await c.closed;
  await waitFor('handler notified', () => handler.closed.length === 1);
  t.equal(handler.closed.length, 1, 'handler told about the closed app');
});

t.test('malformed frame closes the connection', async (t) => {
  const { server, port } = await startServer(t);
  const c = await authed(t, port);
  c.socket.write('12a#hello');
  await c.closed;
  await waitFor('server side close', () => server.connectionCount === 0);
  t.equal(server.connectionCount, 0);
});

t.test('sip and proxy commands reach the handler with parsed fields, split byte by byte', async (t) => {
  const handler = new RecordingHandler();
  const { port } = await startServer(t, handler);
  const c = await authed(t, port);
  const sipText = 'MESSAGE sip:b@127.0.0.1 SIP/2.0\r\nContent-Type: text/plain\r\n\r\nhello \ud83d\ude00|x';
  const bytes = Buffer.concat([encode(`s1|sip|||\r\n${sipText}`), encode('p1|proxy|stx-9|remainInDialog|\r\nsip:x@y')]);
  for (let i = 0; i < bytes.length; i++) c.socket.write(bytes.subarray(i, i + 1));
  t.same(parseCommand(await c.next()).fields.slice(2), ['s1', 'NOK', 'test handler']);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(handler.commands.length, 2);
  const [s, p] = handler.commands;
  t.equal(s?.kind, 'sip');
  t.same(s?.cmd.fields, ['s1', 'sip', '', '', '']);
  t.equal(s?.cmd.sipText, sipText);
  t.equal(p?.kind, 'proxy');
  t.equal(p?.cmd.fields[2], 'stx-9');
  t.equal(p?.cmd.sipText, 'sip:x@y');
});

t.test('without a handler, sip commands still get one NOK reply', async (t) => {
  const { port } = await startServer(t);
  const c = await authed(t, port);
  c.send('s1|sip|||\r\nOPTIONS sip:x SIP/2.0\r\n\r\n');
  const r = parseCommand(await c.next());
  t.same(r.fields.slice(2, 4), ['s1', 'NOK']);
});

t.test('several apps at once; stop() closes them all', async (t) => {
  const handler = new RecordingHandler();
  const { server, port } = await startServer(t, handler);
  const clients = await Promise.all([1, 2, 3].map(() => authed(t, port)));
  t.equal(server.connectionCount, 3);
  await server.stop();
  await Promise.all(clients.map((c) => c.closed));
  await waitFor('all closed', () => handler.closed.length === 3);
  t.equal(server.connectionCount, 0);
  t.equal(handler.closed.length, 3);
});

t.test('a connection that never authenticates is closed after authTimeoutMs', async (t) => {
  const server = new ControlServer({ port: 0, secret: SECRET, localAddresses, authTimeoutMs: 100 });
  const { port } = await server.start();
  t.teardown(() => server.stop());
  const idle = await rawClient(t, port);
  const good = await rawClient(t, port);
  good.send(`a|authenticate|${SECRET}|`);
  await good.next();
  await idle.closed;
  await new Promise((r) => setTimeout(r, 150));
  t.equal(server.connectionCount, 1, 'the authenticated app stays');
  t.equal(good.socket.destroyed, false);
});

t.test('large frames (1 MiB body with multi-byte text) in both directions', async (t) => {
  const handler: CommandHandler = {
    onSipCommand(conn, cmd) {
      // Echo the text back inside a response frame to exercise the S->A direction too.
      conn.sendFrame(`x|response|${cmd.msgId}|OK|\r\n${cmd.sipText}`);
    },
    onProxyCommand() {},
    onAppClosed() {},
  };
  const { port } = await startServer(t, handler);
  const c = await authed(t, port);
  const body = 'é😀'.repeat(150_000);
  c.send(`big|sip|||\r\n${body}`);
  const echoed = parseCommand(await c.next());
  t.equal(echoed.fields[2], 'big');
  t.equal(echoed.sipText.length, body.length);
  t.ok(echoed.sipText === body);
});
