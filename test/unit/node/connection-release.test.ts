// ConnectionRelease: which device connections the node asks the engine to close, from what the store says.
import t from 'tap';
import { pino } from 'pino';
import { ConnectionRelease, type DeviceConnectionControl } from '../../../lib/node/connection-release.js';
import type { DeviceConnection } from '../../../lib/node/engine-thread.js';

const conn = (id: string, port: number): DeviceConnection => ({ id, transport: 'tcp', remoteAddress: '192.0.2.7', remotePort: port });

function setup() {
  const open = new Map<string, DeviceConnection>();
  const inUse = new Set<string>();
  const bound = new Set<string>(); // store connection ids (tcp:address:port)
  const asked: string[][] = [];
  const lookedUp: Array<{ nodeId: string; ids: readonly string[] }> = [];
  let storeDown = false;
  const engine: DeviceConnectionControl = {
    deviceConnections: async () => [...open.values()],
    releaseConnections: async (ids) => {
      asked.push([...ids]);
      const closed = ids.filter((id) => !inUse.has(id));
      for (const id of closed) open.delete(id);
      return closed;
    },
  };
  const release = new ConnectionRelease({
    engine,
    store: {
      connectionsBound: async (nodeId, ids) => {
        if (storeDown) throw new Error('store down');
        lookedUp.push({ nodeId, ids });
        return ids.map((id) => bound.has(id));
      },
    },
    nodeId: 'node-a',
    intervalMs: 60_000,
    log: pino({ level: 'silent' }),
  });
  /** c1 open and bound at one look, then its binding gone: the case a release is for. */
  const c1LosesItsBinding = async (): Promise<void> => {
    open.set('c1', conn('c1', 5001));
    bound.add('tcp:192.0.2.7:5001');
    await release.check();
    bound.delete('tcp:192.0.2.7:5001');
  };
  return { open, inUse, bound, asked, lookedUp, release, c1LosesItsBinding, setStoreDown: (v: boolean) => (storeDown = v) };
}

t.test('a connection is released once the bindings it carried are gone', async (t) => {
  const s = setup();
  s.open.set('c1', conn('c1', 5001));
  s.open.set('c2', conn('c2', 5002));
  s.bound.add('tcp:192.0.2.7:5001');
  t.equal(await s.release.check(), 0, 'nothing to release while c1 is bound and c2 never was');
  t.same(s.lookedUp[0], { nodeId: 'node-a', ids: ['tcp:192.0.2.7:5001', 'tcp:192.0.2.7:5002'] }, 'looked up under the store names');
  t.same(s.asked, [], 'engine not asked');

  s.bound.delete('tcp:192.0.2.7:5001');
  t.equal(await s.release.check(), 1, 'c1 lost its bindings: released');
  t.same(s.asked, [['c1']], 'only c1 asked for; c2 never carried a binding');
  t.same([...s.open.keys()], ['c2']);
  t.equal(await s.release.check(), 0, 'nothing more');
  t.same(s.asked, [['c1']]);
});

t.test('a connection still in use is asked for again at the next look', async (t) => {
  const s = setup();
  await s.c1LosesItsBinding();
  s.inUse.add('c1');
  t.equal(await s.release.check(), 0, 'engine kept it (a call uses it)');
  s.inUse.delete('c1');
  t.equal(await s.release.check(), 1, 'released once the call ended');
  t.same(s.asked, [['c1'], ['c1']]);
});

t.test('a connection closed between looks is forgotten: a new one under its id is not taken for it', async (t) => {
  const s = setup();
  s.open.set('c1', conn('c1', 5001));
  s.open.set('c2', conn('c2', 5002));
  s.bound.add('tcp:192.0.2.7:5001');
  s.bound.add('tcp:192.0.2.7:5002');
  await s.release.check();
  s.open.delete('c2'); // the device hung up
  await s.release.check();
  s.bound.delete('tcp:192.0.2.7:5002');
  s.open.set('c2', conn('c2', 5002)); // a new connection under a reused id, never bound
  t.equal(await s.release.check(), 0, 'the new c2 is not taken for the old one');
  t.same(s.asked, []);
});

t.test('a failed store look releases nothing and never rejects', async (t) => {
  const s = setup();
  await s.c1LosesItsBinding();
  s.setStoreDown(true);
  t.equal(await s.release.check(), 0);
  t.same(s.asked, [], 'not released on a failed look');
  s.setStoreDown(false);
  t.equal(await s.release.check(), 1, 'released at the next good look');
});
