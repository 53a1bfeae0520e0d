import t from 'tap';
import { DnsResolver } from '../../../../lib/engine/drachtio/resolver/dns-resolver.js';
import { StaticLookups, type StaticRecords } from '../../../../lib/engine/drachtio/resolver/static-lookups.js';
import type { DnsLookups } from '../../../../lib/engine/drachtio/resolver/dns-lookups.js';
import { seededRandom as seeded } from '../../../helpers/seeded-random.js';


function resolverWith(records: StaticRecords, seed = 1): { r: DnsResolver; lookups: StaticLookups } {
  const lookups = new StaticLookups(records, undefined, true);
  return { r: new DnsResolver({ lookups, random: seeded(seed) }), lookups };
}

t.test('IP literals: no DNS, default ports', async (t) => {
  const { r, lookups } = resolverWith({});
  t.same(await r.resolve('sip:bob@192.0.2.5'), [{ transport: 'udp', host: '192.0.2.5', port: 5060 }]);
  t.same(await r.resolve('sip:192.0.2.100:5080'), [{ transport: 'udp', host: '192.0.2.100', port: 5080 }]);
  t.same(await r.resolve('sip:192.0.2.100;transport=TCP'), [{ transport: 'tcp', host: '192.0.2.100', port: 5060 }]);
  t.same(await r.resolve('sip:192.0.2.100;transport=tls'), [{ transport: 'tls', host: '192.0.2.100', port: 5061 }]);
  t.same(await r.resolve('sips:alice@192.0.2.100'), [{ transport: 'tls', host: '192.0.2.100', port: 5061 }]);
  t.same(await r.resolve('sip:bob@[2001:db8::1]:5070'), [{ transport: 'udp', host: '2001:db8::1', port: 5070 }]);
  t.same(await r.resolve('192.0.2.100:5062'), [{ transport: 'udp', host: '192.0.2.100', port: 5062 }], 'bare host:port (routeUrl)');
  t.same(await r.resolve('sip:192.0.2.100', { transport: 'tcp' }), [{ transport: 'tcp', host: '192.0.2.100', port: 5060 }], 'opts.transport');
  t.same(lookups.queries, []);
});

t.test('srf sip:sips: mangling is undone; no-UDP engines default to TCP; unavailable transport -> []', async (t) => {
  const { r } = resolverWith({});
  t.same(await r.resolve('sip:sips:bob@192.0.2.5'), [{ transport: 'tls', host: '192.0.2.5', port: 5061 }]);
  const tcpOnly = new DnsResolver({ lookups: new StaticLookups({}), transports: ['tcp'] });
  t.same(await tcpOnly.resolve('sip:bob@192.0.2.5'), [{ transport: 'tcp', host: '192.0.2.5', port: 5060 }]);
  t.same(await tcpOnly.resolve('sip:bob@192.0.2.5;transport=udp'), []);
  t.same(await tcpOnly.resolve('sips:bob@192.0.2.5'), []);
});

t.test('maddr is the target, the URI port still applies', async (t) => {
  const { r } = resolverWith({ a: { 'proxy.example.com': ['192.0.2.9'] } });
  t.same(await r.resolve('sip:bob@example.com:5090;maddr=192.0.2.7'), [{ transport: 'udp', host: '192.0.2.7', port: 5090 }]);
  t.same(await r.resolve('sip:bob@example.com:5090;maddr=proxy.example.com;transport=tcp'), [{ transport: 'tcp', host: '192.0.2.9', port: 5090 }]);
});

t.test('name with explicit port: A/AAAA only', async (t) => {
  const { r, lookups } = resolverWith({
    a: { 'pbx.example.com': ['192.0.2.1', '192.0.2.2'] },
    aaaa: { 'pbx.example.com': ['2001:db8::2'] },
    srv: { '_sip._udp.pbx.example.com': [{ name: 'other.example.com', port: 1, priority: 1, weight: 1 }] },
  });
  t.same(await r.resolve('sip:bob@pbx.example.com:5070'), [
    { transport: 'udp', host: '192.0.2.1', port: 5070 },
    { transport: 'udp', host: '192.0.2.2', port: 5070 },
    { transport: 'udp', host: '2001:db8::2', port: 5070 },
  ]);
  t.same(lookups.queries, ['A pbx.example.com', 'AAAA pbx.example.com']);
});

t.test('transport param without port: SRV of that transport only', async (t) => {
  const { r, lookups } = resolverWith({
    srv: { '_sip._tcp.example.com': [{ name: 'tcp1.example.com', port: 5070, priority: 1, weight: 1 }] },
    a: { 'tcp1.example.com': ['192.0.2.20'] },
  });
  t.same(await r.resolve('sip:bob@example.com;transport=tcp'), [{ transport: 'tcp', host: '192.0.2.20', port: 5070 }]);
  t.notOk(lookups.queries!.some((q) => q.startsWith('NAPTR')), 'no NAPTR when the transport is given');
  t.same(await r.resolve('sip:bob@example.com;transport=ws'), [], 'ws cannot be dialled');
});

t.test('sips: _sips._tcp SRV, TLS, default 5061 without SRV', async (t) => {
  const { r } = resolverWith({
    srv: { '_sips._tcp.secure.example.com': [{ name: 'tls1.example.com', port: 5061, priority: 1, weight: 1 }] },
    a: { 'tls1.example.com': ['192.0.2.30'], 'plain.example.com': ['192.0.2.31'] },
  });
  t.same(await r.resolve('sips:bob@secure.example.com'), [{ transport: 'tls', host: '192.0.2.30', port: 5061 }]);
  t.same(await r.resolve('sips:bob@plain.example.com'), [{ transport: 'tls', host: '192.0.2.31', port: 5061 }]);
  t.same(await r.resolve('sips:bob@plain.example.com;transport=tcp'), [{ transport: 'tls', host: '192.0.2.31', port: 5061 }]);
});

t.test('SRV priorities, and targets with several A records', async (t) => {
  const { r } = resolverWith({
    srv: {
      '_sip._udp.example.com': [
        { name: 'backup.example.com', port: 5062, priority: 20, weight: 0 },
        { name: 'main.example.com', port: 5060, priority: 10, weight: 0 },
        { name: 'gone.example.com', port: 5060, priority: 30, weight: 0 },
      ],
    },
    a: { 'main.example.com': ['192.0.2.1', '192.0.2.2'], 'backup.example.com': ['192.0.2.3'] },
    aaaa: { 'backup.example.com': ['2001:db8::3'] },
  });
  t.same(await r.resolve('sip:bob@example.com'), [
    { transport: 'udp', host: '192.0.2.1', port: 5060 },
    { transport: 'udp', host: '192.0.2.2', port: 5060 },
    { transport: 'udp', host: '192.0.2.3', port: 5062 },
    { transport: 'udp', host: '2001:db8::3', port: 5062 },
  ], 'an SRV target without addresses is skipped');
});

t.test('SRV weights 10 and 30: ~1/4 and ~3/4 first', async (t) => {
  const { r } = resolverWith(
    {
      srv: {
        '_sip._udp.example.com': [
          { name: 'light.example.com', port: 5060, priority: 1, weight: 10 },
          { name: 'heavy.example.com', port: 5060, priority: 1, weight: 30 },
        ],
      },
      a: { 'light.example.com': ['192.0.2.10'], 'heavy.example.com': ['192.0.2.30'] },
    },
    99,
  );
  let light = 0;
  const draws = 4000;
  for (let i = 0; i < draws; i++) {
    const targets = await r.resolve('sip:bob@example.com');
    if (targets.length !== 2) t.fail('expected two targets');
    if (targets[0]!.host === '192.0.2.10') light++;
  }
  const share = light / draws;
  t.ok(share > 0.21 && share < 0.31, `light first ${share}`);
});

t.test('SRV probing order udp, tcp, tls when there is no NAPTR', async (t) => {
  const { r } = resolverWith({
    srv: {
      '_sip._tcp.example.com': [{ name: 't.example.com', port: 5060, priority: 1, weight: 1 }],
      '_sips._tcp.example.com': [{ name: 's.example.com', port: 5061, priority: 1, weight: 1 }],
      '_sip._udp.example.com': [{ name: 'u.example.com', port: 5060, priority: 1, weight: 1 }],
    },
    a: { 't.example.com': ['192.0.2.2'], 's.example.com': ['192.0.2.3'], 'u.example.com': ['192.0.2.1'] },
  });
  t.same(await r.resolve('sip:example.com'), [
    { transport: 'udp', host: '192.0.2.1', port: 5060 },
    { transport: 'tcp', host: '192.0.2.2', port: 5060 },
    { transport: 'tls', host: '192.0.2.3', port: 5061 },
  ]);
  const udpOnly = new DnsResolver({ lookups: new StaticLookups({
    srv: { '_sip._tcp.example.com': [{ name: 't.example.com', port: 5060, priority: 1, weight: 1 }] },
    a: { 't.example.com': ['192.0.2.2'], 'example.com': ['192.0.2.99'] },
  }), transports: ['udp'] });
  t.same(await udpOnly.resolve('sip:example.com'), [{ transport: 'udp', host: '192.0.2.99', port: 5060 }], 'unsupported transports are not probed');
});

t.test('NAPTR choosing TCP', async (t) => {
  const { r, lookups } = resolverWith({
    naptr: {
      'example.com': [
        { flags: 's', service: 'SIP+D2U', regexp: '', replacement: '_sip._udp.example.com', order: 20, preference: 10 },
        { flags: 'S', service: 'SIP+D2T', regexp: '', replacement: '_sip._tcp.example.com', order: 10, preference: 10 },
        { flags: 's', service: 'SIP+D2W', regexp: '', replacement: '_sip._ws.example.com', order: 5, preference: 10 },
      ],
    },
    srv: {
      '_sip._tcp.example.com': [{ name: 'tcp.example.com', port: 5070, priority: 1, weight: 1 }],
      '_sip._udp.example.com': [{ name: 'udp.example.com', port: 5060, priority: 1, weight: 1 }],
    },
    a: { 'tcp.example.com': ['192.0.2.40'], 'udp.example.com': ['192.0.2.41'] },
  });
  t.same(await r.resolve('sip:bob@example.com'), [
    { transport: 'tcp', host: '192.0.2.40', port: 5070 },
    { transport: 'udp', host: '192.0.2.41', port: 5060 },
  ], 'NAPTR order decides; unknown services skipped');
  t.notOk(lookups.queries!.includes('SRV _sip._ws.example.com'));
  t.notOk(lookups.queries!.includes('SRV _sips._tcp.example.com'), 'no probing after NAPTR succeeded');
});

t.test('NAPTR for sips keeps only SIPS+D2T', async (t) => {
  const { r } = resolverWith({
    naptr: {
      'example.com': [
        { flags: 's', service: 'SIP+D2T', regexp: '', replacement: '_sip._tcp.example.com', order: 10, preference: 10 },
        { flags: 's', service: 'SIPS+D2T', regexp: '', replacement: '_sips._tcp.example.com', order: 20, preference: 10 },
      ],
    },
    srv: {
      '_sip._tcp.example.com': [{ name: 'tcp.example.com', port: 5060, priority: 1, weight: 1 }],
      '_sips._tcp.example.com': [{ name: 'tls.example.com', port: 5061, priority: 1, weight: 1 }],
    },
    a: { 'tcp.example.com': ['192.0.2.40'], 'tls.example.com': ['192.0.2.42'] },
  });
  t.same(await r.resolve('sips:bob@example.com'), [{ transport: 'tls', host: '192.0.2.42', port: 5061 }]);
});

t.test('SRV "." target means no service; falls back to A', async (t) => {
  const { r } = resolverWith({
    srv: { '_sip._udp.example.com': [{ name: '.', port: 0, priority: 0, weight: 0 }] },
    a: { 'example.com': ['192.0.2.50'] },
  });
  t.same(await r.resolve('sip:example.com'), [{ transport: 'udp', host: '192.0.2.50', port: 5060 }]);
});

t.test('no records, failing lookups, bad URIs -> empty list', async (t) => {
  const { r } = resolverWith({});
  t.same(await r.resolve('sip:bob@nowhere.example.com'), []);
  t.same(await r.resolve('sip:bob@nowhere.example.com:5060'), []);
  t.same(await r.resolve('tel:+15551234'), []);
  t.same(await r.resolve('sip:bob@[::1'), []);
  const failing: DnsLookups = {
    resolveNaptr: () => Promise.reject(new Error('ESERVFAIL')),
    resolveSrv: () => Promise.reject(new Error('ENOTFOUND')),
    resolve4: () => Promise.reject(new Error('ENODATA')),
    resolve6: () => Promise.reject(new Error('ENODATA')),
  };
  t.same(await new DnsResolver({ lookups: failing }).resolve('sip:bob@example.com'), []);
});

t.test('static lookups: case-insensitive names, trailing dot, fallback', async (t) => {
  const inner = new StaticLookups({ a: { 'other.example.com': ['192.0.2.77'] } });
  const outer = new StaticLookups({ a: { 'PBX.example.com.': ['192.0.2.70'] } }, inner);
  t.same(await outer.resolve4('pbx.EXAMPLE.com'), ['192.0.2.70']);
  t.same(await outer.resolve4('other.example.com'), ['192.0.2.77']);
  t.same(await outer.resolve6('pbx.example.com'), []);
  t.same(await outer.resolveSrv('_sip._udp.x'), []);
  t.same(await outer.resolveNaptr('x'), []);
  t.equal(outer.queries, undefined, 'no trace unless asked');
});
