// UAC side of the drachtio server (spec 13): requests apps send are completed and echoed before any response,
// responses come back as frames, ACK for 2xx is built from the dialog, non-2xx ACKs are the engine's own,
// in-dialog requests and timeouts, and REGISTER-learned TCP connections are reused (spec 14.4).
import t from 'tap';
import { buildRequest, buildResponse, cseqOf, headerValue, parseSipMessage, type SipRequest } from '../../../helpers/sip-message.js';
import { isMethod, isSipFrame, Peer, startUa } from './harness.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

function appInvite(uri: string, extra: string[] = []): string {
  return [`INVITE ${uri} SIP/2.0`, 'X-Foo: bar', 'from: sip:+15551234@localhost', 'contact: sip:+15551234@localhost', ...extra, `Content-Length: ${SDP.length}`, '', SDP].join('\r\n');
}

t.test('INVITE: echo first, every response delivered, ACK for 2xx from the dialog, BYE ends it', async (t) => {
  const ua = await startUa(t);
  const peer = await Peer.udp(t, ua.udpPort);
  const echo = await ua.app.sip('', '', appInvite(`sip:bob@${peer.sentBy}`));
  t.equal(echo.fields[3], 'OK');
  t.equal(echo.fields[11], 'Msg sent:');
  const txnId = echo.fields[10]!;
  const sent = parseSipMessage(echo.sip) as SipRequest;
  t.match(headerValue(sent, 'via')!, new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${ua.udpPort};branch=z9hG4bK.+;rport$`));
  t.match(headerValue(sent, 'from')!, new RegExp(`^<sip:\\+15551234@127\\.0\\.0\\.1:${ua.udpPort}>;tag=.+`), 'localhost rewritten, tag added');
  t.equal(headerValue(sent, 'to'), `<sip:bob@${peer.sentBy}>`);
  t.equal(headerValue(sent, 'max-forwards'), '70');
  t.ok(headerValue(sent, 'call-id'));
  t.match(headerValue(sent, 'contact')!, /^<sip:\+15551234@127\.0\.0\.1:\d+>$/);
  t.equal(headerValue(sent, 'x-foo'), 'bar');
  t.equal(headerValue(sent, 'content-type'), 'application/sdp');
  const localTag = /;tag=(.+)$/.exec(headerValue(sent, 'from')!)![1]!;
  const dialogId = `${headerValue(sent, 'call-id')};from-tag=${localTag}`;

  const inv = (await peer.next(isMethod('INVITE'))) as SipRequest;
  t.equal(inv.raw, echo.sip, 'the echo is the request exactly as sent');
  peer.send(buildResponse(inv, 180, 'Ringing', { toTag: 'rtag' }));
  const f180 = await ua.app.next(isSipFrame);
  t.equal(f180.fields[8], txnId);
  t.equal(f180.fields[9], dialogId, 'dialog id on INVITE provisionals');
  const okText = buildResponse(inv, 200, 'OK', { toTag: 'rtag', headers: [['Contact', `<sip:bob@${peer.sentBy}>`], ['Record-Route', '<sip:127.0.0.1:1;lr>']], body: SDP });
  peer.send(okText.replace(/Record-Route: [^\r]+\r\n/, ''));
  const f200 = await ua.app.next(isSipFrame);
  t.match(f200.sip, /^SIP\/2\.0 200 OK/);
  t.equal(f200.fields[9], dialogId);

  const ackEcho = await ua.app.sip('', dialogId, `ACK sip:bob@${peer.sentBy} SIP/2.0\r\nContent-Length: 0\r\n\r\n`);
  t.equal(ackEcho.fields[3], 'OK');
  const ack = (await peer.next(isMethod('ACK'))) as SipRequest;
  t.equal(ack.uri, `sip:bob@${peer.sentBy}`, 'remote target');
  t.same(cseqOf(ack), { seq: cseqOf(inv).seq, method: 'ACK' }, 'INVITE CSeq');
  t.match(headerValue(ack, 'to')!, /;tag=rtag$/);
  // a 200 retransmission is absorbed and answered with the same ACK
  peer.send(okText.replace(/Record-Route: [^\r]+\r\n/, ''));
  const ack2 = (await peer.next(isMethod('ACK'))) as SipRequest;
  t.equal(ack2.raw, ack.raw, 'ACK re-sent for the 200 retransmission');

  const byeEcho = await ua.app.sip('', dialogId, 'BYE sip:placeholder SIP/2.0\r\nContent-Length: 0\r\n\r\n');
  t.equal(byeEcho.fields[3], 'OK');
  const bye = (await peer.next(isMethod('BYE'))) as SipRequest;
  t.equal(bye.uri, `sip:bob@${peer.sentBy}`, 'placeholder replaced by the remote target');
  t.equal(cseqOf(bye).seq, cseqOf(inv).seq + 1, 'CSeq incremented');
  peer.send(buildResponse(bye, 200, 'OK'));
  const fBye = await ua.app.next(isSipFrame);
  t.equal(fBye.fields[8], byeEcho.fields[10]);
  t.equal(fBye.fields[9], dialogId);
  t.equal(ua.app.frames.filter((f) => isSipFrame(f) && /^SIP\/2\.0 200/.test(f.sip) && /INVITE/.test(f.sip.split('\r\n').find((l) => /^cseq/i.test(l)) ?? '')).length, 1, '200 retransmission not delivered');
  const late = await ua.app.sip('', dialogId, 'INFO sip:placeholder SIP/2.0\r\nContent-Length: 0\r\n\r\n');
  t.equal(late.fields[3], 'NOK');
  t.equal(late.fields[4], 'Server error: unable to find dialog for dialog id provided');
});

t.test('486: the engine ACKs it, the app ACK gets NOK', async (t) => {
  const ua = await startUa(t);
  const peer = await Peer.udp(t, ua.udpPort);
  const echo = await ua.app.sip('', '', appInvite(`sip:carol@${peer.sentBy}`));
  const inv = (await peer.next(isMethod('INVITE'))) as SipRequest;
  peer.send(buildResponse(inv, 486, 'Busy Here', { toTag: 'busy' }));
  const f = await ua.app.next(isSipFrame);
  t.equal(f.fields[8], echo.fields[10]);
  t.match(f.sip, /^SIP\/2\.0 486/);
  const ack = await peer.next(isMethod('ACK'));
  t.equal(cseqOf(ack).method, 'ACK');
  const appAck = await ua.app.sip('', f.fields[9]!, `ACK sip:carol@${peer.sentBy} SIP/2.0\r\nContent-Length: 0\r\n\r\n`);
  t.equal(appAck.fields[3], 'NOK');
  t.equal(appAck.fields[4], 'ACK for non-success final response is automatically generated by server');
  await new Promise((r) => setTimeout(r, 50));
  t.equal(peer.received.filter((m) => m.kind === 'request' && m.method === 'ACK').length, 1, 'one ACK on the wire');
});

t.test('CANCEL is held until a provisional, then sent; unknown transaction NOK', async (t) => {
  const ua = await startUa(t);
  const peer = await Peer.udp(t, ua.udpPort);
  const echo = await ua.app.sip('', '', appInvite(`sip:dave@${peer.sentBy}`));
  const inv = (await peer.next(isMethod('INVITE'))) as SipRequest;
  const c = await ua.app.sip(echo.fields[10]!, '', `CANCEL sip:dave@${peer.sentBy} SIP/2.0\r\nReason: SIP;cause=487\r\nfrom: <sip:x@y>\r\nContent-Length: 0\r\n\r\n`);
  t.equal(c.fields[3], 'OK');
  t.not(c.fields[10], echo.fields[10], 'fresh transaction id');
  await new Promise((r) => setTimeout(r, 50));
  t.equal(peer.received.filter((m) => m.kind === 'request' && m.method === 'CANCEL').length, 0, 'held before any provisional');
  peer.send(buildResponse(inv, 180, 'Ringing', { toTag: 't' }));
  const cancel = await peer.next(isMethod('CANCEL'));
  t.equal(headerValue(cancel, 'reason'), 'SIP;cause=487');
  t.equal(headerValue(cancel, 'from'), headerValue(inv, 'from'), 'app From ignored');
  const bad = await ua.app.sip('nope', '', `CANCEL sip:dave@${peer.sentBy} SIP/2.0\r\nContent-Length: 0\r\n\r\n`);
  t.equal(bad.fields[4], 'unable to cancel unknown transaction id: nope');
});

t.test('no response: engine-generated 408 frame; request to myself refused', async (t) => {
  const ua = await startUa(t, { T1: 10 });
  const peer = await Peer.udp(t, ua.udpPort);
  const echo = await ua.app.sip('', '', `OPTIONS sip:x@${peer.sentBy} SIP/2.0\r\nContent-Length: 0\r\n\r\n`);
  t.equal(echo.fields[3], 'OK');
  const f = await ua.app.next(isSipFrame, '408 frame', 5000);
  t.match(f.sip, /^SIP\/2\.0 408 /);
  t.equal(f.fields[8], echo.fields[10]);
  t.equal(f.fields[9], '', 'no dialog id for OPTIONS');
  const me = await ua.app.sip('', '', `OPTIONS sip:127.0.0.1:${ua.udpPort} SIP/2.0\r\nContent-Length: 0\r\n\r\n`);
  t.equal(me.fields[3], 'NOK');
  t.equal(me.fields[4], 'can not send request to myself');
  const noCt = await ua.app.sip('', '', `MESSAGE sip:x@${peer.sentBy} SIP/2.0\r\nContent-Length: 5\r\n\r\nhello`);
  t.equal(noCt.fields[4], 'missing content-type');
});

t.test('REGISTER over TCP answered 200 binds the connection; a later OPTIONS/INVITE uses it', async (t) => {
  const ua = await startUa(t);
  const phone = await Peer.tcp(t, ua.tcpPort);
  phone.send(
    buildRequest({
      method: 'REGISTER', uri: 'sip:127.0.0.1', transport: 'TCP', sentBy: 'phone.invalid:5060', from: '<sip:alice@example.com>',
      to: '<sip:alice@example.com>', contact: '<sip:alice@phone.invalid;transport=tcp>', headers: [['Expires', '600']],
    }),
  );
  const f = await ua.app.next(isSipFrame);
  t.equal(f.fields[4], 'tcp');
  const req = parseSipMessage(f.sip) as SipRequest;
  const resText = [
    'SIP/2.0 200 OK', `Call-ID: ${headerValue(req, 'call-id')}`, `cseq: ${headerValue(req, 'cseq')}`, `from: ${headerValue(req, 'from')}`,
    `to: ${headerValue(req, 'to')}`, 'contact: <sip:alice@phone.invalid;transport=tcp>;expires=600', 'Content-Length: 0', '', '',
  ].join('\r\n');
  const echo = await ua.app.sip(f.fields[8]!, '', resText);
  t.equal(echo.fields[3], 'OK');
  t.equal(echo.fields[11], '', 'no dialog id for REGISTER');
  await phone.next((m) => m.kind === 'response' && m.status === 200);
  t.equal(ua.server.stats.registrations, 1);
  const opt = await ua.app.sip('', '', 'OPTIONS sip:alice@phone.invalid SIP/2.0\r\nContent-Length: 0\r\n\r\n');
  t.equal(opt.fields[3], 'OK', 'no DNS needed: the registration connection is used');
  t.equal(opt.fields[6], 'tcp');
  const o = (await phone.next(isMethod('OPTIONS'))) as SipRequest;
  t.match(headerValue(o, 'via')!, /^SIP\/2\.0\/TCP /);
  phone.send(buildResponse(o, 200, 'OK', { toTag: 'p' }));
  const fr = await ua.app.next(isSipFrame);
  t.match(fr.sip, /^SIP\/2\.0 200 OK/);
  const invEcho = await ua.app.sip('', '', `INVITE sip:alice@phone.invalid SIP/2.0\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`);
  t.equal(invEcho.fields[3], 'OK');
  const inv = await phone.next(isMethod('INVITE'));
  t.equal(headerValue(inv, 'contact'), `<sip:127.0.0.1:${ua.tcpPort};transport=tcp>`, 'default Contact of the TCP listener');
  phone.close();
  await new Promise((r) => setTimeout(r, 100));
  t.equal(ua.server.stats.registrations, 0, 'closed connection leaves the cache');
});

t.test('UPDATE from the callee before the answer reaches the app that sent the INVITE', async (t) => {
  const ua = await startUa(t);
  const peer = await Peer.udp(t, ua.udpPort);
  const echo = await ua.app.sip('', '', appInvite(`sip:erin@${peer.sentBy}`));
  const inv = (await peer.next(isMethod('INVITE'))) as SipRequest;
  peer.send(buildResponse(inv, 180, 'Ringing', { toTag: 'et' }));
  const f180 = await ua.app.next(isSipFrame);
  const ourTag = /;tag=(.+)$/.exec(headerValue(inv, 'from')!)![1]!;
  peer.send(buildRequest({ method: 'UPDATE', uri: headerValue(inv, 'contact')!.replace(/[<>]/g, ''), transport: 'UDP', sentBy: peer.sentBy,
    from: `<sip:erin@${peer.sentBy}>`, fromTag: 'et', to: headerValue(inv, 'from')!.replace(/;tag=.*$/, ''), toTag: ourTag,
    callId: headerValue(inv, 'call-id'), cseq: 1, body: SDP }));
  const uf = await ua.app.next(isSipFrame, 'UPDATE frame');
  t.match(uf.sip, /^UPDATE /);
  t.equal(uf.fields[9], f180.fields[9], 'with the INVITE dialog id');
  t.not(uf.fields[8], echo.fields[10]);
  const upd = parseSipMessage(uf.sip) as SipRequest;
  const resText = ['SIP/2.0 200 OK', `Call-ID: ${headerValue(upd, 'call-id')}`, `cseq: ${headerValue(upd, 'cseq')}`, `from: ${headerValue(upd, 'from')}`,
    `to: ${headerValue(upd, 'to')}`, `Content-Length: ${SDP.length}`, '', SDP].join('\r\n');
  t.equal((await ua.app.sip(uf.fields[8]!, '', resText)).fields[3], 'OK');
  const ok = await peer.next((m) => m.kind === 'response' && m.status === 200 && /UPDATE/.test(headerValue(m, 'cseq')!));
  t.equal(headerValue(ok, 'content-type'), 'application/sdp');
});

t.test('BYE while the app re-INVITE is pending: CANCEL first, then BYE', async (t) => {
  const ua = await startUa(t);
  const peer = await Peer.udp(t, ua.udpPort);
  await ua.app.sip('', '', appInvite(`sip:fay@${peer.sentBy}`));
  const inv = (await peer.next(isMethod('INVITE'))) as SipRequest;
  peer.send(buildResponse(inv, 200, 'OK', { toTag: 'ft', headers: [['Contact', `<sip:fay@${peer.sentBy}>`]], body: SDP }));
  const f200 = await ua.app.next(isSipFrame);
  const dialogId = f200.fields[9]!;
  await ua.app.sip('', dialogId, `ACK sip:fay@${peer.sentBy} SIP/2.0\r\nContent-Length: 0\r\n\r\n`);
  await peer.next(isMethod('ACK'));
  const re = await ua.app.sip('', dialogId, `INVITE sip:placeholder SIP/2.0\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`);
  t.equal(re.fields[3], 'OK');
  const reinv = (await peer.next(isMethod('INVITE'))) as SipRequest;
  t.match(headerValue(reinv, 'contact')!, /^<sip:\+15551234@127\.0\.0\.1:\d+>$/, 'dialog local contact on the re-INVITE');
  peer.send(buildResponse(reinv, 100, 'Trying'));
  await ua.app.next(isSipFrame);
  const bye = await ua.app.sip('', dialogId, 'BYE sip:placeholder SIP/2.0\r\nContent-Length: 0\r\n\r\n');
  t.equal(bye.fields[3], 'OK');
  const cancel = await peer.next((m) => m.kind === 'request' && (m.method === 'CANCEL' || m.method === 'BYE'));
  t.equal((cancel as SipRequest).method, 'CANCEL', 'CANCEL goes first');
  t.equal(cseqOf(cancel).seq, cseqOf(reinv).seq);
  const b = await peer.next(isMethod('BYE'));
  t.equal(cseqOf(b).seq, cseqOf(reinv).seq + 1);
});

t.test('a 2xx arriving after the app disconnected leaves no dialog behind', async (t) => {
  const ua = await startUa(t);
  const peer = await Peer.udp(t, ua.udpPort);
  await ua.app.sip('', '', appInvite(`sip:gone@${peer.sentBy}`));
  const inv = (await peer.next(isMethod('INVITE'))) as SipRequest;
  ua.app.close();
  peer.send(buildResponse(inv, 200, 'OK', { toTag: 'late', headers: [['Contact', `<sip:gone@${peer.sentBy}>`]], body: SDP }));
  // Let the 200 reach the engine (it has nothing to send back, so poll the store for a while).
  await new Promise((r) => setTimeout(r, 300));
  t.equal(ua.server.stats.dialogs, 0, 'no ownerless dialog filed');
  t.equal(ua.server.stats.uacRequests, 0);
});
