// Calls from registered devices to the call server through a real gateway node: digest on INVITE, the
// registration requirement, no open relay, identity and unknown headers kept on the call-server leg, BYE from
// either side ending both legs, and failures passed back. The call server is a SIPp UAS over TCP.
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addUser } from '../../../lib/auth/user-directory.js';
import { authorizationFor, challengesOf, Device, startGateway } from '../../helpers/gateway.js';
import { ack, deviceSdp, inDialog, placeCall } from '../../helpers/device-calls.js';
import { buildRequest, headerValue, type HeaderList, type SipRequest } from '../../helpers/sip-message.js';
import { startSippUas } from '../../helpers/sipp.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const REALM = 'calls.test';
const CALLED = 'sip:1000@127.0.0.1';

/** alice's request to the call server's user 1000, in the dialog named by `d` (a To tag once it has one). */
function aliceRequest(
  dev: Device,
  method: string,
  d: { fromTag: string; callId: string; toTag?: string },
  cseq: number,
  headers: HeaderList,
  body?: { text: string; type: string },
) {
  return dev.client.request((ctx) =>
    buildRequest({
      method,
      uri: CALLED,
      transport: ctx.transport,
      sentBy: ctx.sentBy,
      from: '<sip:alice@127.0.0.1>',
      fromTag: d.fromTag,
      to: `<${CALLED}>`,
      ...(d.toTag === undefined ? {} : { toTag: d.toTag }),
      callId: d.callId,
      cseq,
      contact: `<${dev.contactUri}>`,
      headers,
      ...(body === undefined ? {} : { body: body.text, contentType: body.type }),
    }),
  );
}

t.test('device to call server', async (t) => {
  const dir = makeTempDir(t, 'sipedge-calls-');
  const usersFile = join(dir, 'users.json');
  await addUser(usersFile, REALM, 'alice', 'alice-secret');
  await addUser(usersFile, REALM, 'dave', 'dave-secret');
  // -aa: SIPp answers in-dialog INFO by itself (the DTMF relay check).
  const pbx = await startSippUas(t, 'uas-answer.xml', 0, 't1', { traceMessages: true, autoAnswer: true });
  // A gateway whose one call server is the SIPp UAS on `port`. Everything runs on 127.0.0.1 here: only the call
  // server's own port marks a request as the call server's.
  const gatewayFor = (nodeId: string, port: number) =>
    startGateway(t, {
      node: { id: nodeId },
      auth: { realm: REALM, usersFile, algorithms: ['MD5'] },
      callServers: { probeIntervalS: 0, servers: [`sip:127.0.0.1:${port};transport=tcp`], trustedSources: [`127.0.0.1:${port}`] },
    });
  /** alice, connected to `gw` over TCP and registered. */
  const aliceOn = async (tt: Test, gw: { sipPort: number }) => {
    const dev = await Device.connect({ port: gw.sipPort, transport: 'tcp' }, 'alice');
    tt.teardown(() => dev.close());
    tt.equal((await dev.registerWithAuth('alice-secret')).res.status, 200, 'alice registered');
    return dev;
  };
  const gw = await gatewayFor('calls-a', pbx.port);
  const alice = await Device.connect({ port: gw.sipPort, transport: 'tcp' }, 'alice');
  const dave = await Device.connect({ port: gw.sipPort, transport: 'tcp' }, 'dave');
  t.teardown(() => Promise.all([alice.close(), dave.close()]));
  t.equal((await alice.registerWithAuth('alice-secret')).res.status, 200, 'alice registered');

  await t.test('an INVITE without credentials is challenged (407)', async (t) => {
    const c = await placeCall(alice, { uri: 'sip:1000@127.0.0.1', sdp: deviceSdp(40000, false) });
    t.equal(c.final.status, 407);
    t.match(headerValue(c.final, 'proxy-authenticate') ?? '', /Digest .*realm="calls\.test"/);
  });

  await t.test('an authenticated but unregistered device is refused', async (t) => {
    const c = await placeCall(dave, { uri: 'sip:1000@127.0.0.1', password: 'dave-secret', sdp: deviceSdp(40002, false) });
    t.equal(c.final.status, 403);
  });

  await t.test('no open relay: a foreign Request-URI host is refused', async (t) => {
    const c = await placeCall(alice, { uri: 'sip:1000@elsewhere.example.com', password: 'alice-secret', sdp: deviceSdp(40004, false) });
    t.equal(c.final.status, 404);
  });

  await t.test('the call reaches the call server with identity and unknown headers; BYE from the device ends both legs', async (t) => {
    const identity: Array<[string, string]> = [
      ['P-Asserted-Identity', '"Alice" <sip:alice@calls.test>'],
      ['Privacy', 'id'],
      ['Diversion', '<sip:2000@calls.test>;reason=unconditional'],
      ['History-Info', '<sip:2000@calls.test>;index=1'],
      ['X-Tenant', 'blue'],
    ];
    const c = await placeCall(alice, { uri: 'sip:1000@127.0.0.1', password: 'alice-secret', sdp: deviceSdp(40006, false), headers: identity });
    t.equal(c.final.status, 200, `answered (${c.final.status} ${c.final.reason})`);
    t.ok(c.provisional.some((p) => p.status === 180), 'ringing relayed');
    t.match(c.final.body, /m=audio \d+ RTP\/AVP/, 'answer SDP relayed');
    await ack(alice, c);
    const info = await inDialog(alice, c, 'INFO', { body: 'Signal=5\r\nDuration=160\r\n', contentType: 'application/dtmf-relay' });
    t.equal(info.status, 200, 'in-dialog INFO (DTMF) relayed and answered');
    const bye = await inDialog(alice, c, 'BYE');
    t.equal(bye.status, 200, 'BYE answered');
    const result = await pbx.finish(10_000);
    t.equal(result.successful, 1, `the call server saw one complete call (${result.errors})`);
    const log = await readFile(join(pbx.logDir, 'messages.log'), 'utf8');
    const invite = log.slice(log.indexOf('INVITE sip:'));
    t.match(invite, new RegExp(`^INVITE sip:1000@127\\.0\\.0\\.1:${pbx.port}`), 'Request-URI: the dialled user at the call server');
    for (const [name, value] of identity) t.ok(invite.includes(`${name}: ${value}`), `${name} kept`);
    t.notOk(/Proxy-Authorization/i.test(invite.split('\r\n\r\n')[0] ?? ''), "the device's credentials stay on the gateway");
    t.match(invite, /From: <sip:alice@127\.0\.0\.1>/, 'caller identity in From');
    t.ok(log.includes('BYE sip:'), 'the call server got the BYE');
    const infoMsg = log.slice(log.indexOf('INFO sip:'));
    t.ok(log.includes('INFO sip:') && /Content-Type: application\/dtmf-relay/i.test(infoMsg) && infoMsg.includes('Signal=5'), 'the call server got the INFO with its body');
  });

  await t.test('an out-of-dialog MESSAGE from a device is relayed to the call server without its credentials', async (t) => {
    const im = await startSippUas(t, 'uas-message.xml', 0, 't1', { traceMessages: true });
    const dev = await aliceOn(t, await gatewayFor('calls-c', im.port));
    const uri = CALLED;
    const message = (cseq: number, extra: HeaderList) =>
      aliceRequest(dev, 'MESSAGE', { fromTag: 'im1', callId: 'im-call@device' }, cseq, extra, { text: 'hello', type: 'text/plain' });
    const first = await message(1, []);
    t.equal(first.status, 407, 'challenged');
    const c = challengesOf(first)[0]!;
    const second = await message(2, [
      ['Proxy-Authorization', authorizationFor(c, 'alice', 'alice-secret', 'MESSAGE', uri)],
      ['X-Sipedge-Test', 'kept'],
    ]);
    t.equal(second.status, 200, 'the call server accepted it');
    const r = await im.finish(5000);
    t.equal(r.successful, 1, `the call server got one MESSAGE (${r.errors})`);
    const log = await readFile(join(im.logDir, 'messages.log'), 'utf8');
    t.match(log, /^MESSAGE sip:1000@127\.0\.0\.1:\d+;transport=tcp SIP\/2\.0/m, 'relayed to the call server: the user at its address, as INVITEs are');
    t.match(log, /\r?\n\r?\nhello/, 'with its body');
    const sent = log.slice(log.indexOf('MESSAGE sip:'));
    const head = sent.slice(0, sent.search(/\r?\n\r?\n/));
    t.match(head, /^Content-Type: text\/plain/im, 'and its Content-Type');
    t.match(head, /^X-Sipedge-Test: kept/im, 'an unknown header passes');
    t.notMatch(head, /^Proxy-Authorization:/im, "the device's credentials for the gateway do not");
    t.equal(head.match(/^Via:/gim)?.length, 1, "nor the device's Via: the gateway's request has its own");
    t.match(head, /^From: <sip:alice@127\.0\.0\.1>;tag=im1/im, "the device's From is kept");
  });

  await t.test('a SUBSCRIBE from a device becomes a subscription of the gateway: NOTIFYs relayed, refresh and unsubscribe passed on', async (t) => {
    const mwi = await startSippUas(t, 'uas-subscribe.xml', 0, 't1', { traceMessages: true });
    const dev = await aliceOn(t, await gatewayFor('calls-s', mwi.port));
    const notifies: SipRequest[] = [];
    dev.client.onRequest((req, reply) => {
      if (req.method === 'NOTIFY') notifies.push(req);
      reply(200, 'OK');
    });
    const uri = CALLED;
    const subscribe = (cseq: number, extra: HeaderList, toTag?: string) =>
      aliceRequest(dev, 'SUBSCRIBE', { fromTag: 'sub1', callId: 'sub-call@device', ...(toTag === undefined ? {} : { toTag }) }, cseq, [
        ['Event', 'message-summary'],
        ['Accept', 'application/simple-message-summary'],
        ...extra,
      ]);
    const first = await subscribe(1, [['Expires', '60']]);
    t.equal(first.status, 407, 'challenged');
    const c = challengesOf(first)[0]!;
    const accepted = await subscribe(2, [
      ['Expires', '60'],
      ['Proxy-Authorization', authorizationFor(c, 'alice', 'alice-secret', 'SUBSCRIBE', uri)],
    ]);
    t.ok(accepted.status === 200 || accepted.status === 202, `the subscription is accepted (${accepted.status})`);
    const toTag = /;\s*tag=([^;\s>]+)/.exec(headerValue(accepted, 'to') ?? '')?.[1];
    for (let i = 0; i < 50 && notifies.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const notify = notifies[0];
    if (notify === undefined) return t.fail("the call server's NOTIFY never reached the device");
    t.equal(headerValue(notify, 'call-id'), 'sub-call@device', "the call server's NOTIFY reached the device in its own dialog");
    t.match(headerValue(notify, 'subscription-state') ?? '', /^active/);
    t.equal(headerValue(notify, 'x-pbx-note'), 'mwi', 'with its headers');
    t.match(notify.body ?? '', /Messages-Waiting: yes/, 'and its body');

    const refresh = await subscribe(3, [['Expires', '60']], toTag);
    t.equal(refresh.status, 200, "a refresh gets the call server's answer");
    t.equal(headerValue(refresh, 'expires'), '45', 'with its Expires');
    const unsub = await subscribe(4, [['Expires', '0']], toTag);
    t.ok(unsub.status === 200 || unsub.status === 202, `unsubscribe answered (${unsub.status})`);
    for (let i = 0; i < 50 && notifies.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    t.match((notifies[1] && headerValue(notifies[1], 'subscription-state')) ?? '', /^terminated/, 'the final NOTIFY reached the device');
    const r = await mwi.finish(10_000);
    t.equal(r.successful, 1, `the call server saw subscribe, notify, refresh, unsubscribe, final notify (${r.errors})`);
    const log = await readFile(join(mwi.logDir, 'messages.log'), 'utf8');
    const sent = log.slice(log.indexOf('SUBSCRIBE sip:'));
    const head = sent.slice(0, sent.search(/\r?\n\r?\n/));
    t.notMatch(head, /^Proxy-Authorization:/im, "the device's credentials stay on its leg");
    t.notMatch(head, /sub-call@device/, "and so does its Call-ID: the call server's dialog is the gateway's");
    t.equal(head.match(/^Via:/gim)?.length, 1, 'one Via: the gateway\'s');
  });

  await t.test('a subscriber that goes away is unsubscribed at the call server', async (t) => {
    const mwi = await startSippUas(t, 'uas-subscribe-gone.xml', 0, 't1', { traceMessages: true });
    const dev = await aliceOn(t, await gatewayFor('calls-g', mwi.port));
    const notified = dev.client.waitForRequest('NOTIFY', 5000);
    dev.client.onRequest((_req, reply) => reply(200, 'OK'));
    const uri = CALLED;
    const subscribe = (cseq: number, extra: HeaderList) =>
      aliceRequest(dev, 'SUBSCRIBE', { fromTag: 'gone1', callId: 'gone-call@device' }, cseq, [['Event', 'message-summary'], ['Expires', '60'], ...extra]);
    const c = challengesOf(await subscribe(1, []))[0]!;
    t.equal((await subscribe(2, [['Proxy-Authorization', authorizationFor(c, 'alice', 'alice-secret', 'SUBSCRIBE', uri)]])).status, 202);
    await notified;
    await dev.close();
    const r = await mwi.finish(15_000);
    t.equal(r.successful, 1, `the failed NOTIFY was followed by the gateway's unsubscribe (${r.errors})`);
  });

  await t.test('BYE from the call server ends the device leg', async (t) => {
    const hangup = await startSippUas(t, 'uas-answer-hangup.xml', 0, 't1');
    const gw2 = await gatewayFor('calls-b', hangup.port);
    const dev = await aliceOn(t, gw2);
    const byeSeen = dev.client.waitForRequest('BYE', 10_000);
    dev.client.onRequest((req, reply) => {
      if (req.method === 'BYE') reply(200, 'OK');
    });
    const c = await placeCall(dev, { uri: 'sip:1000@127.0.0.1', password: 'alice-secret', sdp: deviceSdp(40008, false) });
    t.equal(c.final.status, 200);
    await ack(dev, c);
    const bye = await byeSeen;
    t.equal(headerValue(bye, 'call-id'), c.callId, 'the device got a BYE in its own dialog');
    const result = await hangup.finish(10_000);
    t.equal(result.successful, 1, `the call server's BYE was answered (${result.errors})`);
    t.equal(await gw2.metricValue('sipedge_calls_active'), 0, 'no call left on the gateway');
  });
});
