// UAS side of the drachtio server (spec 11, 12): network requests reach the app as srf frames, the app's
// sloppy responses are completed from the stored request, dialogs route ACK/BYE, CANCEL and timeouts.
import t from 'tap';
import { buildRequest, headerValue, headerValues, type SipMessage, type SipRequest } from '../../../helpers/sip-message.js';
import { isMethod, isSipFrame, isStatus, Peer, startUa } from './harness.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

function invite(peer: Peer, callId: string, extra: Array<[string, string]> = []) {
  return buildRequest({
    method: 'INVITE', uri: 'sip:bob@127.0.0.1', transport: peer.transport.toUpperCase(), sentBy: peer.sentBy,
    from: '"Alice" <sip:alice@127.0.0.1>', fromTag: 'ftag-' + callId, to: '<sip:bob@127.0.0.1>', callId, cseq: 10,
    contact: `<sip:alice@${peer.sentBy}>`, headers: extra, body: SDP,
  });
}

function inDialog(peer: Peer, method: string, callId: string, toTag: string, cseq: number): string {
  return buildRequest({
    method, uri: `sip:bob@127.0.0.1`, transport: peer.transport.toUpperCase(), sentBy: peer.sentBy,
    from: '"Alice" <sip:alice@127.0.0.1>', fromTag: 'ftag-' + callId, to: '<sip:bob@127.0.0.1>', toTag, callId, cseq,
  });
}

/** srf-style response text: lower-case headers, no Via (spec 6.3). */
function appResponse(status: number, reason: string, req: SipRequest, extra: string[] = [], body = ''): string {
  return [
    `SIP/2.0 ${status} ${reason}`,
    `Call-ID: ${headerValue(req, 'call-id')}`,
    `cseq: ${headerValue(req, 'cseq')}`,
    `from: ${headerValue(req, 'from')}`,
    `to: ${headerValue(req, 'to')}`,
    `Content-Length: ${body.length}`,
    ...extra,
    '',
    body,
  ].join('\r\n');
}

t.test('no app routed the method: 503', async (t) => {
  const ua = await startUa(t, { routes: [] });
  const peer = await Peer.udp(t, ua.udpPort);
  peer.send(buildRequest({ method: 'OPTIONS', uri: 'sip:x@127.0.0.1', transport: 'UDP', sentBy: peer.sentBy, from: '<sip:a@b>', to: '<sip:x@127.0.0.1>' }));
  const res = await peer.next(isStatus(503));
  t.ok(res, '503 Service Unavailable');
  t.equal(ua.app.frames.length, 0);
});

t.test('INVITE answered by the app, ACK and BYE in the dialog', async (t) => {
  const ua = await startUa(t);
  const peer = await Peer.udp(t, ua.udpPort);
  peer.send(invite(peer, 'c1', [['Record-Route', '<sip:rr.example;lr>'], ['X-In', 'yes']]));
  await peer.next(isStatus(100), '100 Trying');
  const f = await ua.app.next(isSipFrame, 'INVITE frame');
  t.ok(f.fields.length > 9, 'more than 9 fields');
  t.equal(f.fields[2], 'network');
  t.equal(f.fields[4], 'udp');
  t.equal(f.fields[5], '127.0.0.1');
  t.equal(f.fields[6], String(peer.port));
  t.equal(f.fields[9], '', 'no dialog id on a new request');
  t.equal(f.fields[10], '127.0.0.1', 'receivedOn host');
  t.equal(f.fields[11], String(ua.udpPort), 'receivedOn port');
  t.match(f.sip, /^INVITE sip:bob@127\.0\.0\.1 SIP\/2\.0\r\n/);
  t.match(f.sip, /X-In: yes/);
  const txnId = f.fields[8]!;
  const req = (await import('../../../helpers/sip-message.js')).parseSipMessage(f.sip) as SipRequest;

  const ringing = await ua.app.sip(txnId, '', appResponse(180, 'Ringing', req));
  t.equal(ringing.fields[3], 'OK');
  const r180 = await peer.next(isStatus(180));
  const tag = /;tag=([^;]+)/.exec(headerValue(r180, 'to')!)![1]!;
  t.ok(tag.length > 0, 'To tag on the 180');
  t.equal(headerValues(r180, 'contact').length, 0, 'no Contact on an unreliable 18x');

  const echo = await ua.app.sip(txnId, '', appResponse(200, 'OK', req, ['X-Custom: yes', 'user-agent: test', 'Via: SIP/2.0/UDP evil'], SDP));
  t.equal(echo.fields[3], 'OK');
  t.equal(echo.fields[10], txnId);
  t.equal(echo.fields[11], 'c1;from-tag=ftag-c1', 'dialog id in the echo');
  t.match(echo.sip, /^SIP\/2\.0 200 OK\r\n/);
  const ok = await peer.next(isStatus(200));
  t.equal(headerValue(ok, 'to'), `<sip:bob@127.0.0.1>;tag=${tag}`, 'same To tag for the whole transaction');
  t.equal(headerValue(ok, 'contact'), `<sip:127.0.0.1:${ua.udpPort}>`, 'engine Contact on the 2xx');
  t.same(headerValues(ok, 'record-route'), ['<sip:rr.example;lr>'], 'Record-Route copied');
  t.equal(headerValue(ok, 'x-custom'), 'yes');
  t.match(ok.raw, /\r\nUser-Agent: test\r\n/, 'canonical header name');
  t.equal(headerValues(ok, 'via').length, 1, 'app Via dropped');
  t.equal(headerValue(ok, 'content-type'), 'application/sdp', 'SDP content type inferred');
  t.equal(ok.body, SDP);
  t.equal(ua.server.stats.dialogs, 1);

  peer.send(inDialog(peer, 'ACK', 'c1', tag, 10));
  const ackFrame = await ua.app.next(isSipFrame, 'ACK frame');
  t.match(ackFrame.sip, /^ACK /);
  t.equal(ackFrame.fields[8], txnId, 'ACK carries the INVITE transaction id');
  t.equal(ackFrame.fields[9], 'c1;from-tag=ftag-c1');

  peer.send(inDialog(peer, 'BYE', 'c1', tag, 11));
  const bye = await ua.app.next(isSipFrame, 'BYE frame');
  t.match(bye.sip, /^BYE /);
  t.equal(bye.fields[9], 'c1;from-tag=ftag-c1');
  t.equal(bye.fields.length, 11, 'no receivedOn in dialog');
  t.equal(ua.server.stats.dialogs, 0, 'dialog removed when the BYE arrives');
  const byeReq = (await import('../../../helpers/sip-message.js')).parseSipMessage(bye.sip) as SipRequest;
  const byeEcho = await ua.app.sip(bye.fields[8]!, '', appResponse(200, 'OK', byeReq));
  t.equal(byeEcho.fields[3], 'OK');
  t.equal(byeEcho.fields[11], '', 'no dialog id for a BYE response');
  await peer.next((m) => m.kind === 'response' && m.status === 200 && /BYE/.test(headerValue(m, 'cseq')!));
  const again = await ua.app.sip(bye.fields[8]!, '', appResponse(200, 'OK', byeReq));
  t.equal(again.fields[3], 'NOK');
  t.equal(again.fields[4], 'Response not sent due to unknown transaction');
});

t.test('CANCEL before the answer: 200, 487, CANCEL frame; a later app response is refused', async (t) => {
  const ua = await startUa(t);
  const peer = await Peer.udp(t, ua.udpPort);
  const text = invite(peer, 'c2');
  peer.send(text);
  const f = await ua.app.next(isSipFrame);
  const branch = /branch=([^;\r\n]+)/.exec(text)![1]!;
  peer.send(
    buildRequest({
      method: 'CANCEL', uri: 'sip:bob@127.0.0.1', transport: 'UDP', sentBy: peer.sentBy, branch,
      from: '"Alice" <sip:alice@127.0.0.1>', fromTag: 'ftag-c2', to: '<sip:bob@127.0.0.1>', callId: 'c2', cseq: 10,
    }),
  );
  const r200 = await peer.next((m) => m.kind === 'response' && m.status === 200);
  t.match(headerValue(r200, 'cseq')!, /CANCEL/);
  const r487 = await peer.next(isStatus(487));
  t.match(headerValue(r487, 'cseq')!, /INVITE/);
  const cf = await ua.app.next(isSipFrame, 'CANCEL frame');
  t.match(cf.sip, /^CANCEL /);
  t.equal(cf.fields[8], f.fields[8], 'CANCEL frame carries the INVITE transaction id');
  const req = (await import('../../../helpers/sip-message.js')).parseSipMessage(f.sip) as SipRequest;
  const late = await ua.app.sip(f.fields[8]!, '', appResponse(487, 'Request Terminated', req));
  t.equal(late.fields[3], 'NOK');
  t.equal(late.fields[4], 'Response not sent due to unknown transaction');
});

t.test('stray BYE gets 481; in-dialog request after the owner left gets 481', async (t) => {
  const ua = await startUa(t);
  const peer = await Peer.udp(t, ua.udpPort);
  peer.send(inDialog(peer, 'BYE', 'nope', 'xyz', 2));
  t.ok(await peer.next(isStatus(481)), 'out-of-dialog BYE');

  peer.send(invite(peer, 'c3'));
  const f = await ua.app.next(isSipFrame);
  const req = (await import('../../../helpers/sip-message.js')).parseSipMessage(f.sip) as SipRequest;
  await ua.app.sip(f.fields[8]!, '', appResponse(200, 'OK', req, [], SDP));
  const ok = await peer.next(isStatus(200));
  const tag = /;tag=([^;]+)/.exec(headerValue(ok, 'to')!)![1]!;
  peer.send(inDialog(peer, 'ACK', 'c3', tag, 10));
  await ua.app.next(isSipFrame);
  ua.app.close();
  peer.send(inDialog(peer, 'INFO', 'c3', tag, 11));
  t.ok(await peer.next(isStatus(481)), 'owner gone');
});

t.test('app disconnect answers its pending requests 503; silence answers 408', async (t) => {
  const ua = await startUa(t, { appTimeoutMs: 200 });
  const peer = await Peer.udp(t, ua.udpPort);
  peer.send(buildRequest({ method: 'OPTIONS', uri: 'sip:x@127.0.0.1', transport: 'UDP', sentBy: peer.sentBy, from: '<sip:a@b>', to: '<sip:x@127.0.0.1>' }));
  await ua.app.next(isSipFrame);
  t.ok(await peer.next(isStatus(408)), '408 after appTimeoutMs');
  t.equal(ua.server.stats.pending, 0);
  peer.send(buildRequest({ method: 'MESSAGE', uri: 'sip:x@127.0.0.1', transport: 'UDP', sentBy: peer.sentBy, from: '<sip:a@b>', to: '<sip:x@127.0.0.1>' }));
  await ua.app.next(isSipFrame);
  ua.app.close();
  t.ok(await peer.next(isStatus(503)), '503 at once on disconnect');
});

t.test('UDP 2xx is retransmitted until ACK; without ACK the engine sends BYE and the unsolicited frame', async (t) => {
  const ua = await startUa(t, { T1: 20 });
  const peer = await Peer.udp(t, ua.udpPort);
  peer.send(invite(peer, 'c4'));
  const f = await ua.app.next(isSipFrame);
  const req = (await import('../../../helpers/sip-message.js')).parseSipMessage(f.sip) as SipRequest;
  await ua.app.sip(f.fields[8]!, '', appResponse(200, 'OK', req, [], SDP));
  await peer.next(isStatus(200));
  await peer.next(isStatus(200), '2xx retransmission');
  const bye = await peer.next(isMethod('BYE'), 'BYE after 64*T1', 5000);
  t.match(headerValue(bye, 'reason')!, /ACK timeout/);
  t.equal((bye as SipRequest).uri, `sip:alice@${peer.sentBy}`, 'BYE to the remote target');
  const uf = await ua.app.next((fr) => isSipFrame(fr) && fr.fields[8] === 'unsolicited', 'unsolicited BYE frame');
  t.equal(uf.fields[2], 'application');
  t.equal(uf.fields[9], 'c4;from-tag=ftag-c4');
  t.equal(ua.server.stats.dialogs, 0);
  void (null as unknown as SipMessage);
});

t.test('over TCP: responses on the arrival connection, no 2xx retransmission, re-INVITE ACK with a fresh id, app BYE on the same connection', async (t) => {
  const ua = await startUa(t, { T1: 20 });
  const peer = await Peer.tcp(t, ua.tcpPort);
  peer.send(invite(peer, 'c5'));
  const f = await ua.app.next(isSipFrame);
  t.equal(f.fields[4], 'tcp');
  const { parseSipMessage } = await import('../../../helpers/sip-message.js');
  const req = parseSipMessage(f.sip) as SipRequest;
  await ua.app.sip(f.fields[8]!, '', appResponse(200, 'OK', req, [], SDP));
  const ok = await peer.next(isStatus(200));
  t.equal(headerValue(ok, 'contact'), `<sip:127.0.0.1:${ua.tcpPort};transport=tcp>`);
  const tag = /;tag=([^;]+)/.exec(headerValue(ok, 'to')!)![1]!;
  await new Promise((r) => setTimeout(r, 100));
  t.equal(peer.received.filter((m) => m.kind === 'response' && m.status === 200).length, 1, 'no retransmission over TCP');
  peer.send(inDialog(peer, 'ACK', 'c5', tag, 10));
  const ackF = await ua.app.next(isSipFrame);
  t.equal(ackF.fields[8], f.fields[8]);

  const reinvite = buildRequest({
    method: 'INVITE', uri: `sip:127.0.0.1:${ua.tcpPort};transport=tcp`, transport: 'TCP', sentBy: peer.sentBy, from: '"Alice" <sip:alice@127.0.0.1>',
    fromTag: 'ftag-c5', to: '<sip:bob@127.0.0.1>', toTag: tag, callId: 'c5', cseq: 11, contact: `<sip:alice@${peer.sentBy};transport=tcp>`, body: SDP,
  });
  peer.send(reinvite);
  const rf = await ua.app.next(isSipFrame, 're-INVITE frame');
  t.equal(rf.fields[9], 'c5;from-tag=ftag-c5');
  const rreq = parseSipMessage(rf.sip) as SipRequest;
  const rEcho = await ua.app.sip(rf.fields[8]!, '', appResponse(200, 'OK', rreq, [], SDP));
  t.equal(rEcho.fields[11], 'c5;from-tag=ftag-c5', 'dialog id on the re-INVITE response echo');
  const rok = await peer.next((m) => m.kind === 'response' && m.status === 200 && /11 INVITE/.test(headerValue(m, 'cseq')!));
  t.ok(headerValue(rok, 'contact'), 'Contact on a re-INVITE response');
  peer.send(inDialog(peer, 'ACK', 'c5', tag, 11));
  const rack = await ua.app.next(isSipFrame);
  t.match(rack.sip, /^ACK /);
  t.not(rack.fields[8], f.fields[8], 're-INVITE ACK gets a fresh transaction id');

  const byeEcho = await ua.app.sip('', 'c5;from-tag=ftag-c5', 'BYE sip:placeholder SIP/2.0\r\nContent-Length: 0\r\n\r\n');
  t.equal(byeEcho.fields[3], 'OK');
  const bye = (await peer.next(isMethod('BYE'))) as SipRequest;
  t.equal(bye.uri, `sip:alice@${peer.sentBy};transport=tcp`, 'remote target refreshed by the re-INVITE');
  t.match(headerValue(bye, 'to')!, /tag=ftag-c5/, 'To is the peer with its tag');
  t.match(headerValue(bye, 'from')!, new RegExp(`tag=${tag}`), 'From is us with our tag');
});

t.test('NOTIFY with Subscription-State: terminated ends a SUBSCRIBE dialog', async (t) => {
  const ua = await startUa(t);
  const peer = await Peer.udp(t, ua.udpPort);
  peer.send(buildRequest({ method: 'SUBSCRIBE', uri: 'sip:bob@127.0.0.1', transport: 'UDP', sentBy: peer.sentBy, from: '<sip:a@127.0.0.1>', fromTag: 'fs',
    to: '<sip:bob@127.0.0.1>', callId: 's1', cseq: 1, contact: `<sip:a@${peer.sentBy}>`, headers: [['Event', 'presence'], ['Expires', '60']] }));
  const f = await ua.app.next(isSipFrame);
  const { parseSipMessage } = await import('../../../helpers/sip-message.js');
  const req = parseSipMessage(f.sip) as SipRequest;
  const echo = await ua.app.sip(f.fields[8]!, '', appResponse(202, 'Accepted', req, ['Expires: 60']));
  t.equal(echo.fields[11], 's1;from-tag=fs');
  const ok = await peer.next(isStatus(202));
  t.ok(headerValue(ok, 'contact'), 'Contact on a 2xx to SUBSCRIBE');
  const tag = /;tag=([^;]+)/.exec(headerValue(ok, 'to')!)![1]!;
  t.equal(ua.server.stats.dialogs, 1);
  peer.send(buildRequest({ method: 'NOTIFY', uri: 'sip:bob@127.0.0.1', transport: 'UDP', sentBy: peer.sentBy, from: '<sip:a@127.0.0.1>', fromTag: 'fs',
    to: '<sip:bob@127.0.0.1>', toTag: tag, callId: 's1', cseq: 2, headers: [['Event', 'presence'], ['Subscription-State', 'terminated;reason=timeout']] }));
  const nf = await ua.app.next(isSipFrame);
  t.equal(nf.fields[9], 's1;from-tag=fs');
  t.equal(ua.server.stats.dialogs, 0, 'dialog ended');
});

t.test('command failures: missing transaction id, closed arrival connection, proxy without a proxy part', async (t) => {
  const ua = await startUa(t);
  const noTxn = await ua.app.sip('', '', 'SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n');
  t.equal(noTxn.fields[3], 'NOK');
  t.equal(noTxn.fields[4], 'transaction id missing');

  const peer = await Peer.tcp(t, ua.tcpPort);
  peer.send(buildRequest({ method: 'OPTIONS', uri: 'sip:x@127.0.0.1', transport: 'TCP', sentBy: peer.sentBy, from: '<sip:a@b>', to: '<sip:x@127.0.0.1>' }));
  const f = await ua.app.next(isSipFrame);
  peer.close();
  const { parseSipMessage } = await import('../../../helpers/sip-message.js');
  const req = parseSipMessage(f.sip) as SipRequest;
  let reply;
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    if (ua.engine.transport.connectionCount === 0) break;
  }
  reply = await ua.app.sip(f.fields[8]!, '', appResponse(200, 'OK', req));
  t.equal(reply.fields[3], 'NOK');
  t.equal(reply.fields[4], 'transport for response has been shutdown or closed');

  ua.server.onProxyCommand(ua.app, { msgId: 'px', type: 'proxy', fields: ['px', 'proxy', f.fields[8]!], sipText: '' });
  const px = await ua.app.next((fr) => fr.fields[2] === 'px');
  t.equal(px.fields[3], 'NO');
  t.equal(px.fields[4], 'proxy not supported');
});

t.test('a BYE right after the ACK is held back from the app for a moment; the dialog still goes at once', async (t) => {
  const ua = await startUa(t);
  const peer = await Peer.udp(t, ua.udpPort);
  peer.send(invite(peer, 'c9'));
  const f = await ua.app.next(isSipFrame, 'INVITE frame');
  const req = (await import('../../../helpers/sip-message.js')).parseSipMessage(f.sip) as SipRequest;
  await ua.app.sip(f.fields[8]!, '', appResponse(200, 'OK', req, [], SDP));
  const echoedAt = performance.now();
  const ok = await peer.next(isStatus(200));
  const tag = /;tag=([^;]+)/.exec(headerValue(ok, 'to')!)![1]!;
  peer.send(inDialog(peer, 'ACK', 'c9', tag, 10));
  peer.send(inDialog(peer, 'BYE', 'c9', tag, 11));
  const ack = await ua.app.next(isSipFrame, 'ACK frame');
  t.match(ack.sip, /^ACK /, 'the ACK is not held');
  // spec 11.4: the dialog goes when the BYE arrives, while its frame is still held.
  const until = Date.now() + 2000;
  while (ua.server.stats.dialogs !== 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  t.equal(ua.server.stats.dialogs, 0, 'dialog removed on arrival');
  t.notOk(ua.app.frames.some((fr) => isSipFrame(fr) && /^BYE /.test(fr.sip)), 'BYE frame not delivered yet');
  const bye = await ua.app.next(isSipFrame, 'BYE frame');
  t.match(bye.sip, /^BYE /);
  // The default hold is 200 ms after the 2xx echo; a little slack for timer granularity.
  t.ok(performance.now() - echoedAt >= 190, 'BYE frame only after the settle window');
  const byeReq = (await import('../../../helpers/sip-message.js')).parseSipMessage(bye.sip) as SipRequest;
  t.equal((await ua.app.sip(bye.fields[8]!, '', appResponse(200, 'OK', byeReq))).fields[3], 'OK', 'the app answers it as usual');
  await peer.next((m) => m.kind === 'response' && m.status === 200 && /BYE/.test(headerValue(m, 'cseq')!));
});
