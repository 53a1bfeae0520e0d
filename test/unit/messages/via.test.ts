import t from 'tap';
import { formatVia, parseVia, tryParseVia } from '../../../lib/engine/messages/index.js';

t.test('plain Via', async (t) => {
  const v = parseVia('SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5066');
  t.equal(v.protocol, 'SIP/2.0');
  t.equal(v.transport, 'UDP');
  t.equal(v.host, 'pc33.atlanta.com');
  t.equal(v.port, 5066);
  t.equal(v.branch, 'z9hG4bK776asdhds');
  t.equal(v.received, '192.0.2.1');
  t.equal(v.rport, 5066);
});

t.test('rport flag vs value vs absent (RFC 3581)', async (t) => {
  t.equal(parseVia('SIP/2.0/UDP h;rport;branch=z9hG4bKx').rport, null);
  t.equal(parseVia('SIP/2.0/UDP h;branch=z9hG4bKx').rport, undefined);
  t.equal(parseVia('SIP/2.0/UDP h;rport=0').rport, 0);
  t.equal(tryParseVia('SIP/2.0/UDP h;rport=abc'), undefined);
  t.equal(tryParseVia('SIP/2.0/UDP h;rport=70000'), undefined);
});

t.test('whitespace around / : ; = (RFC 4475 wsinv)', async (t) => {
  const v = parseVia('SIP  /   2.0 /UDP     192.0.2.2 : 5070  ;  branch =  z9hG4bK30239 ; received = 10.0.0.1');
  t.equal(v.protocol, 'SIP/2.0');
  t.equal(v.transport, 'UDP');
  t.equal(v.host, '192.0.2.2');
  t.equal(v.port, 5070);
  t.equal(v.branch, 'z9hG4bK30239');
  t.equal(v.received, '10.0.0.1');
});

t.test('IPv6 sent-by and lower-case transport', async (t) => {
  const v = parseVia('SIP/2.0/tls [2001:db8::9]:5061;branch=z9hG4bKa;received=[2001:db8::1]');
  t.equal(v.transport, 'TLS');
  t.equal(v.host, '[2001:db8::9]');
  t.equal(v.port, 5061);
  t.equal(v.received, '[2001:db8::1]');
});

t.test('unknown transports and params kept', async (t) => {
  const v = parseVia('SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en;ttl=16;maddr=224.2.0.1;x-foo');
  t.equal(v.transport, 'UNKNOWN');
  t.equal(v.params.get('ttl'), '16');
  t.equal(v.params.get('x-foo'), null);
});

t.test('malformed Via values', async (t) => {
  for (const bad of [
    'SIP/2.0/UDP 192.0.2.15;;', 'SIP/2.0/UDP', 'SIP/2.0 host', 'SIP/2.0/UDP host:', 'SIP/2.0/UDP host:70000', 'SIP/2.0/UDPhost',
    'SIP//UDP host', '', 'SIP/2.0/UDP host;branch', 'SIP/2.0/UDP host;branch=', 'SIP/2.0/UDP [::1', 'SIP/2.0/UDP host junk',
  ]) {
    t.equal(tryParseVia(bad), undefined, JSON.stringify(bad));
  }
  t.throws(() => parseVia('nonsense'), /Malformed Via/);
});

t.test('formatVia', async (t) => {
  const v = parseVia('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport');
  t.equal(formatVia(v), 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport');
  // fields override params, so a proxy can fill received/rport on a copy
  t.equal(formatVia({ ...v, received: '192.0.2.7', rport: 40000 }), 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport=40000;received=192.0.2.7');
  t.equal(formatVia({ protocol: 'SIP/2.0', transport: 'TCP', host: '[::1]', params: new Map(), branch: 'z9hG4bKb' }), 'SIP/2.0/TCP [::1];branch=z9hG4bKb');
});
