import t from 'tap';
import type { AppConnection } from '../../../../lib/engine/drachtio/contracts.js';
import { RouteTable } from '../../../../lib/engine/drachtio/wire/route-table.js';

function fakeConn(id: string): AppConnection & { closed: boolean } {
  return { id, tags: [], closed: false, sendFrame() {} };
}

t.test('verbs are case-insensitive and duplicates ignored', async (t) => {
  const rt = new RouteTable();
  const a = fakeConn('a');
  t.equal(rt.add('register', a), true);
  t.equal(rt.add('register', a), false);
  t.equal(rt.add('REGISTER', a), false);
  t.equal(rt.add('invite', a), true);
  t.same(rt.routesOf(a).sort(), ['invite', 'register']);
  t.equal(rt.connectionsFor('Register').length, 1);
  t.equal(rt.pick('REGISTER'), a);
  t.equal(rt.pick('register'), a);
  t.equal(rt.pick('OPTIONS'), undefined);
});

t.test('round-robin is fair despite duplicate routes', async (t) => {
  const rt = new RouteTable();
  const a = fakeConn('a');
  const b = fakeConn('b');
  for (let i = 0; i < 5; i++) rt.add('options', a);
  rt.add('options', b);
  const picks = Array.from({ length: 6 }, () => rt.pick('OPTIONS')?.id);
  t.same(picks, ['a', 'b', 'a', 'b', 'a', 'b']);
});

t.test('round-robin offset is per method', async (t) => {
  const rt = new RouteTable();
  const a = fakeConn('a');
  const b = fakeConn('b');
  rt.add('options', a);
  rt.add('options', b);
  rt.add('invite', a);
  rt.add('invite', b);
  t.equal(rt.pick('OPTIONS')?.id, 'a');
  t.equal(rt.pick('INVITE')?.id, 'a');
  t.equal(rt.pick('OPTIONS')?.id, 'b');
  t.equal(rt.pick('INVITE')?.id, 'b');
});

t.test('closed connections are skipped', async (t) => {
  const rt = new RouteTable();
  const a = fakeConn('a');
  const b = fakeConn('b');
  const c = fakeConn('c');
  rt.add('invite', a);
  rt.add('invite', b);
  rt.add('invite', c);
  b.closed = true;
  const picks = Array.from({ length: 4 }, () => rt.pick('invite')?.id);
  t.same(picks, ['a', 'c', 'a', 'c']);
  a.closed = true;
  c.closed = true;
  t.equal(rt.pick('invite'), undefined);
});

t.test('per-verb remove keeps the other verbs', async (t) => {
  const rt = new RouteTable();
  const a = fakeConn('a');
  rt.add('invite', a);
  rt.add('register', a);
  t.equal(rt.remove('INVITE', a), true);
  t.equal(rt.remove('invite', a), false);
  t.equal(rt.pick('invite'), undefined);
  t.equal(rt.pick('register'), a);
  t.same(rt.routesOf(a), ['register']);
});

t.test('removing a connection drops all its entries and keeps rotation sane', async (t) => {
  const rt = new RouteTable();
  const a = fakeConn('a');
  const b = fakeConn('b');
  const c = fakeConn('c');
  for (const x of [a, b, c]) {
    rt.add('options', x);
    rt.add('cdr:start', x);
  }
  t.equal(rt.pick('options')?.id, 'a');
  t.equal(rt.pick('options')?.id, 'b');
  rt.removeConnection(a);
  t.same(rt.routesOf(a), []);
  t.same(rt.connectionsFor('options').map((x) => x.id), ['b', 'c']);
  // next was 'c' before removal; still 'c'.
  t.equal(rt.pick('options')?.id, 'c');
  t.equal(rt.pick('options')?.id, 'b');
  rt.removeConnection(c);
  t.equal(rt.pick('options')?.id, 'b');
  t.equal(rt.pickCdr('cdr:start')?.id, 'b');
  rt.removeConnection(b);
  t.equal(rt.pick('options'), undefined);
  t.equal(rt.pickCdr('cdr:start'), undefined);
  t.same(rt.connectionsFor('options'), []);
  rt.removeConnection(b);
  t.pass('removing twice is harmless');
});

t.test('cdr routes are picked round-robin like methods', async (t) => {
  const rt = new RouteTable();
  const a = fakeConn('a');
  const b = fakeConn('b');
  rt.add('cdr:stop', a);
  rt.add('cdr:stop', b);
  t.equal(rt.pickCdr('cdr:stop')?.id, 'a');
  t.equal(rt.pickCdr('cdr:stop')?.id, 'b');
  t.equal(rt.pickCdr('cdr:attempt'), undefined);
});
