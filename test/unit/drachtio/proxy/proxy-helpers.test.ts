// The proxy's pure helpers: leader parsing (spec 9.1), best-response ranking (RFC 3261 16.7.6),
// destinations (srf's sip:sips: mangling), Record-Route / Path (spec 9.3), the forwarded copy and Via handling.
import t from 'tap';
import { parseMessage } from '../../../../lib/engine/messages/parser.js';
import type { SipRequest, SipResponse } from '../../../../lib/engine/messages/message.js';
import type { LocalAddresses } from '../../../../lib/engine/drachtio/contracts.js';
import { parseDuration, parseProxyOptions } from '../../../../lib/engine/drachtio/proxy/proxy-options.js';
import { isBetterResponse, responseRank } from '../../../../lib/engine/drachtio/proxy/best-response.js';
import { normalizeDestination, parseTarget, resolveHop } from '../../../../lib/engine/drachtio/proxy/proxy-targets.js';
import { addRecordRoute } from '../../../../lib/engine/drachtio/proxy/record-route.js';
import { buildForwardCopy, nextMaxForwards } from '../../../../lib/engine/drachtio/proxy/proxy-request.js';
import { viaResponseTarget, withoutTopVia } from '../../../../lib/engine/drachtio/proxy/via-stack.js';

const local: LocalAddresses = {
  hostports: () => 'udp/10.0.0.1:5060,tcp/10.0.0.1:5060',
  listener: (tr) => (tr === 'tls' ? undefined : { host: '10.0.0.1', port: 5060 }),
  isLocal: (host, port) => host === '10.0.0.1' && (port ?? 5060) === 5060,
};

function msg(lines: string[]): SipRequest | SipResponse {
  const p = parseMessage(Buffer.from([...lines, '', ''].join('\r\n')));
  if (!p.ok) throw new Error(p.reason);
  return p.message;
}

function invite(extra: string[] = []): SipRequest {
  return msg([
    'INVITE sip:bob@10.0.0.1 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKa1',
    'Route: <sip:10.0.0.1;lr>',
    'Max-Forwards: 5',
    'From: <sip:a@x>;tag=1',
    'To: <sip:bob@x>',
    'Call-ID: c1',
    'CSeq: 1 INVITE',
    ...extra,
    'Content-Length: 0',
  ]) as SipRequest;
}

t.test('leader fields and durations', async (t) => {
  const o = parseProxyOptions(['m1', 'proxy', 'T7', 'remainInDialog', 'fullResponse', 'followRedirects', 'simultaneous', '2s', '500ms', 'sip:a@h', '', 'sip:b@h']);
  t.same(o, {
    transactionId: 'T7',
    remainInDialog: true,
    followRedirects: true,
    simultaneous: true,
    provisionalTimeoutMs: 2000,
    finalTimeoutMs: 500,
    destinations: ['sip:a@h', 'sip:b@h'],
  });
  const s = parseProxyOptions(['m1', 'proxy', 'T7', '', 'fullResponse', '', 'serial', '', '', 'sip:a@h']);
  t.equal(s.remainInDialog, false);
  t.equal(s.simultaneous, false);
  t.equal(s.provisionalTimeoutMs, undefined);
  t.equal(parseDuration('3'), 3000, 'bare number = seconds');
  t.equal(parseDuration('x'), undefined);
  t.equal(parseDuration('0s'), undefined);
});

t.test('best response ranking', async (t) => {
  t.ok(isBetterResponse(486, 503), '4xx beats 5xx');
  t.notOk(isBetterResponse(503, 486));
  t.ok(isBetterResponse(603, 401), '6xx beats everything');
  t.ok(isBetterResponse(407, 404), 'challenges beat other 4xx');
  t.ok(isBetterResponse(503, 302), '5xx beats 3xx');
  t.notOk(isBetterResponse(480, 486), 'a tie keeps the earlier response');
  t.ok(isBetterResponse(500, undefined));
  t.same([600, 484, 404, 500, 300].map(responseRank), [0, 1, 2, 3, 4]);
});

t.test('destinations', async (t) => {
  t.equal(normalizeDestination('sip:sips:bob@h'), 'sips:bob@h', "srf's sip:sips: is undone");
  t.equal(normalizeDestination('sip:bob@h'), 'sip:bob@h');
  const tgt = parseTarget('sip:bob@192.0.2.9;transport=tcp', local)!;
  t.equal(tgt.transport, 'tcp');
  t.equal(tgt.explicitTransport, true);
  const plain = parseTarget('sip:bob@192.0.2.9', local)!;
  t.equal(plain.transport, 'udp', 'RFC 3263: UDP without a transport parameter');
  t.equal(plain.explicitTransport, false);
  const tcpOnly: LocalAddresses = { ...local, listener: (tr) => (tr === 'tcp' ? { host: '10.0.0.1', port: 5060 } : undefined) };
  t.equal(parseTarget('sip:bob@192.0.2.9', tcpOnly)!.transport, 'tcp', 'TCP when not listening on UDP');
  t.equal(parseTarget('sip:bob@192.0.2.9;transport=udp', tcpOnly), undefined, 'a named transport we lack: unusable');
  t.equal(parseTarget('sip:sips:bob@192.0.2.9', local), undefined, 'sips needs TLS, which we do not listen on');
  t.equal(parseTarget('tel:+1555', local), undefined);
  t.same(await resolveHop(tgt.parsed, 'tcp', true, undefined), [{ transport: 'tcp', host: '192.0.2.9', port: 5060 }]);
  const named = parseTarget('sip:bob@example.com:5080', local)!;
  const asked: unknown[] = [];
  const hops = await resolveHop(named.parsed, 'udp', false, {
    resolve: async (uri, opts) => {
      asked.push([uri, opts]);
      return [{ transport: 'udp', host: '192.0.2.7', port: 5080 }];
    },
  });
  t.same(hops, [{ transport: 'udp', host: '192.0.2.7', port: 5080 }]);
  t.same(asked, [['sip:bob@example.com:5080', undefined]], 'names go through the resolver');
});

t.test('Record-Route, or Path + Require for REGISTER', async (t) => {
  const inv = invite();
  addRecordRoute(inv, local, 'udp', 'udp');
  t.same(inv.getAll('record-route'), ['<sip:10.0.0.1:5060;transport=udp;lr>']);
  const dbl = invite(['Record-Route: <sip:192.0.2.1;lr>']);
  addRecordRoute(dbl, local, 'tcp', 'udp');
  t.same(dbl.getList('record-route'), [
    '<sip:10.0.0.1:5060;transport=udp;lr>',
    '<sip:10.0.0.1:5060;transport=tcp;lr>',
    '<sip:192.0.2.1;lr>',
  ], 'transport change: both sides recorded, ours on top');
  const reg = msg([
    'REGISTER sip:10.0.0.1 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.5;branch=z9hG4bKr',
    'From: <sip:a@x>;tag=1',
    'To: <sip:a@x>',
    'Call-ID: r1',
    'CSeq: 1 REGISTER',
  ]) as SipRequest;
  addRecordRoute(reg, local, 'udp', 'udp');
  t.equal(reg.get('path'), '<sip:10.0.0.1:5060;transport=udp;lr>');
  t.equal(reg.get('require'), 'path');
  t.notOk(reg.has('record-route'));
});

t.test('the forwarded copy', async (t) => {
  const orig = invite(['X-Old: a']);
  t.equal(nextMaxForwards(orig), 4);
  t.equal(nextMaxForwards(invite().clone()), 4);
  const zero = invite();
  zero.set('Max-Forwards', '0');
  t.equal(nextMaxForwards(zero), undefined);
  zero.remove('max-forwards');
  t.equal(nextMaxForwards(zero), 70, 'absent: 70');
  const copy = buildForwardCopy(orig, {
    newRequestUri: 'sip:bob@192.0.2.9',
    maxForwards: 4,
    transport: 'udp',
    inboundTransport: 'udp',
    recordRoute: true,
    extraHeaders: [{ name: 'X-Old', value: 'b' }, { name: 'X-New', value: '1' }, { name: 'X-New', value: '2' }],
    local,
  })!;
  t.equal(copy.uri, 'sip:bob@192.0.2.9');
  t.equal(copy.get('max-forwards'), '4');
  t.notOk(copy.has('route'), 'preloaded Route removed');
  t.same(copy.getAll('x-old'), ['b'], 'app header replaces');
  t.same(copy.getAll('x-new'), ['1', '2']);
  const vias = copy.vias();
  t.equal(vias.length, 2);
  t.equal(vias[0]!.host, '10.0.0.1');
  t.match(vias[0]!.branch!, /^z9hG4bK/);
  t.equal(vias[0]!.rport, null);
  t.equal(orig.uri, 'sip:bob@10.0.0.1', 'the original is untouched');
  t.equal(orig.get('route'), '<sip:10.0.0.1;lr>');
  t.equal(buildForwardCopy(orig, { maxForwards: 4, transport: 'tls', inboundTransport: 'udp', recordRoute: false, extraHeaders: [], local }), undefined);
});

t.test('Via handling on responses', async (t) => {
  const res = msg([
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKp, SIP/2.0/TCP 192.0.2.5:5070;branch=z9hG4bKa;received=198.51.100.1;rport=4000',
    'Via: SIP/2.0/UDP 192.0.2.6;branch=z9hG4bKb',
    'From: <sip:a@x>;tag=1',
    'To: <sip:b@x>;tag=2',
    'Call-ID: c',
    'CSeq: 1 INVITE',
  ]) as SipResponse;
  const up = withoutTopVia(res);
  t.equal(up.vias().length, 2);
  t.equal(up.via.host, '192.0.2.5');
  t.equal(res.vias().length, 3, 'the original keeps its Vias');
  t.same(viaResponseTarget(up.via), { transport: 'tcp', host: '198.51.100.1', port: 4000 }, 'received + rport win (RFC 3581)');
  t.same(viaResponseTarget(up.vias()[1]!), { transport: 'udp', host: '192.0.2.6', port: 5060 });
  const single = withoutTopVia(withoutTopVia(up));
  t.equal(single.vias().length, 0);
});
