import t from 'tap';
import {
  SipRequest,
  checkAcceptsSdp,
  checkContentType,
  checkMaxForwards,
  checkProxyRequire,
  checkRegisterAor,
  checkRequire,
  checkUriScheme,
} from '../../../lib/engine/messages/index.js';

function req(method: string, uri: string, headers: Array<[string, string]>, body = ''): SipRequest {
  return new SipRequest(method, uri, headers.map(([name, value]) => ({ name, value })), Buffer.from(body));
}

t.test('URI scheme -> 416', async (t) => {
  t.equal(checkUriScheme(req('OPTIONS', 'sip:a@b', [])), undefined);
  t.equal(checkUriScheme(req('OPTIONS', 'SIPS:a@b', [])), undefined, 'scheme is case-insensitive');
  t.same(checkUriScheme(req('OPTIONS', 'tel:+123', [])), { status: 416, reason: 'Unsupported URI Scheme' });
  t.equal(checkUriScheme(req('OPTIONS', 'tel:+123', []), new Set(['sip', 'sips', 'tel'])), undefined, 'configurable');
  t.equal(checkUriScheme(req('OPTIONS', 'nocolon', []))?.status, 416);
});

t.test('Require / Proxy-Require -> 420 with Unsupported', async (t) => {
  const r = req('INVITE', 'sip:a@b', [['Require', '100rel, foo'], ['Require', 'bar, foo'], ['Proxy-Require', 'sec-agree']]);
  t.same(checkRequire(r, new Set(['100rel'])), { status: 420, reason: 'Bad Extension', headers: [{ name: 'Unsupported', value: 'foo, bar' }] });
  t.equal(checkRequire(r, new Set(['100rel', 'foo', 'bar'])), undefined);
  t.same(checkProxyRequire(r, new Set())?.headers, [{ name: 'Unsupported', value: 'sec-agree' }]);
  t.equal(checkProxyRequire(r, new Set(['sec-agree'])), undefined);
  t.equal(checkRequire(req('ACK', 'sip:a@b', [['Require', 'foo']]), new Set()), undefined, 'not for ACK');
  t.equal(checkRequire(req('CANCEL', 'sip:a@b', [['Require', 'foo']]), new Set()), undefined, 'not for CANCEL');
  t.equal(checkRequire(req('OPTIONS', 'sip:a@b', []), new Set()), undefined, 'no Require');
});

t.test('Max-Forwards 0 -> 483', async (t) => {
  t.same(checkMaxForwards(req('OPTIONS', 'sip:a@b', [['Max-Forwards', '0']])), { status: 483, reason: 'Too Many Hops' });
  t.same(checkMaxForwards(req('OPTIONS', 'sip:a@b', [['Max-Forwards', ' 00 ']]))?.status, 483);
  t.equal(checkMaxForwards(req('OPTIONS', 'sip:a@b', [['Max-Forwards', '1']])), undefined);
  t.equal(checkMaxForwards(req('OPTIONS', 'sip:a@b', [])), undefined, 'absent (RFC 2543 peer)');
});

t.test('Content-Type -> 415', async (t) => {
  const accepted = new Set(['application/sdp', 'application/dtmf-relay']);
  t.equal(checkContentType(req('INVITE', 'sip:a@b', [['Content-Type', 'Application/SDP; charset=x']], 'v=0'), accepted), undefined);
  t.same(checkContentType(req('INVITE', 'sip:a@b', [['c', 'application/unknownformat']], '<x/>'), accepted), {
    status: 415,
    reason: 'Unsupported Media Type',
    headers: [{ name: 'Accept', value: 'application/sdp, application/dtmf-relay' }],
  });
  t.equal(checkContentType(req('INVITE', 'sip:a@b', [['Content-Type', 'text/plain']]), accepted), undefined, 'no body, no check');
  t.equal(checkContentType(req('INVITE', 'sip:a@b', [], 'x'), accepted)?.status, 415, 'body without Content-Type');
});

t.test('Accept without application/sdp on an SDP INVITE -> 406', async (t) => {
  const sdp: Array<[string, string]> = [['Content-Type', 'application/sdp']];
  t.same(checkAcceptsSdp(req('INVITE', 'sip:a@b', [...sdp, ['Accept', 'text/nobodyKnowsThis']], 'v=0')), { status: 406, reason: 'Not Acceptable' });
  t.equal(checkAcceptsSdp(req('INVITE', 'sip:a@b', [...sdp], 'v=0')), undefined, 'no Accept implies SDP');
  t.equal(checkAcceptsSdp(req('INVITE', 'sip:a@b', [...sdp, ['Accept', 'text/html, application/sdp;level=1']], 'v=0')), undefined);
  t.equal(checkAcceptsSdp(req('INVITE', 'sip:a@b', [...sdp, ['Accept', 'application/*']], 'v=0')), undefined);
  t.equal(checkAcceptsSdp(req('INVITE', 'sip:a@b', [...sdp, ['Accept', '*/*']], 'v=0')), undefined);
  t.equal(checkAcceptsSdp(req('INVITE', 'sip:a@b', [...sdp, ['Accept', 'text/plain']])), undefined, 'no offer in the INVITE');
  t.equal(checkAcceptsSdp(req('MESSAGE', 'sip:a@b', [...sdp, ['Accept', 'text/plain']], 'v=0')), undefined, 'INVITE only');
});

t.test('registrar AOR scheme', async (t) => {
  t.equal(checkRegisterAor(req('REGISTER', 'sip:example.com', [['To', '<sip:alice@example.com>']])), undefined);
  t.equal(checkRegisterAor(req('REGISTER', 'sip:example.com', [['t', 'sips:alice@example.com']])), undefined);
  t.same(checkRegisterAor(req('REGISTER', 'sip:example.com', [['To', 'isbn:2983792873']])), { status: 400, reason: 'Invalid address-of-record URI scheme' });
  t.equal(checkRegisterAor(req('REGISTER', 'sip:example.com', []))?.status, 400);
  t.equal(checkRegisterAor(req('INVITE', 'sip:example.com', [['To', 'isbn:1']])), undefined, 'REGISTER only');
});
