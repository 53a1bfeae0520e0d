// The UA's small pieces in isolation: local addresses (spec 3.2, 13.1 loops), the registration cache
// (spec 14.4), dialog ids (spec 8), the app To-tag rule (12.1) and the request builders' completion (13.1).
import t from 'tap';
import { EngineLocalAddresses } from '../../../../lib/engine/drachtio/local-addresses.js';
import { RegistrationCache, userAtHost } from '../../../../lib/engine/drachtio/ua/registration-cache.js';
import { dialogIdOf } from '../../../../lib/engine/drachtio/ua/dialog-ids.js';
import { appToTag } from '../../../../lib/engine/drachtio/ua/uas-responder.js';
import { buildOutOfDialogRequest } from '../../../../lib/engine/drachtio/ua/uac-requester.js';
import { FakeClock } from '../../../../lib/engine/timers/fake-clock.js';

t.test('EngineLocalAddresses', async (t) => {
  const l = new EngineLocalAddresses(
    () => [
      { transport: 'udp', address: '127.0.0.1', port: 5080 },
      { transport: 'tcp', address: '0.0.0.0', port: 5060 },
    ],
    { names: ['sip.example.com'] },
  );
  t.equal(l.hostports(), 'udp/127.0.0.1:5080,tcp/0.0.0.0:5060');
  t.same(l.listener('udp'), { host: '127.0.0.1', port: 5080 });
  t.equal(l.listener('tls'), undefined);
  t.equal(l.isLocal('127.0.0.1', 5080), true);
  t.equal(l.isLocal('127.0.0.1', 5099), false);
  t.equal(l.isLocal('127.0.0.1'), true, 'default port 5060 on the wildcard TCP listener');
  t.equal(l.isLocal('SIP.example.com'), true, 'configured name');
  t.equal(l.isLocal('10.1.1.1', 5080), false);
  const ext = new EngineLocalAddresses(() => [{ transport: 'udp', address: '10.0.0.1', port: 5060 }], { externalIp: '203.0.113.9' });
  t.equal(ext.hostports(), 'udp/203.0.113.9:5060');
  t.equal(ext.isLocal('203.0.113.9', 5060), true);
});

t.test('RegistrationCache: expiry, rebinding, unbinding and connection close', async (t) => {
  const clock = new FakeClock();
  const c = new RegistrationCache(clock);
  c.set('alice@Phone.invalid', 'c1', 10);
  t.equal(c.lookup('alice@phone.invalid'), 'c1');
  c.set('alice@phone.invalid', 'c2', 10);
  t.equal(c.lookup('alice@phone.invalid'), 'c2', 'rebound to the newer connection');
  c.connectionClosed('c1');
  t.equal(c.lookup('alice@phone.invalid'), 'c2', 'the old connection no longer owns it');
  clock.advance(10_001);
  t.equal(c.lookup('alice@phone.invalid'), undefined, 'expired');
  c.set('bob@h', 'c3', 60);
  c.set('bob@h', 'c3', 0);
  t.equal(c.lookup('bob@h'), undefined, 'Expires 0 removes');
  c.set('carol@h', 'c4', 60);
  c.connectionClosed('c4');
  t.equal(c.size, 0);
  t.equal(userAtHost(undefined, 'H'), '@h');
});

t.test('dialog ids and the app To tag', async (t) => {
  t.equal(dialogIdOf('abc@1.2.3.4', 'ft'), 'abc@1.2.3.4;from-tag=ft');
  t.equal(appToTag([{ name: 'to', value: '<sip:a@b>;tag=xyz;foo=1' }]), 'xyz');
  t.equal(appToTag([{ name: 'To', value: '<sip:a@b>' }]), undefined);
});

t.test('out-of-dialog completion keeps an app From tag, Call-ID and CSeq (digest retries)', async (t) => {
  const l = { transport: 'udp' as const, host: '127.0.0.1', port: 5060 };
  const r = buildOutOfDialogRequest(
    {
      method: 'REGISTER',
      uri: 'sip:example.com',
      headers: [
        { name: 'From', value: '<sip:me@example.com>;tag=rt1' },
        { name: 'Call-ID', value: 'reg-cid' },
        { name: 'CSeq', value: '6 REGISTER' },
        { name: 'Contact', value: '<sip:me@localhost>;expires=3600' },
      ],
      body: Buffer.alloc(0),
    },
    l,
  );
  if ('error' in r) throw new Error(r.error);
  t.equal(r.localTag, 'rt1');
  t.equal(r.req.get('call-id'), 'reg-cid');
  t.equal(r.req.get('cseq'), '6 REGISTER');
  t.equal(r.req.get('to'), '<sip:example.com>');
  t.match(r.req.get('contact')!, /127\.0\.0\.1:5060/, 'localhost rewritten');
  const opt = buildOutOfDialogRequest({ method: 'OPTIONS', uri: 'sip:x@1.2.3.4', headers: [], body: Buffer.alloc(0) }, l);
  if ('error' in opt) throw new Error(opt.error);
  t.equal(opt.req.get('contact'), undefined, 'no Contact for OPTIONS');
  t.match(opt.req.get('from')!, /^<sip:127\.0\.0\.1:5060>;tag=/);
});
