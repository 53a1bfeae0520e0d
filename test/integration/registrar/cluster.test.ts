// Two gateway nodes on one real redis-server: shared bindings, connection/binding consistency, node restart,
// and Redis going away and coming back.
import t from 'tap';
import { Device, startGateway, type GatewayNode } from '../../helpers/gateway.js';
import { startRedis } from '../../helpers/redis.js';
import { buildRequest, headerValue } from '../../helpers/sip-message.js';

async function until(what: string, cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

t.test('two nodes, one Redis', async (t) => {
  const redis = await startRedis(t);
  const config = (id: string) => ({
    node: { id },
    auth: { enabled: false },
    store: { type: 'redis', redis: { port: redis.port, keyPrefix: 'cluster-test:', commandTimeoutMs: 500 } },
    registrar: { retryAfterS: 7 },
  });
  let a: GatewayNode = await startGateway(t, config('node-a'));
  const b = await startGateway(t, config('node-b'));

  await t.test('a device registered on A is found by B with A\'s node id and connection', async (t) => {
    const dev = await Device.connect({ port: a.sipPort, transport: 'tcp' }, 'dave');
    t.teardown(() => dev.close());
    t.equal((await dev.register()).status, 200);
    const [binding, ...rest] = await b.bindings('sip:dave@127.0.0.1');
    t.equal(rest.length, 0);
    t.equal(binding?.nodeId, 'node-a');
    t.equal(binding?.connectionId, `tcp:127.0.0.1:${dev.client.context.localPort}`);
    t.equal(binding?.uri, dev.contactUri);
  });

  await t.test('closing the device connection removes its bindings, not others', async (t) => {
    const leaving = await Device.connect({ port: a.sipPort, transport: 'tcp' }, 'erin');
    const staying = await Device.connect({ port: a.sipPort, transport: 'tcp' }, 'erin');
    t.teardown(() => staying.close());
    t.equal((await leaving.register()).status, 200);
    t.equal((await staying.register()).status, 200);
    t.equal((await b.bindings('sip:erin@127.0.0.1')).length, 2);
    await leaving.close();
    await until('the closed connection\'s binding to go', async () => (await b.bindings('sip:erin@127.0.0.1')).length === 1);
    t.equal((await b.bindings('sip:erin@127.0.0.1'))[0]!.uri, staying.contactUri);
  });

  await t.test('restarting node A keeps the bindings (Redis is the source of truth)', async (t) => {
    const viaB = await Device.connect({ port: b.sipPort, transport: 'tcp' }, 'frank');
    t.teardown(() => viaB.close());
    t.equal((await viaB.register()).status, 200);
    const onA = await Device.connect({ port: a.sipPort, transport: 'tcp' }, 'grace');
    t.equal((await onA.register()).status, 200);
    await a.proc.stop();
    await onA.close();
    a = await startGateway(t, config('node-a'));
    t.equal((await a.bindings('sip:frank@127.0.0.1')).length, 1, 'a binding from another node\'s connection');
    t.equal((await a.bindings('sip:grace@127.0.0.1')).length, 1, 'a binding of the restarted node itself');
  });

  await t.test('Redis down: REGISTER 503 + Retry-After, OPTIONS 200; back by itself when Redis returns', async (t) => {
    const dev = await Device.connect({ port: b.sipPort, transport: 'tcp' }, 'heidi');
    t.teardown(() => dev.close());
    await redis.stop();
    const started = Date.now();
    const res = await dev.register();
    t.equal(res.status, 503);
    t.equal(headerValue(res, 'retry-after'), '7');
    t.ok(Date.now() - started < 3000, 'answered quickly, not after a long hang');
    const options = await dev.client.request((ctx) =>
      buildRequest({ method: 'OPTIONS', uri: 'sip:127.0.0.1', transport: ctx.transport, sentBy: ctx.sentBy, from: '<sip:heidi@127.0.0.1>', to: '<sip:127.0.0.1>' }),
    );
    t.equal(options.status, 200);
    await redis.restart();
    let status = 0;
    await until('REGISTER to succeed again', async () => {
      status = (await dev.register()).status;
      return status === 200;
    }, 10_000);
    t.equal(status, 200);
  });
});
