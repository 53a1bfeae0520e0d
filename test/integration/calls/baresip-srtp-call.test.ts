// A real softphone through the gateway: baresip (Debian) registers over TLS with digest, and calls a SIPp call
// server with SDES SRTP mandatory (RTP/SAVP). The call server gets rtpengine's address and plain RTP, no crypto;
// baresip gets rtpengine's address and an a=crypto key, and the call comes up (baresip accepted the SRTP answer).
// Hanging up in baresip ends both legs and leaves no rtpengine session.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addUser } from '../../../lib/auth/user-directory.js';
import { startBaresip } from '../../helpers/baresip.js';
import { stripAnsi } from '../../helpers/baresip-control.js';
import { makeTestPki } from '../../helpers/certs.js';
import { startGateway } from '../../helpers/gateway.js';
import { startRtpengine } from '../../helpers/rtpengine.js';
import { startSippUas } from '../../helpers/sipp.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const REALM = 'baresip.test';

function mediaOf(sdp: string): { address?: string; port: number; proto?: string } {
  const m = /^m=audio (\d+) (\S+)/m.exec(sdp);
  return { address: /^c=IN IP4 (\S+)/m.exec(sdp)?.[1], port: Number(m?.[1]), proto: m?.[2] };
}

t.test('baresip with SDES SRTP calls the call server through rtpengine', async (t) => {
  const dir = makeTempDir(t, 'sipedge-baresip-call-');
  const usersFile = join(dir, 'users.json');
  await addUser(usersFile, REALM, 'bob', 'bob-secret');
  const pki = await makeTestPki(dir);
  const rtp = await startRtpengine(t);
  const pbx = await startSippUas(t, 'uas-answer.xml', 0, 't1', { traceMessages: true });
  const gw = await startGateway(
    t,
    {
      node: { id: 'baresip-node' },
      auth: { realm: REALM, usersFile, algorithms: ['MD5'] },
      sip: { tls: { keyFile: pki.server.keyPath, certFile: pki.server.chainPath } },
      callServers: { probeIntervalS: 0, servers: [`sip:127.0.0.1:${pbx.port};transport=tcp`], trustedSources: [`127.0.0.1:${pbx.port}`] },
      media: { rtpengines: [rtp.ngAddress] },
    },
    { tls: true },
  );
  const phone = await startBaresip(t, {
    proxyPort: gw.tlsPort!,
    transport: 'tls',
    caFile: pki.ca.certPath,
    user: 'bob',
    password: 'bob-secret',
    sipTrace: true,
    extraConfig: ['module\t\t\tsrtp.so'],
    extraAccountParams: ['mediaenc=srtp-mand'],
  });
  await phone.waitForRegistered(20_000);

  const dialed = await phone.command('dial', 'sip:1000@127.0.0.1');
  t.ok(dialed.ok, `dial accepted (${dialed.data})`);
  if (process.env['SIPEDGE_DEBUG_BARESIP']) t.teardown(() => console.error(stripAnsi(phone.process.output()).slice(-12000)));
  await phone.waitForEvent('CALL_ESTABLISHED', 15_000);
  t.pass('baresip established the call');
  t.equal((await rtp.sessions()).length, 1, 'one rtpengine session for the call');

  // baresip's SIP trace: the 200 OK it received carries rtpengine's SRTP answer.
  const trace = stripAnsi(phone.process.output());
  // Messages in baresip's trace are separated by '#' lines; the one we want is the 200 OK to the INVITE.
  const inviteOk = trace.split(/\n#\n/).find((m) => /^\S+ \S+ -> \S+\nSIP\/2\.0 200 OK/.test(m) && /CSeq: \d+ INVITE/.test(m)) ?? '';
  t.match(trace, /srtp: audio: SRTP is Enabled/, 'baresip runs SRTP on the call');
  const answer = mediaOf(inviteOk);
  t.equal(answer.proto, 'RTP/SAVP', 'baresip got an SRTP answer');
  t.match(inviteOk, /a=crypto:\d+ AES_CM_128_HMAC_SHA1_(80|32) inline:/, 'with an SDES key');
  t.ok(answer.port >= rtp.portMin && answer.port <= rtp.portMax, `at an rtpengine port (${answer.port})`);

  const hungUp = await phone.command('hangup');
  t.ok(hungUp.ok, 'hangup accepted');
  await phone.waitForEvent('CALL_CLOSED', 10_000);
  const r = await pbx.finish(10_000);
  t.equal(r.successful, 1, `the call server saw the whole call, BYE included (${r.errors})`);
  const end = Date.now() + 5000;
  let left = await rtp.sessions();
  while (left.length > 0 && Date.now() < end) {
    await new Promise((res) => setTimeout(res, 100));
    left = await rtp.sessions();
  }
  t.same(left, [], 'no rtpengine session left');

  const log = await readFile(join(pbx.logDir, 'messages.log'), 'utf8');
  const invite = log.slice(log.indexOf('INVITE sip:1000@'));
  const offer = invite.slice(invite.indexOf('v=0'), invite.indexOf('\n-----') > 0 ? invite.indexOf('\n-----') : undefined);
  const seen = mediaOf(offer);
  t.equal(seen.address, '127.0.0.1');
  t.ok(seen.port >= rtp.portMin && seen.port <= rtp.portMax, `the call server sees an rtpengine port (${seen.port})`);
  t.equal(seen.proto, 'RTP/AVP', 'plain RTP toward the call server');
  t.notMatch(offer, /a=crypto/, 'no crypto line toward the call server');
});
