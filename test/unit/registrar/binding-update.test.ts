// The registrar's binding decision (RFC 3261 10.3, RFC 5626): pure inputs and outputs.
import t from 'tap';
import { applyRegister, contactHeaderValues, type ContactEntry, type RegisterInput } from '../../../lib/registrar/binding-update.js';
import type { Binding } from '../../../lib/store/registration-store.js';

const policy = { minExpiresS: 60, maxExpiresS: 3600, defaultExpiresS: 1800, maxContactsPerAor: 3 };
const NOW = 1_000_000;

function input(contacts: ContactEntry[] | '*', extra: Partial<RegisterInput> = {}): RegisterInput {
  return {
    aor: 'sip:alice@example.com',
    callId: 'c1',
    cseq: 1,
    contacts,
    transport: 'tcp',
    address: '198.51.100.7',
    port: 40000,
    nodeId: 'node-a',
    connectionId: 'tcp:198.51.100.7:40000',
    now: NOW,
    ...extra,
  };
}

function ok(o: ReturnType<typeof applyRegister>): Binding[] {
  if (o.status !== 200) throw new Error(`expected 200, got ${o.status} ${o.reason}`);
  return o.bindings;
}

t.test('a new contact is bound with the default expiry and where it came from', async (t) => {
  const [b] = ok(applyRegister([], input([{ uri: 'sip:alice@198.51.100.7:40000;transport=tcp' }]), policy));
  t.equal(b!.expiresAt, NOW + 1800_000);
  t.equal(b!.key, 'sip:alice@198.51.100.7:40000;transport=tcp');
  t.match(b, { nodeId: 'node-a', connectionId: 'tcp:198.51.100.7:40000', address: '198.51.100.7', port: 40000, transport: 'tcp', reachable: true });
});

t.test('expiry: contact parameter over Expires header, capped at the maximum', async (t) => {
  const bs = ok(applyRegister([], input([{ uri: 'sip:a@h1', expires: 120 }, { uri: 'sip:a@h2' }, { uri: 'sip:a@h3', expires: 99999 }], { expiresHeader: 300 }), policy));
  t.same(bs.map((b) => (b.expiresAt - NOW) / 1000), [120, 300, 3600]);
});

t.test('423 with Min-Expires below the minimum; 0 is a removal, not too brief', async (t) => {
  t.same(applyRegister([], input([{ uri: 'sip:a@h', expires: 30 }]), policy), { status: 423, reason: 'Interval Too Brief', minExpires: 60 });
  const first = ok(applyRegister([], input([{ uri: 'sip:a@h' }]), policy));
  t.same(ok(applyRegister(first, input([{ uri: 'sip:a@h', expires: 0 }], { cseq: 2 }), policy)), []);
});

t.test('several contacts per AOR; Expires: 0 removes one, * removes all', async (t) => {
  let bs = ok(applyRegister([], input([{ uri: 'sip:a@phone' }]), policy));
  bs = ok(applyRegister(bs, input([{ uri: 'sip:a@laptop' }], { callId: 'c2' }), policy));
  t.equal(bs.length, 2);
  bs = ok(applyRegister(bs, input([{ uri: 'sip:a@phone' }], { cseq: 2, expiresHeader: 0 }), policy));
  t.same(bs.map((b) => b.uri), ['sip:a@laptop']);
  t.same(ok(applyRegister(bs, input('*', { callId: 'c3', expiresHeader: 0 }), policy)), []);
  t.equal(applyRegister(bs, input('*', { callId: 'c3', expiresHeader: 60 }), policy).status, 400, '* needs Expires: 0');
});

t.test('the same Call-ID with an old CSeq is out of order', async (t) => {
  const bs = ok(applyRegister([], input([{ uri: 'sip:a@h' }], { cseq: 5 }), policy));
  t.equal(applyRegister(bs, input([{ uri: 'sip:a@h' }], { cseq: 5 }), policy).status, 500);
  t.equal(applyRegister(bs, input([{ uri: 'sip:a@h' }], { cseq: 4 }), policy).status, 500);
  t.equal(applyRegister(bs, input('*', { cseq: 3, expiresHeader: 0 }), policy).status, 500);
  t.equal(ok(applyRegister(bs, input([{ uri: 'sip:a@h' }], { cseq: 6 }), policy)).length, 1);
  t.equal(ok(applyRegister(bs, input([{ uri: 'sip:a@h' }], { callId: 'other', cseq: 1 }), policy)).length, 1, 'another Call-ID may');
});

t.test('+sip.instance: a device replaces its own binding, not another device', async (t) => {
  const dev1 = '<urn:uuid:00000000-0000-0000-0000-000000000001>';
  const dev2 = '<urn:uuid:00000000-0000-0000-0000-000000000002>';
  let bs = ok(applyRegister([], input([{ uri: 'sip:a@10.0.0.1:5060', instanceId: dev1, regId: 1 }]), policy));
  bs = ok(applyRegister(bs, input([{ uri: 'sip:a@10.0.0.2:5060', instanceId: dev2, regId: 1 }], { callId: 'c2' }), policy));
  // dev1 comes back from a new address and a new Call-ID (after a restart): its old binding is replaced.
  bs = ok(applyRegister(bs, input([{ uri: 'sip:a@10.0.0.9:7000', instanceId: dev1, regId: 1 }], { callId: 'c3' }), policy));
  t.same(bs.map((b) => b.uri).sort(), ['sip:a@10.0.0.2:5060', 'sip:a@10.0.0.9:7000']);
});

t.test('the maximum number of contacts per AOR', async (t) => {
  const bs = ok(applyRegister([], input([{ uri: 'sip:a@1' }, { uri: 'sip:a@2' }, { uri: 'sip:a@3' }]), policy));
  const o = applyRegister(bs, input([{ uri: 'sip:a@4' }], { callId: 'c9' }), policy);
  t.equal(o.status, 403);
});

t.test('expired bindings do not count and are dropped', async (t) => {
  const old = ok(applyRegister([], input([{ uri: 'sip:a@old', expires: 60 }], { now: NOW - 120_000 }), policy));
  const bs = ok(applyRegister(old, input([{ uri: 'sip:a@new' }], { callId: 'c2' }), policy));
  t.same(bs.map((b) => b.uri), ['sip:a@new']);
});

t.test('the 200 lists every contact with its remaining expiry', async (t) => {
  const bs = ok(applyRegister([], input([{ uri: 'sip:a@h1', expires: 600, q: 0.5 }, { uri: 'sip:a@h2', instanceId: '<urn:uuid:x>', regId: 2 }]), policy));
  t.same(contactHeaderValues(bs, NOW + 100_000), ['<sip:a@h1>;expires=500;q=0.5', '<sip:a@h2>;expires=1700;+sip.instance="<urn:uuid:x>";reg-id=2']);
});
