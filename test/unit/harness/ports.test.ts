import t from 'tap';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { freePort, freePorts, isListening, isPortFree, waitForListening } from '../../helpers/ports.js';

t.test('freePort(both) can be bound for TCP and UDP on 127.0.0.1', async (t) => {
  const port = await freePort('both');
  t.ok(port > 0 && port < 65536, `port ${port} in range`);
  const server = createServer();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const udp = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
  t.equal(await isListening(port, 'tcp'), true, 'TCP listener seen in /proc');
  t.equal(await isListening(port, 'udp'), true, 'UDP socket seen in /proc');
  t.equal(await isPortFree(port, 'both'), false, 'port reported busy while held');
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => udp.close(() => r()));
  t.equal(await isPortFree(port, 'both'), true, 'port reported free after release');
});

t.test('freePorts returns distinct ports', async (t) => {
  const ports = await freePorts(8, 'both');
  t.equal(new Set(ports).size, 8);
});

t.test('waitForListening waits for a late listener and gives up on abort', async (t) => {
  const port = await freePort('tcp');
  const server = createServer();
  setTimeout(() => server.listen(port, '127.0.0.1'), 150);
  await waitForListening(port, ['tcp'], { timeoutMs: 3000 });
  t.pass('listener detected');
  await new Promise<void>((r) => server.close(() => r()));
  const other = await freePort('udp');
  await t.rejects(waitForListening(other, ['udp'], { timeoutMs: 3000, abortIf: () => 'gave up' }), /gave up/);
  await t.rejects(waitForListening(other, ['udp'], { timeoutMs: 100 }), /not listening after 100 ms/);
});
