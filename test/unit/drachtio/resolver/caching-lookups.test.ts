import t from 'tap';
import { CachingLookups } from '../../../../lib/engine/drachtio/resolver/caching-lookups.js';
import { DnsResolver } from '../../../../lib/engine/drachtio/resolver/dns-resolver.js';
import { StaticLookups } from '../../../../lib/engine/drachtio/resolver/static-lookups.js';
import type { DnsLookups } from '../../../../lib/engine/drachtio/resolver/dns-lookups.js';
import { FakeClock } from '../../../../lib/engine/timers/fake-clock.js';

t.test('answers are reused until the TTL passes; in-flight queries are shared', async (t) => {
  const clock = new FakeClock();
  const inner = new StaticLookups({ a: { 'pbx.example.com': ['192.0.2.1'] } }, undefined, true);
  const c = new CachingLookups(inner, clock, { ttlMs: 1000, negativeTtlMs: 100 });
  const [x, y] = await Promise.all([c.resolve4('pbx.example.com'), c.resolve4('PBX.example.com')]);
  t.same(x, ['192.0.2.1']);
  t.same(y, ['192.0.2.1']);
  t.equal(inner.queries!.length, 1, 'one query for two concurrent callers');
  clock.advance(999);
  await c.resolve4('pbx.example.com');
  t.equal(inner.queries!.length, 1, 'still cached');
  clock.advance(2);
  await c.resolve4('pbx.example.com');
  t.equal(inner.queries!.length, 2, 'expired: asked again');
});

t.test('negative answers and failures use the negative TTL', async (t) => {
  const clock = new FakeClock();
  let calls = 0;
  const failing: DnsLookups = {
    resolveNaptr: () => Promise.resolve([]),
    resolveSrv: () => {
      calls++;
      return Promise.reject(new Error('ENOTFOUND'));
    },
    resolve4: () => Promise.resolve([]),
    resolve6: () => Promise.resolve([]),
  };
  const c = new CachingLookups(failing, clock, { ttlMs: 10_000, negativeTtlMs: 100 });
  t.same(await c.resolveSrv('_sip._udp.x'), []);
  t.same(await c.resolveSrv('_sip._udp.x'), []);
  t.equal(calls, 1);
  clock.advance(101);
  t.same(await c.resolveSrv('_sip._udp.x'), []);
  t.equal(calls, 2);
});

t.test('bounded: the oldest entry goes first', async (t) => {
  const clock = new FakeClock();
  const c = new CachingLookups(new StaticLookups({}), clock, { maxEntries: 2 });
  await c.resolve4('a');
  await c.resolve4('b');
  await c.resolve4('c');
  t.equal(c.size, 2);
});

t.test('resolver with a cache does one DNS round per name', async (t) => {
  const clock = new FakeClock();
  const lookups = new StaticLookups({ a: { 'pbx.example.com': ['192.0.2.1'] } }, undefined, true);
  const r = new DnsResolver({ lookups, cache: { ttlMs: 60_000 }, clock });
  for (let i = 0; i < 10; i++) {
    t.same(await r.resolve('sip:pbx.example.com:5060'), [{ transport: 'udp', host: '192.0.2.1', port: 5060 }]);
  }
  t.same(lookups.queries, ['A pbx.example.com', 'AAAA pbx.example.com']);
});
