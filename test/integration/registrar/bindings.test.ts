// The registrar's binding rules and allowed URI names on a real gateway node with a real redis-server
// (authentication off here; digest-auth.test.ts covers it).
import t from 'tap';
import { Device, startGateway } from '../../helpers/gateway.js';
import { startRedis } from '../../helpers/redis.js';
import { buildRequest, headerValue, headerValues } from '../../helpers/sip-message.js';

const AOR = 'sip:carol@127.0.0.1';

function contactsOf(res: Parameters<typeof headerValues>[0]): string[] {
  return headerValues(res, 'contact').flatMap((v) => v.split(/,(?=\s*<)/)).map((v) => v.trim());
}

t.test('binding rules', async (t) => {
  const redis = await startRedis(t);
  const gw = await startGateway(t, {
    node: { id: 'node-a' },
    auth: { enabled: false },
    store: { type: 'redis', redis: { port: redis.port, keyPrefix: 'bind-test:' } },
    registrar: { minExpiresS: 60, maxExpiresS: 3600, defaultExpiresS: 600, maxContactsPerAor: 3, allowedUriNames: ['sbc.example.com', 'node-a.example.com', 'node-b.example.com'] },
  });
  const phone = await Device.connect({ port: gw.sipPort, transport: 'tcp' }, 'carol');
  const laptop = await Device.connect({ port: gw.sipPort, transport: 'tcp' }, 'carol');
  t.teardown(() => Promise.all([phone.close(), laptop.close()]));

  await t.test('several contacts per AOR; the 200 lists each with its remaining expiry', async (t) => {
    t.equal((await phone.register({ headers: [['Expires', '300']] })).status, 200);
    const res = await laptop.register();
    t.equal(res.status, 200);
    const contacts = contactsOf(res);
    t.equal(contacts.length, 2, contacts.join(' | '));
    t.ok(contacts.some((c) => c.startsWith(`<${phone.contactUri}>`) && /expires=(29\d|300)\b/.test(c)), 'phone with its own expiry');
    t.ok(contacts.some((c) => c.startsWith(`<${laptop.contactUri}>`) && /expires=(59\d|600)\b/.test(c)), 'laptop with the default');
    t.equal((await gw.bindings(AOR)).length, 2);
  });

  await t.test('an expiry below the minimum gets 423 with Min-Expires', async (t) => {
    const res = await phone.register({ headers: [['Expires', '10']] });
    t.equal(res.status, 423);
    t.equal(headerValue(res, 'min-expires'), '60');
  });

  await t.test('an older CSeq from the same Call-ID is rejected', async (t) => {
    const res = await phone.register({ cseq: 1 });
    t.ok(res.status >= 400, `refused with ${res.status}`);
    t.equal((await gw.bindings(AOR)).length, 2, 'bindings unchanged');
  });

  await t.test('Expires: 0 removes one contact, * removes all', async (t) => {
    const res = await phone.register({ headers: [['Expires', '0']] });
    t.equal(res.status, 200);
    t.same(contactsOf(res).map((c) => c.replace(/;expires=.*/, '')), [`<${laptop.contactUri}>`]);
    const all = await laptop.register({ contact: '*', headers: [['Expires', '0']] });
    t.equal(all.status, 200);
    t.same(contactsOf(all), []);
    t.same(await gw.bindings(AOR), []);
  });

  await t.test('+sip.instance: a re-registering device replaces its own binding only', async (t) => {
    const inst1 = '"<urn:uuid:00000000-0000-0000-0000-0000000000a1>"';
    const inst2 = '"<urn:uuid:00000000-0000-0000-0000-0000000000a2>"';
    t.equal((await phone.register({ contact: `<sip:carol@10.0.0.1:5060>;+sip.instance=${inst1};reg-id=1` })).status, 200);
    t.equal((await laptop.register({ contact: `<sip:carol@10.0.0.2:5060>;+sip.instance=${inst2};reg-id=1` })).status, 200);
    // The phone restarts: new Call-ID, new address, same instance.
    const res = await phone.register({ callId: 'restarted-phone', cseq: 1, contact: `<sip:carol@10.0.0.9:7000>;+sip.instance=${inst1};reg-id=1` });
    t.equal(res.status, 200);
    const uris = (await gw.bindings(AOR)).map((b) => b.uri).sort();
    t.same(uris, ['sip:carol@10.0.0.2:5060', 'sip:carol@10.0.0.9:7000']);
  });

  await t.test('at most maxContactsPerAor contacts', async (t) => {
    const res = await phone.register({ callId: 'many', cseq: 1, contact: '<sip:carol@10.0.1.1>, <sip:carol@10.0.1.2>' });
    t.equal(res.status, 403);
  });

  await t.test('allowed URI names: every cluster name accepted, a foreign host refused', async (t) => {
    for (const host of ['sbc.example.com', 'node-a.example.com', 'NODE-B.example.com', '127.0.0.1']) {
      const res = await laptop.register({ uriHost: host, contact: '<sip:carol@10.0.2.1>', callId: `names-${host}`, cseq: 1 });
      t.equal(res.status, 200, `REGISTER to ${host}`);
    }
    const foreign = await laptop.register({ uriHost: 'evil.example.net', callId: 'foreign', cseq: 1 });
    t.equal(foreign.status, 404, 'REGISTER to a foreign host');
    const optionsTo = (host: string) =>
      laptop.client.request((ctx) =>
        buildRequest({ method: 'OPTIONS', uri: `sip:${host}`, transport: ctx.transport, sentBy: ctx.sentBy, from: '<sip:carol@127.0.0.1>', to: `<sip:${host}>` }),
      );
    t.equal((await optionsTo('evil.example.net')).status, 404, 'OPTIONS to a foreign host');
    t.equal((await optionsTo('sbc.example.com')).status, 200, 'OPTIONS to the cluster name');
  });
});
