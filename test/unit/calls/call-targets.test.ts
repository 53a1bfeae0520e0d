import t from 'tap';
import { callTargets, contactTarget, LOCAL_ONLY_PARAM, parsePeers, peerTarget } from '../../../lib/calls/call-targets.js';
import { ConfigError } from '../../../lib/config/schema-validator.js';
import type { Binding, BindingTransport } from '../../../lib/store/registration-store.js';

function binding(uri: string, transport: BindingTransport, nodeId = 'node1', reachable = true): Binding {
  return {
    aor: 'sip:alice@example.com',
    uri,
    key: uri,
    callId: `c-${uri}`,
    cseq: 1,
    expiresAt: Date.now() + 60_000,
    transport,
    address: '203.0.113.5',
    port: 40000,
    nodeId,
    connectionId: `${transport}:203.0.113.5:40000`,
    reachable,
  };
}

t.test('parsePeers', async (t) => {
  const peers = parsePeers(['node2=sip:10.0.0.2:5060;transport=tcp', '  node3=sips:peer3.example.com:5061  ']);
  t.same([...peers], [
    ['node2', 'sip:10.0.0.2:5060;transport=tcp'],
    ['node3', 'sips:peer3.example.com:5061'],
  ]);
  t.equal(parsePeers([]).size, 0);
});

t.test('parsePeers refuses bad entries naming their index', async (t) => {
  for (const bad of ['node2 sip:10.0.0.2', 'node2=', '=sip:10.0.0.2', 'node2=http://10.0.0.2', 'node2=sip:alice@10.0.0.2', 'node 2=sip:10.0.0.2']) {
    t.throws(() => parsePeers(['node1=sip:10.0.0.1', bad]), { name: 'ConfigError', keyPath: 'cluster.peers[1]' }, bad);
  }
  try {
    parsePeers(['oops']);
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof ConfigError);
    t.equal((err as ConfigError).keyPath, 'cluster.peers[0]');
    t.match((err as Error).message, /oops/);
  }
});

t.test('contactTarget', async (t) => {
  t.equal(contactTarget(binding('sip:alice@203.0.113.5:40000', 'tcp')), 'sip:alice@203.0.113.5:40000;transport=tcp');
  t.equal(contactTarget(binding('sips:alice@203.0.113.5:40000', 'tls')), 'sips:alice@203.0.113.5:40000;transport=tls');
  t.equal(contactTarget(binding('sip:alice@x.invalid;ob', 'ws')), 'sip:alice@x.invalid;ob;transport=ws');
  t.equal(
    contactTarget(binding('sip:alice@203.0.113.5:40000;ob?X-Foo=1&Y=2', 'tcp')),
    'sip:alice@203.0.113.5:40000;ob;transport=tcp?X-Foo=1&Y=2',
    'before the URI headers',
  );
  t.equal(contactTarget(binding('sip:alice@203.0.113.5:40000', 'udp')), 'sip:alice@203.0.113.5:40000', 'UDP unchanged');
  t.equal(contactTarget(binding('sip:alice@203.0.113.5:40000;transport=udp', 'tcp')), 'sip:alice@203.0.113.5:40000;transport=udp', 'explicit kept');
  t.equal(contactTarget(binding('sip:alice@203.0.113.5;Transport=TLS', 'tls')), 'sip:alice@203.0.113.5;Transport=TLS', 'explicit, any case');
});

t.test('peerTarget', async (t) => {
  t.equal(peerTarget('sip:10.0.0.2:5060;transport=tcp', 'alice'), `sip:alice@10.0.0.2:5060;transport=tcp;${LOCAL_ONLY_PARAM}`);
  t.equal(peerTarget('sips:peer.example.com', 'bob'), 'sips:bob@peer.example.com;sipedge-local');
  t.equal(peerTarget('sip:10.0.0.2', 'a b'), 'sip:a%20b@10.0.0.2;sipedge-local', 'the user is escaped');
});

t.test('callTargets: local, unreachable, remote per peer, unknown owners', async (t) => {
  const peers = new Map([['node2', 'sip:10.0.0.2:5060;transport=tcp']]);
  const local = binding('sip:alice@203.0.113.5:40000', 'tcp');
  const localUdp = binding('sip:alice@203.0.113.6:5060', 'udp');
  const gone = binding('sip:alice@203.0.113.7:5060', 'tcp', 'node1', false);
  const r1 = binding('sip:alice@198.51.100.1:5060', 'udp', 'node2');
  const r2 = binding('sip:alice@198.51.100.2:5060', 'tls', 'node2');
  const r3gone = binding('sip:alice@198.51.100.3:5060', 'tls', 'node2', false);
  const stranger = binding('sip:alice@198.51.100.9:5060', 'udp', 'node9');
  const strangerGone = binding('sip:alice@198.51.100.10:5060', 'udp', 'node8', false);
  const { targets, unreachableOwners } = callTargets([local, r1, gone, stranger, localUdp, r2, r3gone, strangerGone], 'alice', 'node1', peers, false);
  t.same(targets, [
    { uri: 'sip:alice@203.0.113.5:40000;transport=tcp', bindings: [local] },
    { uri: 'sip:alice@203.0.113.6:5060', bindings: [localUdp] },
    { uri: 'sip:alice@10.0.0.2:5060;transport=tcp;sipedge-local', bindings: [r1, r2], viaPeer: 'node2' },
  ]);
  t.same(unreachableOwners, ['node9'], 'an unreachable binding on an unknown node is not reported');
});

t.test('callTargets: localOnly rings only this node', async (t) => {
  const peers = new Map([['node2', 'sip:10.0.0.2:5060']]);
  const local = binding('sip:alice@203.0.113.5:40000', 'tls');
  const { targets, unreachableOwners } = callTargets(
    [binding('sip:alice@198.51.100.1:5060', 'udp', 'node2'), local, binding('sip:alice@198.51.100.9:5060', 'udp', 'node9')],
    'alice',
    'node1',
    peers,
    true,
  );
  t.same(targets, [{ uri: 'sip:alice@203.0.113.5:40000;transport=tls', bindings: [local] }]);
  t.same(unreachableOwners, []);
});

t.test('callTargets: nothing reachable', async (t) => {
  const r = callTargets([binding('sip:a@1.2.3.4', 'udp', 'node1', false)], 'alice', 'node1', new Map(), false);
  t.same(r, { targets: [], unreachableOwners: [] });
  t.same(callTargets([], 'alice', 'node1', new Map(), false), { targets: [], unreachableOwners: [] });
});
