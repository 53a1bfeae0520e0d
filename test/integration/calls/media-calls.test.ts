// Media of calls through a real gateway node with a real rtpengine-daemon (userspace): a TLS device offering
// SRTP (SDES) calls a SIPp call server, which sees rtpengine's address and plain RTP; the device gets rtpengine's
// address and an a=crypto key; every way a call ends (BYE either side, CANCEL, 486, after a hold re-INVITE) leaves
// no rtpengine session; a call server calling a device offers it SRTP; a device on a local network bypasses.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addUser } from '../../../lib/auth/user-directory.js';
import { makeTestPki } from '../../helpers/certs.js';
import { Device, startGateway } from '../../helpers/gateway.js';
import { ack, deviceSdp, inDialog, placeCall, takeCalls } from '../../helpers/device-calls.js';
import { freePort } from '../../helpers/ports.js';
import { startRtpengine, type RtpengineInstance } from '../../helpers/rtpengine.js';
import { runSippUac, startSippUas } from '../../helpers/sipp.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const REALM = 'media.test';

async function noSessionLeft(rtp: RtpengineInstance, ms = 5000): Promise<string[]> {
  const end = Date.now() + ms;
  let left = await rtp.sessions();
  while (left.length > 0 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    left = await rtp.sessions();
  }
  return left;
}

/** The media port of the first m= line and the c= address. */
function mediaOf(sdp: string): { address?: string; port: number; proto?: string } {
  const m = /^m=audio (\d+) (\S+)/m.exec(sdp);
  return { address: /^c=IN IP4 (\S+)/m.exec(sdp)?.[1], port: Number(m?.[1]), proto: m?.[2] };
}

function sdpOf(messageLog: string, startLine: RegExp): string {
  const at = messageLog.search(startLine);
  if (at < 0) return '';
  const msg = messageLog.slice(at);
  const body = msg.slice(msg.indexOf('\r\n\r\n') + 4);
  const end = body.search(/\n-{5,}|\r\n\r\n\S+ sip:|\r\n\r\nSIP\/2\.0/);
  return end < 0 ? body : body.slice(0, end);
}

t.test('media anchored through rtpengine, and bypassed', async (t) => {
  const dir = makeTempDir(t, 'sipedge-media-calls-');
  const usersFile = join(dir, 'users.json');
  await addUser(usersFile, REALM, 'alice', 'alice-secret');
  const pki = await makeTestPki(dir);
  const rtp = await startRtpengine(t);
  const inRange = (port: number) => port >= rtp.portMin && port <= rtp.portMax;

  const gatewayWith = async (callServerPort: number, extra: Record<string, unknown> = {}) => {
    const pbxOut = await freePort('both');
    const gw = await startGateway(
      t,
      {
        node: { id: `media-${callServerPort}` },
        auth: { realm: REALM, usersFile, algorithms: ['MD5'] },
        sip: { tls: { keyFile: pki.server.keyPath, certFile: pki.server.chainPath } },
        callServers: {
          probeIntervalS: 0,
          servers: [`sip:127.0.0.1:${callServerPort};transport=tcp`],
          trustedSources: [`127.0.0.1:${callServerPort}`, `127.0.0.1:${pbxOut}`],
        },
        media: { rtpengines: [rtp.ngAddress], ...extra },
      },
      { tls: true },
    );
    const alice = await Device.connect({ port: gw.tlsPort!, transport: 'tls', ca: pki.ca.certPem }, 'alice');
    t.teardown(() => alice.close());
    t.equal((await alice.registerWithAuth('alice-secret')).res.status, 200, 'alice registered over TLS');
    return { gw, alice, pbxOut };
  };
  const call = (alice: Device, sdpPort: number, o: { cancelAfterMs?: number; srtp?: boolean } = {}) =>
    placeCall(alice, { uri: 'sip:1000@127.0.0.1', password: 'alice-secret', sdp: deviceSdp(sdpPort, o.srtp ?? true), ...o });

  await t.test('SRTP device to call server: RTP and rtpengine toward the call server, SRTP back; BYE from the device', async (t) => {
    const pbx = await startSippUas(t, 'uas-answer.xml', 0, 't1', { traceMessages: true });
    const { alice } = await gatewayWith(pbx.port);
    const c = await call(alice, 40100);
    t.equal(c.final.status, 200, `answered (${c.final.status} ${c.final.reason})`);
    const answer = mediaOf(c.final.body);
    t.equal(answer.address, '127.0.0.1', "the device gets rtpengine's address");
    t.ok(inRange(answer.port), `the device gets an rtpengine port (${answer.port})`);
    t.equal(answer.proto, 'RTP/SAVP', 'the device gets SRTP');
    t.match(c.final.body, /^a=crypto:\d+ AES_CM_128_HMAC_SHA1_(80|32) inline:/m, 'with an SDES key');
    t.same(await rtp.sessions(), [c.callId], 'one rtpengine session, named by the device leg');
    await ack(alice, c);
    t.equal((await inDialog(alice, c, 'BYE')).status, 200);
    t.same(await noSessionLeft(rtp), [], 'no rtpengine session left');
    await pbx.finish(10_000);
    const log = await readFile(join(pbx.logDir, 'messages.log'), 'utf8');
    const offer = sdpOf(log, /INVITE sip:1000@/);
    const seen = mediaOf(offer);
    t.equal(seen.address, '127.0.0.1', "the call server sees rtpengine's address");
    t.ok(inRange(seen.port), `and an rtpengine port (${seen.port}), not the device's 40100`);
    t.equal(seen.proto, 'RTP/AVP', 'plain RTP toward the call server');
    t.notMatch(offer, /a=crypto/, 'no crypto line toward the call server');
  });

  await t.test('BYE from the call server leaves no session', async (t) => {
    const pbx = await startSippUas(t, 'uas-answer-hangup.xml', 0, 't1');
    const { alice } = await gatewayWith(pbx.port);
    const bye = alice.client.waitForRequest('BYE', 10_000);
    alice.client.onRequest((req, reply) => {
      if (req.method === 'BYE') reply(200, 'OK');
    });
    const c = await call(alice, 40102);
    t.equal(c.final.status, 200);
    await ack(alice, c);
    await bye;
    t.same(await noSessionLeft(rtp), [], 'no rtpengine session left');
  });

  await t.test('CANCEL before answer leaves no session', async (t) => {
    const pbx = await startSippUas(t, 'proxy-uas-ring-cancel.xml', 0, 't1');
    const { alice } = await gatewayWith(pbx.port);
    const c = await call(alice, 40104, { cancelAfterMs: 300 });
    t.equal(c.final.status, 487, 'the device gets 487');
    t.same(await noSessionLeft(rtp), [], 'no rtpengine session left');
    const r = await pbx.finish(10_000);
    t.equal(r.successful, 1, `the call server was cancelled (${r.errors})`);
  });

  await t.test('486 from the call server leaves no session', async (t) => {
    const pbx = await startSippUas(t, 'proxy-uas-busy.xml', 0, 't1');
    const { alice } = await gatewayWith(pbx.port);
    const c = await call(alice, 40106);
    t.equal(c.final.status, 486, 'busy passed back to the device');
    t.same(await noSessionLeft(rtp), [], 'no rtpengine session left');
  });

  await t.test('a hold re-INVITE is re-offered through rtpengine; no session after BYE', async (t) => {
    const pbx = await startSippUas(t, 'drachtio-uas-reinvite.xml', 0, 't1', { traceMessages: true });
    const { alice } = await gatewayWith(pbx.port);
    const c = await call(alice, 40108);
    t.equal(c.final.status, 200);
    await ack(alice, c);
    const hold = await inDialog(alice, c, 'INVITE', { body: deviceSdp(40108, true).replace('a=sendrecv', 'a=sendonly') });
    t.equal(hold.status, 200, 're-INVITE answered');
    t.ok(inRange(mediaOf(hold.body).port), 'the answer is rtpengine again');
    t.match(hold.body, /a=crypto:/, 'still SRTP toward the device');
    await ack(alice, { ...c, cseq: c.cseq });
    t.equal((await inDialog(alice, c, 'BYE')).status, 200);
    t.same(await noSessionLeft(rtp), [], 'no rtpengine session left');
    await pbx.finish(10_000);
    const log = await readFile(join(pbx.logDir, 'messages.log'), 'utf8');
    const reinvite = log.slice(log.indexOf('INVITE sip:', log.indexOf('INVITE sip:') + 1));
    t.match(reinvite, /a=(sendonly|inactive)/, 'the call server got the hold offer');
    t.notMatch(sdpOf(reinvite, /INVITE sip:/), /a=crypto/, 'in plain RTP');
  });

  await t.test('early media: a reliable 183 with SDP reaches a device without 100rel as a plain 183 through rtpengine', async (t) => {
    const pbx = await startSippUas(t, 'drachtio-uas-100rel.xml', 0, 't1');
    const { alice } = await gatewayWith(pbx.port);
    const c = await call(alice, 40114);
    t.equal(c.final.status, 200, `answered (${c.final.status})`);
    const early = c.provisional.find((p) => p.status === 183);
    t.ok(early, 'the device got the 183');
    t.ok(inRange(mediaOf(early?.body ?? '').port), 'with early media from rtpengine');
    t.match(early?.body ?? '', /a=crypto:/, 'in SRTP');
    t.notMatch(early?.raw ?? '', /^Require:.*100rel/im, 'not reliable: the device did not offer 100rel');
    await ack(alice, c);
    t.equal((await inDialog(alice, c, 'BYE')).status, 200);
    const r = await pbx.finish(10_000);
    t.equal(r.successful, 1, `the call server's reliable 183 was PRACKed by the gateway (${r.errors})`);
    t.same(await noSessionLeft(rtp), [], 'no rtpengine session left');
  });

  await t.test('call server to device: the device is offered SRTP through rtpengine', async (t) => {
    const { gw, alice, pbxOut } = await gatewayWith(await freePort('both'));
    const taken = takeCalls(alice, { answer: true, sdp: deviceSdp(40110, true) });
    const r = await runSippUac(t, { scenario: 'uac-call', port: gw.sipPort, transport: 't1', localPort: pbxOut, service: 'alice', calls: 1, callDurationMs: 200 });
    t.equal(r.exitCode, 0, `the call server's call was answered (${r.errors})`);
    const invite = taken.calls[0]?.invite;
    t.ok(invite, 'the device got the INVITE over its TLS connection');
    const offered = mediaOf(invite?.body ?? '');
    t.ok(inRange(offered.port), `the device is offered an rtpengine port (${offered.port})`);
    t.match(invite?.body ?? '', /a=crypto:/, 'with an SDES key (SRTP offered)');
    t.same(await noSessionLeft(rtp), [], 'no rtpengine session left');
  });

  await t.test('call server to device: early media (183 with SDP) from the device reaches the call server through rtpengine', async (t) => {
    const { gw, alice, pbxOut } = await gatewayWith(await freePort('both'));
    const taken = takeCalls(alice, { answer: true, sdp: deviceSdp(40114, true), earlyMedia: true, answerAfterMs: 300 });
    const r = await runSippUac(t, { scenario: 'uac-call', port: gw.sipPort, transport: 't1', localPort: pbxOut, service: 'alice', calls: 1, callDurationMs: 200, traceMessages: true });
    t.equal(r.exitCode, 0, `the call server's call was answered (${r.errors})`);
    t.equal(taken.calls.length, 1, 'the device got the INVITE');
    const log = await readFile(join(r.logDir, 'messages.log'), 'utf8');
    const early = sdpOf(log, /SIP\/2\.0 183 /);
    const answer = sdpOf(log, /SIP\/2\.0 200 OK[\s\S]*?CSeq: 1 INVITE/);
    t.ok(inRange(mediaOf(early).port), `the call server got a 183 with an rtpengine port (${mediaOf(early).port})`);
    t.match(early, /RTP\/AVP/, 'in plain RTP toward the call server');
    t.notMatch(early, /a=crypto:/, 'without SDES keys');
    t.equal(mediaOf(answer).port, mediaOf(early).port, 'the 200 answers with the same rtpengine port as the early media');
    t.same(await noSessionLeft(rtp), [], 'no rtpengine session left');
  });

  await t.test('a device on a local network, not behind NAT, bypasses rtpengine', async (t) => {
    const pbx = await startSippUas(t, 'uas-answer.xml', 0, 't1', { traceMessages: true });
    const { alice } = await gatewayWith(pbx.port, { localNetworks: ['127.0.0.0/8'] });
    const offer = deviceSdp(40112, true);
    const c = await call(alice, 40112);
    t.equal(c.final.status, 200);
    t.same(await rtp.sessions(), [], 'no rtpengine session');
    await ack(alice, c);
    await inDialog(alice, c, 'BYE');
    await pbx.finish(10_000);
    const log = await readFile(join(pbx.logDir, 'messages.log'), 'utf8');
    t.equal(sdpOf(log, /INVITE sip:1000@/).trim(), offer.trim(), 'the call server got the SDP unchanged');
  });
});
