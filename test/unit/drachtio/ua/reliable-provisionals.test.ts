// Reliable provisionals both ways (spec 12.2, 13.5, RFC 3262): RSeq, retransmission until PRACK, PRACK
// delivery in the early dialog, the 100rel refusal, and UAC PRACKs built in the early dialog.
import t from 'tap';
import { FakeClock } from '../../../../lib/engine/timers/fake-clock.js';
import { ReliableProvisionals } from '../../../../lib/engine/drachtio/ua/reliable-provisionals.js';
import { buildRequest, buildResponse, cseqOf, headerValue, parseSipMessage, type SipRequest } from '../../../helpers/sip-message.js';
import { isMethod, isSipFrame, isStatus, Peer, startUa } from './harness.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

function appResponse(status: number, reason: string, req: SipRequest, extra: string[] = [], body = ''): string {
  return [`SIP/2.0 ${status} ${reason}`, `Call-ID: ${headerValue(req, 'call-id')}`, `cseq: ${headerValue(req, 'cseq')}`,
    `from: ${headerValue(req, 'from')}`, `to: ${headerValue(req, 'to')}`, `Content-Length: ${body.length}`, ...extra, '', body].join('\r\n');
}

t.test('ReliableProvisionals: T1 doubling until acknowledged, give-up after 64*T1', async (t) => {
  const clock = new FakeClock();
  const rp = new ReliableProvisionals(clock, 100, 400);
  let resent = 0;
  let timedOut = 0;
  rp.start('d', 7, true, () => resent++, () => timedOut++);
  clock.advance(100);
  clock.advance(200);
  t.equal(resent, 2);
  t.equal(rp.acknowledge('d', '7 1 INVITE'), true);
  clock.advance(10_000);
  t.equal(resent, 2, 'stopped by the PRACK');
  t.equal(timedOut, 0);
  rp.start('d', 8, false, () => resent++, () => timedOut++);
  clock.advance(6400);
  t.equal(timedOut, 1);
  t.equal(resent, 2, 'no retransmission on reliable transports');
  t.equal(rp.size, 0);
});

t.test('UAS: 183 with Require: 100rel goes out reliably; the PRACK reaches the app in the early dialog', async (t) => {
  const ua = await startUa(t, { T1: 20 });
  const peer = await Peer.udp(t, ua.udpPort);
  peer.send(buildRequest({ method: 'INVITE', uri: 'sip:bob@127.0.0.1', transport: 'UDP', sentBy: peer.sentBy, from: '<sip:a@127.0.0.1>', fromTag: 'f1',
    to: '<sip:bob@127.0.0.1>', callId: 'rel1', cseq: 5, contact: `<sip:a@${peer.sentBy}>`, headers: [['Supported', '100rel']], body: SDP }));
  const f = await ua.app.next(isSipFrame);
  const req = parseSipMessage(f.sip) as SipRequest;
  const echo = await ua.app.sip(f.fields[8]!, '', appResponse(183, 'Session Progress', req, ['require: 100rel'], SDP));
  t.equal(echo.fields[3], 'OK');
  t.equal(echo.fields[11], 'rel1;from-tag=f1');
  const r183 = await peer.next(isStatus(183));
  const rseq = Number(headerValue(r183, 'rseq'));
  t.ok(rseq > 0, 'RSeq added');
  t.ok(headerValue(r183, 'contact'), 'Contact on a reliable 1xx');
  await peer.next(isStatus(183), 'retransmitted until PRACK');
  const tag = /;tag=(.+)$/.exec(headerValue(r183, 'to')!)![1]!;
  peer.send(buildRequest({ method: 'PRACK', uri: `sip:127.0.0.1:${ua.udpPort}`, transport: 'UDP', sentBy: peer.sentBy, from: '<sip:a@127.0.0.1>', fromTag: 'f1',
    to: '<sip:bob@127.0.0.1>', toTag: tag, callId: 'rel1', cseq: 6, headers: [['RAck', `${rseq} 5 INVITE`]] }));
  const pf = await ua.app.next(isSipFrame, 'PRACK frame');
  t.match(pf.sip, /^PRACK /);
  t.equal(pf.fields[9], 'rel1;from-tag=f1');
  const prack = parseSipMessage(pf.sip) as SipRequest;
  t.equal((await ua.app.sip(pf.fields[8]!, '', appResponse(200, 'OK', prack))).fields[3], 'OK');
  await peer.next((m) => m.kind === 'response' && m.status === 200 && /PRACK/.test(headerValue(m, 'cseq')!));
  const count = peer.received.filter((m) => m.kind === 'response' && m.status === 183).length;
  await new Promise((r) => setTimeout(r, 150));
  t.equal(peer.received.filter((m) => m.kind === 'response' && m.status === 183).length, count, 'no retransmission after the PRACK');
  await ua.app.sip(f.fields[8]!, '', appResponse(200, 'OK', req, [], SDP));
  const ok = await peer.next(isStatus(200));
  t.match(headerValue(ok, 'to')!, new RegExp(`;tag=${tag}$`), 'same tag as the 183');
});

t.test('UAS: reliable 1xx refused when the INVITE did not offer 100rel', async (t) => {
  const ua = await startUa(t);
  const peer = await Peer.udp(t, ua.udpPort);
  peer.send(buildRequest({ method: 'INVITE', uri: 'sip:bob@127.0.0.1', transport: 'UDP', sentBy: peer.sentBy, from: '<sip:a@127.0.0.1>', to: '<sip:bob@127.0.0.1>', body: SDP }));
  const f = await ua.app.next(isSipFrame);
  const req = parseSipMessage(f.sip) as SipRequest;
  const r = await ua.app.sip(f.fields[8]!, '', appResponse(183, 'Session Progress', req, ['require: 100rel'], SDP));
  t.equal(r.fields[3], 'NOK');
  t.equal(r.fields[4], 'Remote endpoint does not support 100rel');
});

t.test('UAC: a reliable 183 creates the early dialog; the app PRACK is built in it', async (t) => {
  const ua = await startUa(t);
  const peer = await Peer.udp(t, ua.udpPort);
  const echo = await ua.app.sip('', '', `INVITE sip:bob@${peer.sentBy} SIP/2.0\r\nSupported: 100rel\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`);
  const inv = (await peer.next(isMethod('INVITE'))) as SipRequest;
  peer.send(buildResponse(inv, 183, 'Session Progress', { toTag: 'pt', headers: [['Require', '100rel'], ['RSeq', '42'], ['Contact', `<sip:bob@${peer.sentBy};x=1>`]], body: SDP }));
  const f = await ua.app.next(isSipFrame);
  const dialogId = f.fields[9]!;
  t.equal(f.fields[8], echo.fields[10]);
  t.ok(dialogId.length > 0);
  const pr = await ua.app.sip('', dialogId, `PRACK sip:bob@${peer.sentBy} SIP/2.0\r\nrack: 42 ${cseqOf(inv).seq} INVITE\r\nContent-Length: 0\r\n\r\n`);
  t.equal(pr.fields[3], 'OK');
  const prack = (await peer.next(isMethod('PRACK'))) as SipRequest;
  t.equal(prack.uri, `sip:bob@${peer.sentBy};x=1`, 'remote target from the 183 Contact');
  t.equal(headerValue(prack, 'rack'), `42 ${cseqOf(inv).seq} INVITE`, 'the app RAck kept');
  t.equal(cseqOf(prack).seq, cseqOf(inv).seq + 1);
  peer.send(buildResponse(prack, 200, 'OK'));
  const pf = await ua.app.next(isSipFrame);
  t.equal(pf.fields[8], pr.fields[10], 'PRACK response with the PRACK transaction id');
});
