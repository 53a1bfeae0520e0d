// Stateless forwarding through our Record-Route (spec 9.3, 11.1 step 3; RFC 3261 16.11, 18.2.2), with a recording engine.
import t from 'tap';
import { parseMessage } from '../../../../lib/engine/messages/parser.js';
import type { SipRequest, SipResponse } from '../../../../lib/engine/messages/message.js';
import type { Flow, SendTarget } from '../../../../lib/engine/transport/types.js';
import type { LocalAddresses, SipEngineAccess } from '../../../../lib/engine/drachtio/contracts.js';
import { StatelessForwarder } from '../../../../lib/engine/drachtio/proxy/stateless-forwarder.js';

const local: LocalAddresses = {
  hostports: () => 'udp/10.0.0.1:5060',
  listener: (tr) => (tr === 'udp' ? { host: '10.0.0.1', port: 5060 } : undefined),
  isLocal: (host, port) => host === '10.0.0.1' && (port ?? 5060) === 5060,
};

function recorder(): { engine: SipEngineAccess; sent: Array<{ msg: SipRequest | SipResponse; target: SendTarget | Flow }> } {
  const sent: Array<{ msg: SipRequest | SipResponse; target: SendTarget | Flow }> = [];
  const engine: SipEngineAccess = {
    sendRequest: () => {
      throw new Error('not stateless');
    },
    sendStateless: async (msg, target) => {
      sent.push({ msg, target });
      return { transport: 'udp', localAddress: '10.0.0.1', localPort: 5060, remoteAddress: '', remotePort: 0 };
    },
  };
  return { engine, sent };
}

const flow: Flow = { transport: 'udp', localAddress: '10.0.0.1', localPort: 5060, remoteAddress: '192.0.2.5', remotePort: 5060 };

function parse(lines: string[]): SipRequest | SipResponse {
  const p = parseMessage(Buffer.from([...lines, '', ''].join('\r\n')));
  if (!p.ok) throw new Error(p.reason);
  return p.message;
}

function bye(routes: string[], toTag = ';tag=b1', maxForwards = 70): SipRequest {
  return parse([
    'BYE sip:bob@192.0.2.9:5080 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKbye1',
    ...routes.map((r) => `Route: ${r}`),
    `Max-Forwards: ${maxForwards}`,
    'From: <sip:a@x>;tag=a1',
    `To: <sip:bob@x>${toTag}`,
    'Call-ID: c1',
    'CSeq: 2 BYE',
    'Content-Length: 0',
  ]) as SipRequest;
}

const tick = () => new Promise((r) => setTimeout(r, 5));

t.test('a request routed through us goes to the Request-URI with our Route removed and our Via added', async (t) => {
  const { engine, sent } = recorder();
  const fwd = new StatelessForwarder({ engine, local });
  t.ok(fwd.tryForwardRequest(bye(['<sip:10.0.0.1:5060;transport=udp;lr>']), flow));
  await tick();
  t.equal(sent.length, 1);
  const out = sent[0]!.msg as SipRequest;
  t.same(sent[0]!.target, { transport: 'udp', host: '192.0.2.9', port: 5080 });
  t.notOk(out.has('route'));
  t.equal(out.get('max-forwards'), '69');
  t.equal(out.vias().length, 2);
  t.equal(out.via.host, '10.0.0.1');
  // Retransmissions get the same branch (RFC 3261 16.11).
  fwd.tryForwardRequest(bye(['<sip:10.0.0.1:5060;transport=udp;lr>']), flow);
  await tick();
  t.equal((sent[1]!.msg as SipRequest).via.branch, out.via.branch);
});

t.test('the next loose Route is the next hop; both of our routes are skipped', async (t) => {
  const { engine, sent } = recorder();
  const fwd = new StatelessForwarder({ engine, local });
  const req = bye(['<sip:10.0.0.1:5060;transport=udp;lr>', '<sip:10.0.0.1;transport=tcp;lr>', '<sip:192.0.2.30:5090;lr>']);
  t.ok(fwd.tryForwardRequest(req, flow));
  await tick();
  t.same(sent[0]!.target, { transport: 'udp', host: '192.0.2.30', port: 5090 });
  t.same((sent[0]!.msg as SipRequest).getList('route'), ['<sip:192.0.2.30:5090;lr>']);
});

t.test('not ours: no To tag, a strict route, a foreign route, no route', async (t) => {
  const { engine, sent } = recorder();
  const fwd = new StatelessForwarder({ engine, local });
  t.notOk(fwd.tryForwardRequest(bye(['<sip:10.0.0.1;lr>'], ''), flow), 'no To tag');
  t.notOk(fwd.tryForwardRequest(bye(['<sip:10.0.0.1>']), flow), 'no ;lr');
  t.notOk(fwd.tryForwardRequest(bye(['<sip:192.0.2.30;lr>']), flow), 'not us');
  t.notOk(fwd.tryForwardRequest(bye([]), flow), 'no Route');
  await tick();
  t.equal(sent.length, 0);
});

t.test('Max-Forwards 0 on a routed request: 483 back', async (t) => {
  const { engine, sent } = recorder();
  const fwd = new StatelessForwarder({ engine, local });
  t.ok(fwd.tryForwardRequest(bye(['<sip:10.0.0.1;lr>'], ';tag=b1', 0), flow));
  await tick();
  t.equal((sent[0]!.msg as SipResponse).status, 483);
  t.equal(sent[0]!.target, flow);
});

t.test('responses: ours on top with more below are relayed to the next Via', async (t) => {
  const { engine, sent } = recorder();
  const fwd = new StatelessForwarder({ engine, local });
  const res = (vias: string[]) =>
    parse(['SIP/2.0 200 OK', ...vias.map((v) => `Via: ${v}`), 'From: <sip:a@x>;tag=a1', 'To: <sip:b@x>;tag=b1', 'Call-ID: c1', 'CSeq: 2 BYE']) as SipResponse;
  t.ok(fwd.tryForwardResponse(res(['SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKsl1', 'SIP/2.0/UDP 192.0.2.5:5062;branch=z9hG4bKx;rport=6000;received=198.51.100.2']), flow));
  await tick();
  t.same(sent[0]!.target, { transport: 'udp', host: '198.51.100.2', port: 6000 });
  t.equal((sent[0]!.msg as SipResponse).vias().length, 1);
  t.notOk(fwd.tryForwardResponse(res(['SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKu']), flow), 'only our Via: we were the UAC');
  t.notOk(fwd.tryForwardResponse(res(['SIP/2.0/UDP 192.0.2.8;branch=z9hG4bKu', 'SIP/2.0/UDP 192.0.2.5;branch=z9hG4bKv']), flow), 'not our Via');
  t.equal(sent.length, 1);
});
