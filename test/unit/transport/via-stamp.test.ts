import t from 'tap';
import { parseMessage } from '../../../lib/engine/messages/parser.js';
import type { SipRequest } from '../../../lib/engine/messages/message.js';
import { serializeMessage } from '../../../lib/engine/messages/serializer.js';
import { stampVia } from '../../../lib/engine/transport/via-stamp.js';
import { hostMatchesAddress, normalizeAddress } from '../../../lib/engine/transport/address.js';

function req(vias: string[]): SipRequest {
  const text =
    'OPTIONS sip:a@example.com SIP/2.0\r\n' +
    vias.map((v) => `Via: ${v}\r\n`).join('') +
    'From: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: x1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n';
  const r = parseMessage(Buffer.from(text));
  if (!r.ok || r.message.kind !== 'request') throw new Error(`bad fixture: ${JSON.stringify(r)}`);
  return r.message;
}

t.test('sent-by equal to the source and no rport: untouched, wire bytes kept', async (t) => {
  const m = req(['SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1']);
  const before = serializeMessage(m);
  t.equal(stampVia(m, '192.0.2.1', 5060), false);
  t.equal(serializeMessage(m), before, 'same Buffer: zero-copy');
  t.equal(m.via.received, undefined);
});

t.test('sent-by differs: received added (RFC 3261 18.2.1)', async (t) => {
  const m = req(['SIP/2.0/UDP pc33.example.com;branch=z9hG4bK2']);
  t.equal(stampVia(m, '192.0.2.4', 40000), true);
  t.equal(m.via.received, '192.0.2.4');
  t.equal(m.via.rport, undefined, 'no rport asked, none added');
  t.equal(m.via.host, 'pc33.example.com');
  t.match(serializeMessage(m).toString(), /Via: SIP\/2\.0\/UDP pc33\.example\.com;branch=z9hG4bK2;received=192\.0\.2\.4\r\n/);
  // Already stamped with the same source: nothing to do.
  t.equal(stampVia(m, '192.0.2.4', 40000), false);
});

t.test('rport flag: rport and received filled even when sent-by matches (RFC 3581 4)', async (t) => {
  const m = req(['SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bK3']);
  t.equal(stampVia(m, '10.1.1.1', 9988), true);
  t.equal(m.via.rport, 9988);
  t.equal(m.via.received, '10.1.1.1');
  t.match(serializeMessage(m).toString(), /Via: SIP\/2\.0\/UDP 10\.1\.1\.1:4540;rport=9988;branch=z9hG4bK3;received=10\.1\.1\.1\r\n/);
  // Filled-in rport is not a request for one.
  t.equal(stampVia(m, '10.1.1.1', 9988), false);
});

t.test('only the top Via changes; other values and lines keep their order', async (t) => {
  const m = req([
    'SIP/2.0/TCP top.example.com;branch=z9hG4bKa, SIP/2.0/TCP second.example.com;branch=z9hG4bKb',
    'SIP/2.0/UDP third.example.com;branch=z9hG4bKc',
  ]);
  stampVia(m, '198.51.100.1', 5062);
  t.same(
    m.vias().map((v) => [v.host, v.branch, v.received]),
    [
      ['top.example.com', 'z9hG4bKa', '198.51.100.1'],
      ['second.example.com', 'z9hG4bKb', undefined],
      ['third.example.com', 'z9hG4bKc', undefined],
    ],
  );
  t.equal(m.getAll('via').length, 2, 'still two Via lines');
});

t.test('addresses: IPv4-mapped IPv6 and bracketed IPv6 hosts', async (t) => {
  t.equal(normalizeAddress('::ffff:192.0.2.9'), '192.0.2.9');
  t.equal(normalizeAddress('2001:db8::1'), '2001:db8::1');
  t.equal(normalizeAddress(undefined), '');
  t.ok(hostMatchesAddress('[2001:DB8::1]', '2001:db8::1'));
  t.ok(hostMatchesAddress('192.0.2.1', '192.0.2.1'));
  t.notOk(hostMatchesAddress('host.example.com', '192.0.2.1'));
  const m = req(['SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK6']);
  t.equal(stampVia(m, '2001:db8::1', 5060), false);
});

t.test('text edits: rport spelled oddly, quoted look-alikes, a stale received from the sender', async (t) => {
  const a = req(['SIP/2.0/UDP h.example.com;x="a;rport";RPort ;branch=z9hG4bK7']);
  stampVia(a, '192.0.2.2', 7000);
  t.equal(a.via.rport, 7000);
  t.equal(a.via.params.get('x'), '"a;rport"', 'quoted value untouched');
  t.equal(a.via.received, '192.0.2.2');
  const b = req(['SIP/2.0/UDP h.example.com;received=10.0.0.1;branch=z9hG4bK8']);
  stampVia(b, '192.0.2.3', 7001);
  t.equal(b.via.received, '192.0.2.3', 'replaced, not duplicated');
  t.equal((serializeMessage(b).toString().match(/received=/g) ?? []).length, 1);
  const c = req(['SIP/2.0/UDP h.example.com;rportx=1;rport;branch=z9hG4bK9']);
  stampVia(c, '192.0.2.4', 7002);
  t.equal(c.via.rport, 7002);
  t.equal(c.via.params.get('rportx'), '1');
});
