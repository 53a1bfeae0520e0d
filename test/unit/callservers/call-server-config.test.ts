import t from 'tap';
import { parseCallServer, parseCallServers } from '../../../lib/callservers/call-server-config.js';
import { ConfigError, resolveConfig } from '../../../lib/config/load-config.js';

t.test('a full entry', async (t) => {
  const s = parseCallServer('sip:PBX1.example.com:5060;transport=TCP;priority=10;weight=60', 'x');
  t.match(s, { scheme: 'sip', host: 'pbx1.example.com', port: 5060, transport: 'tcp', priority: 10, weight: 60 });
  t.equal(s.uri, 'sip:pbx1.example.com:5060;transport=tcp');
});

t.test('defaults: no port or transport (RFC 3263 decides), priority 10, weight 100', async (t) => {
  const s = parseCallServer('sip:pbx.example.com', 'x');
  t.equal(s.port, undefined);
  t.equal(s.transport, undefined);
  t.equal(s.priority, 10);
  t.equal(s.weight, 100);
  t.equal(s.uri, 'sip:pbx.example.com');
});

t.test('IPv4, IPv6 and sips', async (t) => {
  t.equal(parseCallServer('sip:10.0.0.1:5070;transport=udp', 'x').uri, 'sip:10.0.0.1:5070;transport=udp');
  t.equal(parseCallServer('sip:[::1]:5060', 'x').host, '[::1]');
  t.equal(parseCallServer('sips:pbx.example.com;transport=tls', 'x').uri, 'sips:pbx.example.com');
});

t.test('errors name the entry', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['pbx.example.com', /expected 'sip:host/],
    ['sip:alice@pbx.example.com', /not a user/],
    ['sip:pbx.example.com:99999', /port must be between/],
    ['sip:pbx.example.com;transport=sctp', /transport must be/],
    ['sip:pbx.example.com;priority=-1', /priority must be an integer/],
    ['sip:pbx.example.com;weight=x', /weight must be an integer/],
    ['sip:pbx.example.com;lr', /unknown parameter 'lr'/],
    ['sip:pbx.example.com;weight=1;weight=2', /given twice/],
    ['sip:bad_host!', /invalid host/],
    ['sips:pbx.example.com;transport=udp', /sips: needs transport=tls/],
  ];
  for (const [entry, msg] of bad) {
    let caught: unknown;
    try {
      parseCallServers(['sip:ok.example.com', entry]);
    } catch (err) {
      caught = err;
    }
    t.ok(caught instanceof ConfigError, `${entry}: a ConfigError`);
    t.equal((caught as ConfigError).keyPath, 'callServers.servers[1]', entry);
    t.match((caught as ConfigError).problem, msg, entry);
  }
});

t.test('duplicates are refused', async (t) => {
  t.throws(() => parseCallServers(['sip:a.example.com:5060;weight=1', 'sip:A.example.com:5060;weight=2']), /callServers\.servers\[1\]: same server as callServers\.servers\[0\]/);
});

t.test('config: defaults, 0 = no probing, else a 1 s minimum interval', async (t) => {
  const c = resolveConfig({});
  t.same(c.callServers, { probeIntervalS: 30, probeTimeoutS: 5, servers: [], trustedSources: [], ringTimeoutS: 120, failoverTimeoutS: 3 });
  t.equal(resolveConfig({ callServers: { probeIntervalS: 1 } }).callServers.probeIntervalS, 1);
  t.equal(resolveConfig({ callServers: { probeIntervalS: 0 } }).callServers.probeIntervalS, 0);
  t.throws(() => resolveConfig({ callServers: { probeIntervalS: 0.5 } }), /callServers\.probeIntervalS: must be 0 \(no probing\) or >= 1/);
  t.throws(() => resolveConfig({ callServers: { probeIntervalS: -1 } }), /callServers\.probeIntervalS/);
  t.throws(() => resolveConfig({ media: { portMin: 30000, portMax: 20000 } }), /media\.portMax/);
  t.throws(() => resolveConfig({ callServers: { servers: [5] } }), /callServers\.servers\[0\]/);
});
