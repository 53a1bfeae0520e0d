// drachtio.mode 'external': the node runs no engine; its app connects to a drachtio server elsewhere (here the
// embedded engine standing in for a drachtio-server) and answers OPTIONS through it.
import t, { type Test as Tap } from 'tap';
import { loadConfig } from '../../../lib/config/load-config.js';
import { SipedgeNode } from '../../../lib/node/sipedge-node.js';
import { connect } from '../../helpers/sip-tls-client.js';
import { startTestEngine, waitUntil } from '../../helpers/drachtio-harness.js';
import { rawRequest } from '../../helpers/raw-requests.js';

/** A test engine standing in for a drachtio-server, and a node in external mode connected to it. */
async function startExternalNode(t: Tap) {
  const server = await startTestEngine(t);
  const config = await loadConfig(undefined, {
    log: { level: 'silent' },
    admin: { port: 0 },
    drachtio: { mode: 'external', host: server.control.host, port: server.control.port, secret: server.control.secret },
  });
  const node = new SipedgeNode(config);
  const addresses = await node.start();
  t.teardown(() => node.stop());
  return { server, node, addresses };
}

t.test('external mode: the app uses a drachtio server at host:port', async (t) => {
  const { server, node, addresses } = await startExternalNode(t);
  t.notOk(addresses.udp ?? addresses.tcp, 'no SIP listeners of its own');
  t.same(addresses.drachtio, { address: '127.0.0.1', port: server.control.port });
  const c = await connect({ port: server.sipPort, transport: 'tcp' });
  t.teardown(() => c.close());
  t.equal((await c.request(rawRequest('OPTIONS'), { timeoutMs: 5000 })).status, 200, 'OPTIONS answered by the node app');
  const health = await fetch(`http://127.0.0.1:${addresses.admin!.port}/health`);
  t.equal(health.status, 200, 'healthy while connected');
});

t.test('external mode: start fails clearly when no server answers', async (t) => {
  const config = await loadConfig(undefined, {
    log: { level: 'silent' },
    admin: { enabled: false },
    drachtio: { mode: 'external', host: '127.0.0.1', port: 1, connectTimeoutS: 1 },
  });
  const node = new SipedgeNode(config);
  await t.rejects(node.start(), /could not connect to the drachtio server at 127\.0\.0\.1:1 within 1000 ms/);
});

t.test('external mode: /health follows the drachtio connection', async (t) => {
  const { server, node, addresses } = await startExternalNode(t);
  const health = () => fetch(`http://127.0.0.1:${addresses.admin!.port}/health`).then((r) => r.status);
  t.equal(await health(), 200, 'up while connected');
  await server.embedded.control.stop();
  await waitUntil(() => node.gatewayApp?.isConnected === false, 5000, 'the app to notice');
  t.not(await health(), 200, 'not healthy without the drachtio server');
});
