import t from 'tap';
import { TrustedSources, trustedSourcesFrom } from '../../../lib/calls/trusted-sources.js';
import { ConfigError } from '../../../lib/config/schema-validator.js';

t.test('an IP entry trusts every port of that address', async (t) => {
  const s = new TrustedSources();
  s.add('10.0.0.5');
  t.equal(s.has('10.0.0.5', 5060), true);
  t.equal(s.has('10.0.0.5', 40000), true);
  t.equal(s.has('10.0.0.5', '5061'), true);
  t.equal(s.has('10.0.0.6', 5060), false, 'another address is not trusted');
  t.equal(s.size, 1);
});

t.test('an ip:port entry trusts only that port', async (t) => {
  const s = new TrustedSources();
  s.add('10.0.0.6:5060');
  t.equal(s.has('10.0.0.6', 5060), true);
  t.equal(s.has('10.0.0.6', '5060'), true, 'a port given as a string matches');
  t.equal(s.has('10.0.0.6', 5061), false);
  t.equal(s.has('10.0.0.7', 5060), false);
  s.add('10.0.0.8:05070');
  t.equal(s.has('10.0.0.8', 5070), true, 'the port is compared as a number');
  t.equal(s.size, 2);
});

t.test('IPv6: bare address any port, [v6]:port one port', async (t) => {
  const s = new TrustedSources();
  s.add('2001:db8::1');
  s.add('[2001:db8::2]:5070');
  t.equal(s.has('2001:db8::1', 1234), true);
  t.equal(s.has('2001:db8::2', 5070), true);
  t.equal(s.has('2001:db8::2', 5060), false);
  t.equal(s.has('[2001:db8::2]', 5070), false, 'lookups use the bare address');
  t.equal(s.size, 2);
});

t.test('bad entries throw a ConfigError naming the key path', async (t) => {
  for (const bad of ['pbx.example.com', 'pbx.example.com:5060', '10.0.0.5:0', '10.0.0.5:65536', '10.0.0.5:99999', '[::1]', '[not-an-ip]:5060', '', '10.0.0.300', '10.0.0.5:']) {
    const s = new TrustedSources();
    t.throws(() => s.add(bad), ConfigError, `'${bad}' is refused`);
    t.equal(s.size, 0, `'${bad}' adds nothing`);
  }
  const s = new TrustedSources();
  try {
    s.add('nope');
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof ConfigError);
    t.equal((err as ConfigError).keyPath, 'callServers.trustedSources', 'default key path');
    t.match((err as ConfigError).message, /nope/);
  }
  t.throws(() => s.add('1.2.3.4:0', 'some.key[3]'), { name: 'ConfigError', keyPath: 'some.key[3]' });
  t.doesNotThrow(() => s.add('1.2.3.4:65535'));
  t.doesNotThrow(() => s.add('1.2.3.4:1'));
});

t.test('trustedSourcesFrom: an explicit list wins over the call server hosts', async (t) => {
  const { trusted, unresolved } = await trustedSourcesFrom(['10.1.0.1', '10.1.0.2:5080'], ['10.9.9.9', 'pbx.sipedge-test.invalid']);
  t.same(unresolved, []);
  t.equal(trusted.size, 2);
  t.equal(trusted.has('10.1.0.1', 9), true);
  t.equal(trusted.has('10.1.0.2', 5080), true);
  t.equal(trusted.has('10.1.0.2', 5060), false);
  t.equal(trusted.has('10.9.9.9', 5060), false, 'call server hosts are not added when the list is explicit');
});

t.test('trustedSourcesFrom: a bad explicit entry names its index', async (t) => {
  await t.rejects(trustedSourcesFrom(['10.1.0.1', 'pbx.example.com'], []), { name: 'ConfigError', keyPath: 'callServers.trustedSources[1]' });
});

t.test('trustedSourcesFrom: IP-literal hosts trusted on any port, an unresolvable name reported', async (t) => {
  const { trusted, unresolved } = await trustedSourcesFrom([], ['10.2.0.1', '[2001:db8::9]', 'pbx.sipedge-test.invalid', '10.2.0.2']);
  t.same(unresolved, ['pbx.sipedge-test.invalid']);
  t.equal(trusted.size, 3);
  t.equal(trusted.has('10.2.0.1', 5060), true);
  t.equal(trusted.has('10.2.0.1', 12345), true);
  t.equal(trusted.has('2001:db8::9', 5060), true, 'brackets are stripped');
  t.equal(trusted.has('10.2.0.2', 5061), true, 'hosts after the unresolvable one are still added');
});

t.test('trustedSourcesFrom: nothing configured gives an empty set', async (t) => {
  const { trusted, unresolved } = await trustedSourcesFrom([], []);
  t.equal(trusted.size, 0);
  t.same(unresolved, []);
});

