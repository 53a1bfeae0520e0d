// Writes of one tick leave together, in order, and the socket is released at the end of the tick; sockets owned
// by libraries (srf's, ioredis's) get the same through batchWrites / holdWrites.
import t from 'tap';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { batchWrites } from '../../../lib/common/tick-batcher.js';
import { holdWrites, socketOf } from '../../../lib/app/srf-write-batching.js';

async function socketPair(): Promise<{ client: Socket; server: Socket; close: () => void }> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address() as { port: number };
  const accepted = once(srv, 'connection');
  const client = connect(addr.port, '127.0.0.1');
  await once(client, 'connect');
  const [server] = (await accepted) as [Socket];
  return { client, server, close: () => (client.destroy(), server.destroy(), srv.close()) };
}

const nextTurn = () => new Promise((r) => setImmediate(r));

t.test('writes of one tick, promise continuations included, are corked until the tick ends, then sent in order', async (t) => {
  const { client, server, close } = await socketPair();
  t.teardown(close);
  let received = '';
  server.on('data', (d: Buffer) => (received += d.toString()));
  batchWrites(client);
  t.equal(client.writableCorked, 1, 'corked by the first call');
  client.write('one|');
  batchWrites(client); // a second call in the same tick changes nothing
  t.equal(client.writableCorked, 1);
  client.write('two|');
  await Promise.resolve(); // a continuation of the same tick
  batchWrites(client);
  client.write('three|');
  t.equal(client.writableCorked, 1, 'still corked in a continuation');
  t.ok(client.writableLength > 0, 'nothing left the socket yet');
  await nextTurn();
  t.equal(client.writableCorked, 0, 'released at the end of the tick');
  while (received.length < 'one|two|three|'.length) await once(server, 'data');
  t.equal(received, 'one|two|three|');
  // A later tick corks again.
  batchWrites(client);
  t.equal(client.writableCorked, 1);
  await nextTurn();
  t.equal(client.writableCorked, 0);
});

t.test("srf's socket is found on its request or response object", async (t) => {
  const { client, close } = await socketPair();
  t.teardown(close);
  t.equal(socketOf({ socket: client }), client);
  t.equal(socketOf({}), undefined);
  holdWrites({ socket: client });
  t.equal(client.writableCorked, 1);
  await nextTurn();
  t.equal(client.writableCorked, 0);
  holdWrites({}); // no socket: nothing to do
});

t.test('no socket, or a destroyed one, is left alone; a socket destroyed while corked is not touched', async (t) => {
  batchWrites(undefined);
  const a = await socketPair();
  t.teardown(a.close);
  a.client.destroy();
  batchWrites(a.client);
  t.equal(a.client.writableCorked, 0);
  const b = await socketPair();
  t.teardown(b.close);
  batchWrites(b.client);
  b.client.destroy();
  await nextTurn();
  t.ok(b.client.destroyed);
});
