import t from 'tap';
import {
  cdrFrame,
  no,
  nok,
  okPlain,
  okSentRequest,
  okSentResponse,
  parseCommand,
  proxyContinue,
  proxyDone,
  sipFrame,
  stackTime,
} from '../../../../lib/engine/drachtio/wire/frames.js';

/** Split the way srf's DrachtioAgent#_onMsg does: leader up to the first CR, '|' fields, raw after CR + 2. */
function srfSplit(msg: string): { token: string[]; raw: string | undefined } {
  const pos = msg.indexOf('\r');
  const leader = pos === -1 ? msg : msg.slice(0, pos);
  return { token: leader.split('|'), raw: pos === -1 ? undefined : msg.slice(pos + 2) };
}

const RAW_REQ = 'OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nCall-ID: x\r\n\r\n';
const TIME_RE = /^\d\d:\d\d:\d\d\.\d{6}$/;

t.test('stackTime is HH:MM:SS.uuuuuu UTC', async (t) => {
  t.equal(stackTime(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 67))), '03:04:05.067000');
  t.equal(stackTime(new Date(Date.UTC(2024, 0, 2, 23, 59, 59, 999))), '23:59:59.999000');
  t.match(stackTime(), TIME_RE);
});

t.test('sip frame without dialog has > 9 fields and srf reads every index', async (t) => {
  const f = sipFrame({
    source: 'network', bytes: 42, transport: 'udp', address: '10.0.0.1', port: 5070,
    transactionId: 'txn-1', dialogId: '', raw: RAW_REQ,
  });
  const { token, raw } = srfSplit(f);
  t.ok(token.length > 9);
  t.equal(token.length, 11);
  t.equal(token[1], 'sip');
  t.equal(token[2], 'network');
  t.equal(token[3], '42');
  t.equal(token[4], 'udp');
  t.equal(token[5], '10.0.0.1');
  t.equal(token[6], '5070');
  t.match(token[7], TIME_RE);
  t.equal(token[8], 'txn-1');
  t.equal(token[9], '');
  t.equal(raw, RAW_REQ);
  t.notOk(token.length > 11, 'no receivedOn');
});

t.test('sip frame with dialog id', async (t) => {
  const { token } = srfSplit(sipFrame({
    source: 'application', bytes: 1, transport: 'tcp', address: 'h', port: 1,
    transactionId: 'unsolicited', dialogId: 'dlg;uas', raw: RAW_REQ,
  }));
  t.equal(token.length, 11);
  t.equal(token[2], 'application');
  t.equal(token[8], 'unsolicited');
  t.equal(token[9], 'dlg;uas');
});

t.test('sip frame with receivedOn: fields 10, 11 and an empty session token', async (t) => {
  const { token, raw } = srfSplit(sipFrame({
    source: 'network', bytes: 5, transport: 'tcp', address: '1.1.1.1', port: 1234, transactionId: 't',
    dialogId: '', receivedOn: { host: '127.0.0.1', port: 5060 }, raw: RAW_REQ,
  }));
  t.ok(token.length > 11);
  t.equal(token[10] + ':' + token[11], '127.0.0.1:5060');
  t.equal(token[12], '');
  t.equal(raw, RAW_REQ);
});

t.test('server message ids are unique', async (t) => {
  const ids = new Set<string>();
  for (let i = 0; i < 1000; i++) ids.add(srfSplit(okPlain('x')).token[0]!);
  t.equal(ids.size, 1000);
  t.notOk([...ids].some((id) => id === '' || id.includes('|')));
});

t.test('okSentRequest field positions (spec 6.5)', async (t) => {
  const { token, raw } = srfSplit(okSentRequest({
    appMsgId: 'app-1', bytes: 300, transport: 'udp', address: '192.0.2.1', port: 5080, transactionId: 'ctx-9',
    raw: RAW_REQ,
  }));
  t.equal(token[1], 'response');
  t.equal(token[2], 'app-1');
  t.equal(token[3], 'OK');
  t.equal(token[4], 'application');
  t.equal(token[5], '300');
  t.equal(token[6], 'udp');
  t.equal(token[7], '192.0.2.1');
  t.equal(token[8], '5080');
  t.match(token[9], TIME_RE);
  t.equal(token[10], 'ctx-9');
  t.equal(token[11], 'Msg sent:');
  t.not(token[12], 'continue');
  t.equal(raw, RAW_REQ);
});

t.test('okSentResponse field positions (spec 6.5)', async (t) => {
  const RAW = 'SIP/2.0 200 OK\r\nTo: <sip:a@b>;tag=1\r\n\r\n';
  const { token, raw } = srfSplit(okSentResponse({
    appMsgId: 'app-2', bytes: 33, transport: 'tcp', address: '192.0.2.2', port: 5062, transactionId: 'stx',
    dialogId: 'call;uas', raw: RAW,
  }));
  t.equal(token[2], 'app-2');
  t.equal(token[3], 'OK');
  t.equal(token[4], 'application');
  t.equal(token[6], 'tcp');
  t.equal(token[7], '192.0.2.2');
  t.equal(token[8], '5062');
  t.equal(token[10], 'stx');
  t.equal(token[11], 'call;uas');
  t.equal(token[12], '');
  t.equal(token[13], 'Msg sent:');
  t.equal(raw, RAW);
  // srf hands token.slice(3) to the callback: [0] must be the status.
  t.equal(token.slice(3)[0], 'OK');
});

t.test('nok / no / okPlain', async (t) => {
  let s = srfSplit(nok('m1', 'unable to find dialog'));
  t.same(s.token.slice(1), ['response', 'm1', 'NOK', 'unable to find dialog']);
  t.equal(s.raw, undefined);
  s = srfSplit(no('m2', 'incorrect secret'));
  t.same(s.token.slice(1), ['response', 'm2', 'NO', 'incorrect secret']);
  s = srfSplit(okPlain('m3'));
  t.same(s.token.slice(1), ['response', 'm3', 'OK']);
  s = srfSplit(okPlain('m4', 'pong'));
  t.same(s.token.slice(1), ['response', 'm4', 'OK', 'pong']);
  s = srfSplit(okPlain('m5', 'udp/1.2.3.4:5060', 'v0.9.4', 'udp/1.2.3.4:5060'));
  t.same(s.token.slice(3), ['OK', 'udp/1.2.3.4:5060', 'v0.9.4', 'udp/1.2.3.4:5060']);
});

t.test('reasons cannot break the frame', async (t) => {
  const s = srfSplit(nok('m', 'bad|thing\r\nhere'));
  t.equal(s.token.length, 5);
  t.equal(s.raw, undefined);
  t.equal(s.token[4], 'bad thing here');
});

t.test('proxyContinue: continue at index 12, fields 10/11 empty, raw response after CRLF', async (t) => {
  const RAW = 'SIP/2.0 486 Busy Here\r\n\r\n';
  const { token, raw } = srfSplit(proxyContinue({
    appMsgId: 'p1', bytes: 25, transport: 'udp', address: '10.1.1.1', port: 5090, raw: RAW,
  }));
  t.equal(token[2], 'p1');
  t.equal(token[3], 'OK');
  t.equal(token[4], 'network');
  t.equal(token[5], '25');
  t.equal(token[6], 'udp');
  t.equal(token[7], '10.1.1.1');
  t.equal(token[8], '5090');
  t.match(token[9], TIME_RE);
  t.equal(token[10], '');
  t.equal(token[11], '');
  t.equal(token[12], 'continue');
  t.equal(raw, RAW);
  const done = srfSplit(proxyDone('p1'));
  t.same(done.token.slice(1), ['response', 'p1', 'OK', 'done']);
  t.not(done.token[12], 'continue');
});

t.test('cdr frames (spec 10)', async (t) => {
  const RAW = 'INVITE sip:a@b SIP/2.0\r\n\r\n';
  let s = srfSplit(cdrFrame('cdr:attempt', 'network', undefined, RAW));
  t.equal(s.token.length, 4);
  t.equal(s.token[1], 'cdr:attempt');
  t.equal(s.token[2], 'network');
  t.match(s.token[3], TIME_RE);
  t.equal(s.raw, RAW);
  s = srfSplit(cdrFrame('cdr:start', 'application', 'uas', RAW));
  t.equal(s.token[1], 'cdr:start');
  t.equal(s.token[4], 'uas');
  s = srfSplit(cdrFrame('cdr:stop', 'network', 'normal-release', RAW));
  t.equal(s.token[4], 'normal-release');
});

t.test('parseCommand', async (t) => {
  let c = parseCommand('id1|ping');
  t.same(c, { msgId: 'id1', type: 'ping', fields: ['id1', 'ping'], sipText: '' });
  c = parseCommand('id2|authenticate|secret|');
  t.same(c.fields, ['id2', 'authenticate', 'secret', '']);
  c = parseCommand('id3|sip|txn||\r\nINVITE sip:x SIP/2.0\r\n\r\nbody|with|pipes\r\n');
  t.equal(c.type, 'sip');
  t.same(c.fields, ['id3', 'sip', 'txn', '', '']);
  t.equal(c.sipText, 'INVITE sip:x SIP/2.0\r\n\r\nbody|with|pipes\r\n');
  c = parseCommand('');
  t.equal(c.msgId, '');
  t.equal(c.type, '');
});
