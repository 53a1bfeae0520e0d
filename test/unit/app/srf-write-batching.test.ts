// Writes held for one event-loop turn leave together, in order, and the socket is released afterwards.
import t from 'tap';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
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

t.test('writes of one turn are corked until the turn ends, then sent in order', async (t) => {
  const { client, server, close } = await socketPair();
  t.teardown(close);
  let received = '';
  server.on('data', (d: Buffer) => (received += d.toString()));
  holdWrites(client);
  t.equal(client.writableCorked, 1, 'corked by the first hold');
  client.write('one|');
  holdWrites(client); // a second hold in the same turn changes nothing
  t.equal(client.writableCorked, 1);
  client.write('two|');
  client.write('three|');
  t.equal(client.writableLength > 0, true, 'nothing left the socket yet');
  await new Promise((r) => setImmediate(r));
  t.equal(client.writableCorked, 0, 'released at the end of the turn');
  while (received.length < 'one|two|three|'.length) await once(server, 'data');
  t.equal(received, 'one|two|three|');
  // A later turn corks again.
  holdWrites(client);
  t.equal(client.writableCorked, 1);
  await new Promise((r) => setImmediate(r));
  t.equal(client.writableCorked, 0);
});

t.test('no socket, or a destroyed one, is left alone', async (t) => {
  holdWrites(undefined);
  const { client, close } = await socketPair();
  t.teardown(close);
  client.destroy();
  holdWrites(client);
  t.equal(client.writableCorked, 0);
  t.equal(socketOf({ socket: client }), client);
  t.equal(socketOf({}), undefined);
});
