// DSCP marking of SIP signalling: the native helper sets IP_TOS; the transport layer marks its UDP socket and its
// TCP listener (accepted connections inherit the mark) and outbound connections. The helper is built by
// `npm run build` (which `npm test` runs first); a missing helper fails here with the reason.
import t from 'tap';
import { connect, createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { TransportLayer } from '../../../lib/engine/transport/transport-layer.js';
import { applyTos, readTos, sockoptAddon } from '../../../lib/engine/transport/socket-tos.js';
import { RecordingMetrics } from './support.js';

const CS3 = 24 << 2; // 96

t.test('the native helper is built', async (t) => {
  t.ok(sockoptAddon(), 'native/sockopt/build/Release/sockopt.node loads (run `npm run build`; see native/sockopt/build.log)');
});

t.test('applyTos on a listener marks accepted sockets; on UDP and outbound sockets too', async (t) => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => server.close());
  t.ok(applyTos(server, CS3), 'listener marked');
  const accepted = new Promise<number | undefined>((resolve) =>
    server.once('connection', (s) => {
      resolve(readTos(s));
      s.destroy();
    }),
  );
  const c = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
  await new Promise<void>((r) => c.once('connect', () => r()));
  t.equal(readTos(c), 0, 'an unmarked client stays unmarked');
  t.ok(applyTos(c, 184), 'outbound socket marked');
  t.equal(readTos(c), 184);
  c.destroy();
  t.equal(await accepted, CS3, 'the accepted socket inherits the listener mark');

  const u = createSocket('udp4');
  await new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()));
  t.ok(applyTos(u, CS3), 'udp socket marked');
  t.equal(readTos(u), CS3);
  u.close();
  t.notOk(applyTos(u, 0), 'TOS 0 means no marking');
});

t.test('the transport layer marks its listeners with the configured TOS', async (t) => {
  const layer = new TransportLayer({ udp: { port: 0 }, tcp: { port: 0 }, tos: CS3 }, { metrics: new RecordingMetrics() });
  await layer.start();
  t.teardown(() => layer.stop());
  t.same(layer.signallingTos(), { udp: CS3, tcp: CS3, tls: undefined });

  const plain = new TransportLayer({ udp: { port: 0 }, tcp: { port: 0 } }, { metrics: new RecordingMetrics() });
  await plain.start();
  t.teardown(() => plain.stop());
  t.same(plain.signallingTos(), { udp: 0, tcp: 0, tls: undefined }, 'tos 0: unmarked');
});
