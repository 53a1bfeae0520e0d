import t from 'tap';
import type Srf from 'drachtio-srf';
import { CALL_SERVER_PARTY, deviceOfBinding, deviceOfRequest } from '../../../lib/calls/media-parties.js';
import type { Binding, BindingTransport } from '../../../lib/store/registration-store.js';

function binding(uri: string, transport: BindingTransport, address: string, port: number): Binding {
  return {
    aor: 'sip:alice@example.com',
    uri,
    key: uri,
    callId: 'c1',
    cseq: 1,
    expiresAt: Date.now() + 60_000,
    transport,
    address,
    port,
    nodeId: 'node1',
    connectionId: `${transport}:${address}:${port}`,
    reachable: true,
  };
}

t.test('CALL_SERVER_PARTY', async (t) => {
  t.same(CALL_SERVER_PARTY, { side: 'callserver' });
  t.ok(Object.isFrozen(CALL_SERVER_PARTY));
});

t.test('deviceOfBinding: same address and port is not NAT', async (t) => {
  t.same(deviceOfBinding(binding('sip:alice@203.0.113.5:5060', 'udp', '203.0.113.5', 5060), 'alice'), {
    side: 'device',
    user: 'alice',
    sourceAddress: '203.0.113.5',
    natted: false,
  });
  const p = deviceOfBinding(binding('sip:alice@203.0.113.5:5060', 'udp', '203.0.113.5', 5060), undefined);
  t.same(p, { side: 'device', sourceAddress: '203.0.113.5', natted: false });
  t.notOk('user' in p, 'no user key without a user');
});

t.test('deviceOfBinding: UDP port mismatch is NAT, TCP/TLS port mismatch alone is not', async (t) => {
  t.equal(deviceOfBinding(binding('sip:alice@203.0.113.5:5060', 'udp', '203.0.113.5', 40000), 'alice').natted, true);
  t.equal(deviceOfBinding(binding('sip:alice@203.0.113.5:5060', 'tcp', '203.0.113.5', 40000), 'alice').natted, false);
  t.equal(deviceOfBinding(binding('sips:alice@203.0.113.5:5061', 'tls', '203.0.113.5', 51000), 'alice').natted, false);
});

t.test('deviceOfBinding: an address mismatch is NAT on any transport', async (t) => {
  for (const tr of ['udp', 'tcp', 'tls'] as const) {
    t.equal(deviceOfBinding(binding('sip:alice@192.168.1.10:5060', tr, '203.0.113.5', 5060), 'alice').natted, true, tr);
  }
  t.equal(deviceOfBinding(binding('tel:+15551234', 'udp', '203.0.113.5', 5060), 'alice').natted, true, 'unparsable contact: NAT assumed');
});

t.test('deviceOfBinding: a UDP Contact without a port, from the matching address and port 5060, is not NAT', async (t) => {
  // The Contact names no port (5060 implied) and the REGISTER came from that very address and port 5060.
  t.equal(deviceOfBinding(binding('sip:alice@203.0.113.5', 'udp', '203.0.113.5', 5060), 'alice').natted, false);
  t.equal(deviceOfBinding(binding('sip:alice@203.0.113.5;ob', 'udp', '203.0.113.5', 5060), 'alice').natted, false);
});

// deviceOfRequest only reads source_address and getParsedHeader('Via'/'Contact'), so a small fake does.
function fakeReq(source: string, viaHost: string | undefined, contactUri: string | undefined, throws = false): Srf.SrfRequest {
  return {
    source_address: source,
    getParsedHeader(name: string) {
      if (throws) throw new Error('unparsable');
      if (name === 'Via') return viaHost === undefined ? [] : [{ host: viaHost, port: 5060 }];
      return contactUri === undefined ? [] : [{ uri: contactUri }];
    },
  } as unknown as Srf.SrfRequest;
}

t.test('deviceOfRequest', async (t) => {
  t.same(deviceOfRequest(fakeReq('203.0.113.5', '203.0.113.5', 'sip:alice@203.0.113.5:5060'), 'alice'), {
    side: 'device',
    user: 'alice',
    sourceAddress: '203.0.113.5',
    natted: false,
  });
  t.equal(deviceOfRequest(fakeReq('203.0.113.5', '192.168.1.10', 'sip:alice@203.0.113.5'), 'alice').natted, true, 'Via host differs');
  t.equal(deviceOfRequest(fakeReq('203.0.113.5', '203.0.113.5', 'sip:alice@192.168.1.10:5060'), 'alice').natted, true, 'Contact host differs');
  t.equal(deviceOfRequest(fakeReq('203.0.113.5', undefined, undefined), 'alice').natted, false, 'neither header');
  t.equal(deviceOfRequest(fakeReq('203.0.113.5', '203.0.113.5', 'sip:x', true), 'alice').natted, true, 'unparsable: NAT assumed');
  t.notOk('user' in deviceOfRequest(fakeReq('203.0.113.5', '203.0.113.5', undefined), undefined));
});

t.test('deviceOfBinding: an IPv6 device registered from its Contact address is not NAT', async (t) => {
  // Socket addresses carry no brackets (lib/engine/transport/address.ts); the Contact host does.
  t.equal(deviceOfBinding(binding('sip:alice@[2001:db8::5]:5060', 'udp', '2001:db8::5', 5060), 'alice').natted, false);
  t.equal(deviceOfBinding(binding('sip:alice@[2001:db8::5]:5060;transport=tcp', 'tcp', '2001:db8::5', 41000), 'alice').natted, false);
});
