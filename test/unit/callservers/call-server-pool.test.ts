import t from 'tap';
import { Registry } from 'prom-client';
import { parseCallServers } from '../../../lib/callservers/call-server-config.js';
import { CallServerPool } from '../../../lib/callservers/call-server-pool.js';
import { orderSrv } from '../../../lib/common/srv-order.js';
import { seededRandom as seeded } from '../../helpers/seeded-random.js';


const up = { kind: 'response', status: 200 } as const;
const unavailable = { kind: 'response', status: 503 } as const;
const forbidden = { kind: 'response', status: 403 } as const;

t.test('RFC 2782: lower priority first, every entry once', async (t) => {
  const items = [
    { id: 'c', priority: 20, weight: 10 },
    { id: 'a', priority: 10, weight: 0 },
    { id: 'b', priority: 10, weight: 50 },
    { id: 'd', priority: 30, weight: 0 },
  ];
  const random = seeded(1);
  for (let i = 0; i < 50; i++) {
    const ids = orderSrv(items, random).map((x) => x.id);
    t.same(ids.slice(2), ['c', 'd']);
    t.same([...ids.slice(0, 2)].sort(), ['a', 'b']);
  }
});

t.test('RFC 2782: first pick within a priority follows the weights', async (t) => {
  const items = [
    { id: 'a', priority: 1, weight: 60 },
    { id: 'b', priority: 1, weight: 30 },
    { id: 'c', priority: 1, weight: 10 },
  ];
  const random = seeded(42);
  const first = new Map<string, number>();
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const id = orderSrv(items, random)[0]!.id;
    first.set(id, (first.get(id) ?? 0) + 1);
  }
  // Shares (weight + the r=0 edge): about 0.6, 0.3, 0.1.
  t.ok(Math.abs(first.get('a')! / n - 0.6) < 0.02, `a ${first.get('a')}`);
  t.ok(Math.abs(first.get('b')! / n - 0.3) < 0.02, `b ${first.get('b')}`);
  t.ok(Math.abs(first.get('c')! / n - 0.1) < 0.02, `c ${first.get('c')}`);
});

t.test('RFC 2782: zero weights are rarely first, all-zero is still an order', async (t) => {
  const random = seeded(7);
  let zeroFirst = 0;
  for (let i = 0; i < 2000; i++) {
    if (orderSrv([{ id: 'z', priority: 1, weight: 0 }, { id: 'w', priority: 1, weight: 100 }], random)[0]!.id === 'z') zeroFirst++;
  }
  t.ok(zeroFirst < 60, `zero weight first ${zeroFirst} times`);
  t.equal(orderSrv([{ priority: 1, weight: 0 }, { priority: 1, weight: 0 }], random).length, 2);
});

function pool(random = seeded(3)) {
  const registry = new Registry();
  const specs = parseCallServers([
    'sip:primary.example.com;transport=tcp;priority=10',
    'sip:backup1.example.com;transport=tcp;priority=20;weight=50',
    'sip:backup2.example.com;transport=tcp;priority=20;weight=50',
  ]);
  const changes: string[] = [];
  const p = new CallServerPool(specs, { registry, random, onStateChange: (s, from, to) => changes.push(`${s.host}:${from}->${to}`) });
  const [primary, b1, b2] = p.servers as [typeof p.servers[0], typeof p.servers[0], typeof p.servers[0]];
  return { p, registry, changes, primary, b1, b2 };
}

t.test('candidates: up by priority, then unknown; down and failed left out', async (t) => {
  const { p, primary, b1, b2 } = pool();
  t.same(p.candidates().map((s) => s.host)[0], 'primary.example.com', 'before any probe: all unknown, priority order');
  p.apply(b1, up);
  p.apply(primary, up);
  p.apply(b2, forbidden);
  t.same(p.candidates().map((s) => s.host), ['primary.example.com', 'backup1.example.com']);
  p.apply(b2, up);
  p.apply(b1, unavailable);
  t.same(p.candidates().map((s) => s.host), ['primary.example.com', 'backup2.example.com']);
});

t.test('failover and failback', async (t) => {
  const { p, primary, b1, b2, changes } = pool();
  for (const s of [primary, b1, b2]) p.apply(s, up);
  t.equal(p.candidates()[0], primary);
  p.apply(primary, { kind: 'timeout' });
  const during = p.candidates();
  t.notOk(during.includes(primary), 'primary not tried while down');
  t.same(during.map((s) => s.priority), [20, 20]);
  p.apply(primary, up);
  t.equal(p.candidates()[0], primary, 'preferred again once up');
  t.same(changes.filter((c) => c.startsWith('primary')), ['primary.example.com:unknown->up', 'primary.example.com:up->down', 'primary.example.com:down->up']);
});

t.test('equal weights share the first place among backups', async (t) => {
  const { p, primary, b1, b2 } = pool(seeded(11));
  for (const s of [b1, b2]) p.apply(s, up);
  p.apply(primary, unavailable);
  let b1First = 0;
  for (let i = 0; i < 4000; i++) if (p.candidates()[0] === b1) b1First++;
  t.ok(Math.abs(b1First / 4000 - 0.5) < 0.04, `backup1 first ${b1First}/4000`);
});

t.test('metrics and status', async (t) => {
  const { p, registry, primary, b1, b2 } = pool();
  p.apply(primary, up);
  p.apply(b1, { kind: 'timeout' });
  p.apply(b2, forbidden);
  p.apply(b2, forbidden);
  const text = await registry.metrics();
  t.match(text, /sipedge_call_server_up\{server="sip:primary\.example\.com;transport=tcp;priority=10"\} 1/);
  t.match(text, /sipedge_call_server_up\{server="sip:backup1[^"]*"\} 0/);
  t.match(text, /sipedge_call_server_up\{server="sip:backup2[^"]*"\} -1/);
  t.match(text, /sipedge_call_server_probes_total\{server="sip:backup1[^"]*",result="timeout"\} 1/);
  t.match(text, /sipedge_call_server_probes_total\{server="sip:backup2[^"]*",result="failed"\} 2/);
  const status = JSON.parse(JSON.stringify(p.status())) as Array<Record<string, unknown>>;
  t.same(status.map((s) => s['state']), ['up', 'down', 'failed']);
  t.match(status[2], { uri: 'sip:backup2.example.com;transport=tcp', priority: 20, weight: 50, lastStatus: 403, counts: { failed: 2 } });
});

t.test('sendWithFailover: next server on 503, timeout (rejection) or 408; stops at the first other answer', async (t) => {
  const { p, primary, b1, b2 } = pool(seeded(5));
  for (const s of [primary, b1, b2]) p.apply(s, up);
  const answers = new Map([
    [primary.host, () => Promise.resolve({ status: 503 })],
    [b1.host, () => Promise.reject(new Error('timeout'))],
    [b2.host, () => Promise.reject(new Error('timeout'))],
  ]);
  let r = await p.sendWithFailover((s) => answers.get(s.host)!());
  t.equal(r.server, undefined, 'every candidate failed');
  t.equal(r.tried.length, 3);
  t.equal(r.tried[0], primary);
  t.match((r.lastError as Error).message, 'timeout');

  answers.set(b2.host, () => Promise.resolve({ status: 486 }));
  r = await p.sendWithFailover((s) => answers.get(s.host)!());
  t.equal(r.server, b2, 'a 486 is an answer: no failover');
  t.same(r.result, { status: 486 });

  answers.set(primary.host, () => Promise.resolve({ status: 200 }));
  r = await p.sendWithFailover((s) => answers.get(s.host)!());
  t.equal(r.server, primary);
  t.same(r.tried, [primary]);

  p.apply(primary, forbidden);
  r = await p.sendWithFailover((s) => answers.get(s.host)!());
  t.notOk(r.tried.includes(primary), 'a failed server is never tried');

  const empty = new CallServerPool([]);
  t.same(await empty.sendWithFailover(() => Promise.resolve({ status: 200 })), { result: undefined, tried: [], lastError: undefined });
});
