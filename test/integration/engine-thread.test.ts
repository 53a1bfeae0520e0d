// drachtio.engineThread: in gateway role the embedded engine runs on its own worker thread; the app (main thread)
// reaches it over the drachtio control channel as before. The node answers OPTIONS, serves the engine's metrics on
// /metrics, hears about device connection closes (and drops their bindings), reports start errors as the
// in-process engine does, and ends the worker on stop.
import t from 'tap';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { loadConfig, ConfigError } from '../../lib/config/load-config.js';
import { SipedgeNode } from '../../lib/node/sipedge-node.js';
import type { ConnectionClosed } from '../../lib/node/engine-thread.js';
import { connect } from '../helpers/sip-tls-client.js';
import { buildRequest } from '../helpers/sip-message.js';
import { waitUntil } from '../helpers/drachtio-harness.js';

const baseConfig = (engineThread: boolean, extra: Record<string, unknown> = {}) =>
  loadConfig(undefined, {
    node: { id: `engine-thread-${engineThread}` },
    log: { level: 'silent' },
    admin: { port: 0 },
    auth: { enabled: false },
    sip: { udp: { port: 0 }, tcp: { port: 0 } },
    drachtio: { port: 0, engineThread },
    ...extra,
  });

const options = (sentBy: string, callId: string) =>
  buildRequest({ method: 'OPTIONS', uri: 'sip:127.0.0.1', transport: 'TCP', sentBy, from: '<sip:probe@127.0.0.1>', to: '<sip:127.0.0.1>', callId });

t.test('engine thread: OPTIONS, /metrics, connection closes, stop', async (t) => {
  const node = new SipedgeNode(await baseConfig(true));
  const addresses = await node.start();
  let stopped = false;
  t.teardown(() => (stopped ? undefined : node.stop()));
  const thread = node.engineThread;
  t.ok(thread, 'the engine runs on a worker thread');
  t.equal(node.sipEngine, undefined, 'no engine on the main thread');
  t.ok(thread!.threadId > 0, 'worker thread id');
  t.ok(addresses.tcp && addresses.tcp.port > 0, 'bound TCP port reported');
  t.ok(addresses.udp && addresses.udp.port > 0, 'bound UDP port reported');
  t.ok(addresses.drachtio && addresses.drachtio.port > 0, 'control channel reported');
  t.same(addresses.drachtio, thread!.control);

  const closes: ConnectionClosed[] = [];
  thread!.on('connection:close', (info) => closes.push(info));

  const c = await connect({ port: addresses.tcp!.port, transport: 'tcp' });
  const res = await c.request((ctx) => options(ctx.sentBy, 'thread-options-1'), { timeoutMs: 5000 });
  t.equal(res.status, 200, 'OPTIONS answered 200 through the worker engine and the main-thread app');

  // A device registers over this connection; closing it drops the binding (registrar on the main thread).
  const aor = 'sip:user1@127.0.0.1';
  const reg = await c.request(
    (ctx) =>
      buildRequest({
        method: 'REGISTER',
        uri: 'sip:127.0.0.1',
        transport: 'TCP',
        sentBy: ctx.sentBy,
        from: `<${aor}>`,
        to: `<${aor}>`,
        callId: 'thread-reg-1',
        contact: `<sip:user1@${ctx.sentBy};transport=tcp>`,
        headers: [['Expires', '300']],
      }),
    { timeoutMs: 5000 },
  );
  t.equal(reg.status, 200, 'REGISTER accepted');
  const bindings = async () => {
    const r = await fetch(`http://127.0.0.1:${addresses.admin!.port}/bindings?aor=${encodeURIComponent(aor)}`);
    return (await r.json()) as unknown[];
  };
  t.equal((await bindings()).length, 1, 'one binding while connected');

  const metrics = await (await fetch(`http://127.0.0.1:${addresses.admin!.port}/metrics`)).text();
  t.match(metrics, /^sipedge_connections_open 1$/m, 'engine gauge from the worker registry');
  t.match(metrics, /sipedge_sip_messages_total\{direction="in",transport="tcp",kind="request",method="OPTIONS"\} 1/, 'engine counter');
  t.match(metrics, /sipedge_drachtio_apps 1/, 'drachtio gauge');
  t.match(metrics, /sipedge_process_process_cpu_user_seconds_total/, 'process metrics from the main registry');
  t.equal(metrics.match(/^# TYPE sipedge_process_process_cpu_user_seconds_total /gm)?.length, 1, 'process metrics only once');

  const local = c.context;
  await c.close();
  await waitUntil(() => closes.length > 0, 5000, 'the connection close to reach the main thread');
  t.match(closes[0], { transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: local.localPort, inbound: true }, 'close event forwarded');
  let left = 1;
  for (let i = 0; i < 50 && left > 0; i++) {
    left = (await bindings()).length;
    if (left > 0) await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(left, 0, 'binding dropped when its connection closed');

  const health = (await (await fetch(`http://127.0.0.1:${addresses.admin!.port}/health`)).json()) as { ok: boolean; eventLoopLagMs: number };
  t.equal(health.ok, true, 'healthy');
  t.type(health.eventLoopLagMs, 'number');

  const exited = once(thread!, 'exit');
  await node.stop();
  stopped = true;
  const [code, expected] = (await exited) as [number, boolean];
  t.equal(expected, true, 'the worker was asked to stop');
  t.equal(code, 0, 'the worker exited by itself (not terminated)');
  t.equal(thread!.threadId, -1, 'worker gone');
  t.equal(thread!.isAlive, false);
  t.equal(node.engineThread, undefined);
});

t.test('engineThread false keeps the engine in-process', async (t) => {
  const node = new SipedgeNode(await baseConfig(false));
  const addresses = await node.start();
  t.teardown(() => node.stop());
  t.equal(node.engineThread, undefined);
  t.ok(node.sipEngine, 'engine on the main thread');
  const c = await connect({ port: addresses.tcp!.port, transport: 'tcp' });
  t.teardown(() => c.close());
  t.equal((await c.request((ctx) => options(ctx.sentBy, 'inproc-1'), { timeoutMs: 5000 })).status, 200);
  const metrics = await (await fetch(`http://127.0.0.1:${addresses.admin!.port}/metrics`)).text();
  t.match(metrics, /^sipedge_connections_open 1$/m);
});

t.test('engine role stays in-process', async (t) => {
  const node = new SipedgeNode(await baseConfig(true), { role: 'engine' });
  const addresses = await node.start();
  t.teardown(() => node.stop());
  t.equal(node.engineThread, undefined);
  t.ok(node.sipEngine);
  t.ok(addresses.drachtio && addresses.drachtio.port > 0);
});

t.test('start errors cross the thread with the in-process message', async (t) => {
  const busy: Server = createServer();
  busy.listen(0, '127.0.0.1');
  await once(busy, 'listening');
  t.teardown(() => new Promise<void>((r) => busy.close(() => r())));
  const port = (busy.address() as { port: number }).port;
  const messageOf = async (engineThread: boolean) => {
    const node = new SipedgeNode(await baseConfig(engineThread, { sip: { udp: { enabled: false }, tcp: { port } } }));
    try {
      await node.start();
    } catch (err) {
      return (err as Error).message;
    }
    await node.stop();
    return 'started';
  };
  const inProcess = await messageOf(false);
  t.not(inProcess, 'started', 'in-process start fails on a busy port');
  t.equal(await messageOf(true), inProcess, 'same message from the worker');

  const node = new SipedgeNode(
    await baseConfig(true, { sip: { udp: { enabled: false }, tcp: { port: 0 }, tls: { enabled: true, port: 0, keyFile: '/nonexistent/key.pem', certFile: '/nonexistent/cert.pem' } } }),
  );
  const err = await node.start().then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof ConfigError, 'a ConfigError stays one');
  t.equal((err as ConfigError).keyPath, 'sip.tls.keyFile');
  t.match((err as ConfigError).message, /invalid config: sip\.tls\.keyFile: cannot read \/nonexistent\/key\.pem/);
  t.equal(node.engineThread, undefined, 'nothing left running');
});

t.test('an engine thread that dies takes the node down (as an in-process crash would)', async (t) => {
  const node = new SipedgeNode(await baseConfig(true));
  await node.start();
  t.teardown(() => node.stop());
  const thread = node.engineThread!;
  const exited = once(thread, 'exit');
  const before = process.exitCode;
  // Stands in for an uncaught exception in the engine.
  await (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
  const [, expected] = (await exited) as [number, boolean];
  t.equal(expected, false, 'reported as unexpected');
  await waitUntil(() => node.engineThread === undefined && node.gatewayApp === undefined, 5000, 'the node to stop');
  t.equal(process.exitCode, 1, 'the process will exit failing');
  process.exitCode = before;
});
