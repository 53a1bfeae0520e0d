// A device connection whose bindings all ended is closed by the node (registrar.closeConnectionsWithoutBindings),
// with the engine in-process and on its thread; a connection that never registered is left to the idle timeout.
import t from 'tap';
import { loadConfig } from '../../../lib/config/load-config.js';
import { SipedgeNode } from '../../../lib/node/sipedge-node.js';
import type { SipStreamClient } from '../../helpers/sip-tls-client.js';
import { buildRequest } from '../../helpers/sip-message.js';
import { delay } from '../../helpers/drachtio-harness.js';
import { Device } from '../../helpers/gateway.js';

const config = (engineThread: boolean, close: boolean) =>
  loadConfig(undefined, {
    node: { id: `release-${engineThread}` },
    log: { level: 'silent' },
    admin: { enabled: false },
    auth: { enabled: false },
    sip: { udp: { port: 0 }, tcp: { port: 0 } },
    drachtio: { port: 0, engineThread },
    registrar: { minExpiresS: 1, closeConnectionsWithoutBindings: close, connectionCheckIntervalS: 0.2 },
  });

const expires = (s: number) => ({ headers: [['Expires', String(s)]] as const });

const options = (c: SipStreamClient) =>
  c.request(
    (ctx) => buildRequest({ method: 'OPTIONS', uri: 'sip:127.0.0.1', transport: 'TCP', sentBy: ctx.sentBy, from: '<sip:probe@127.0.0.1>', to: '<sip:127.0.0.1>' }),
    { timeoutMs: 5000 },
  );

/** Resolves true if `c` closes within `ms`. */
const closesWithin = (c: SipStreamClient, ms: number) => Promise.race([c.closed.then(() => true), delay(ms).then(() => false)]);

for (const engineThread of [false, true]) {
  t.test(`bindings ended: connection closed (engine ${engineThread ? 'thread' : 'in-process'})`, async (t) => {
    const node = new SipedgeNode(await config(engineThread, true));
    const addresses = await node.start();
    t.teardown(() => node.stop());
    const port = addresses.tcp!.port;
    const expiring = await Device.connect({ port, transport: 'tcp' }, 'short');
    const staying = await Device.connect({ port, transport: 'tcp' }, 'long');
    const neverRegistered = await Device.connect({ port, transport: 'tcp' }, 'probe');
    t.teardown(() => Promise.all([expiring.close(), staying.close(), neverRegistered.close()]));

    t.equal((await expiring.register(expires(1))).status, 200, 'registered for 1 s');
    t.equal((await staying.register(expires(300))).status, 200, 'registered for 300 s');
    t.equal((await options(neverRegistered.client)).status, 200, 'a connection that never registers');

    t.equal(await closesWithin(expiring.client, 5000), true, 'the node closed the connection once its binding expired');
    await delay(600); // a few more looks
    t.equal(staying.client.isClosed, false, 'a connection with a live binding stays');
    t.equal(neverRegistered.client.isClosed, false, 'a connection that never carried a binding stays');

    t.equal((await staying.register(expires(0))).status, 200, 'unregistered');
    t.equal(await closesWithin(staying.client, 5000), true, 'closed after its last binding was removed');
  });
}

t.test('closeConnectionsWithoutBindings false keeps the connection', async (t) => {
  const node = new SipedgeNode(await config(false, false));
  const addresses = await node.start();
  t.teardown(() => node.stop());
  const dev = await Device.connect({ port: addresses.tcp!.port, transport: 'tcp' }, 'short');
  t.teardown(() => dev.close());
  t.equal((await dev.register(expires(1))).status, 200);
  t.equal(await closesWithin(dev.client, 2500), false, 'still open 1.5 s after the binding expired');
});
