// emitCdr (spec 10): one routed connection per record, round-robin, raw SIP text after the leader,
// nothing sent (and nothing serialized) when no app routed the verb.
import t from 'tap';
import { parseMessage } from '../../../../lib/engine/messages/parser.js';
import type { SipRequest } from '../../../../lib/engine/messages/message.js';
import type { AppConnection } from '../../../../lib/engine/drachtio/contracts.js';
import { serializeMessage } from '../../../../lib/engine/messages/serializer.js';
import { RouteTable } from '../../../../lib/engine/drachtio/wire/route-table.js';
import { emitCdr, rejectReason } from '../../../../lib/engine/drachtio/ua/cdr-emitter.js';

const INVITE =
  'INVITE sip:bob@127.0.0.1 SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-cdr1\r\n' +
  'From: <sip:alice@127.0.0.1>;tag=a1\r\n' +
  'To: <sip:bob@127.0.0.1>\r\n' +
  'Call-ID: cdr-unit-1\r\n' +
  'CSeq: 1 INVITE\r\n' +
  'Max-Forwards: 70\r\n' +
  'Content-Length: 0\r\n\r\n';

function invite(): SipRequest {
  const r = parseMessage(Buffer.from(INVITE));
  if (!r.ok) throw new Error('test INVITE did not parse');
  return r.message as SipRequest;
}

function conn(id: string): AppConnection & { frames: string[] } {
  const frames: string[] = [];
  return { id, tags: [], closed: false, frames, sendFrame: (p: string) => void frames.push(p) };
}

t.test('no route: nothing sent and the message is not serialized', async (t) => {
  const routes = new RouteTable();
  const a = conn('a1');
  routes.add('invite', a);
  const msg = invite();
  // A message that would throw if serialized proves the early return.
  const poisoned = new Proxy(msg, {
    get(target, prop, recv) {
      if (prop === 'headers' || prop === '_wire' || prop === 'body') throw new Error('serialized without a CDR route');
      return Reflect.get(target, prop, recv) as unknown;
    },
  });
  t.throws(() => serializeMessage(poisoned), /serialized without/, 'the poisoned message cannot be serialized');
  emitCdr(routes, 'cdr:attempt', 'network', undefined, poisoned);
  t.same(a.frames, [], 'an app routed only for INVITE gets no CDR');
});

t.test('routed: round-robin, leader fields and raw SIP text', async (t) => {
  const routes = new RouteTable();
  const a = conn('a1');
  const b = conn('a2');
  routes.add('cdr:stop', a);
  routes.add('cdr:stop', b);
  routes.add('cdr:attempt', a);
  emitCdr(routes, 'cdr:stop', 'network', 'normal-release', invite());
  emitCdr(routes, 'cdr:stop', 'application', 'call-rejected', invite());
  emitCdr(routes, 'cdr:attempt', 'network', undefined, invite());
  t.equal(a.frames.length, 2, 'a: first stop and the attempt');
  t.equal(b.frames.length, 1, 'b: second stop');
  const [leader, ...rest] = a.frames[0]!.split('\r\n');
  const f = leader!.split('|');
  t.equal(f[1], 'cdr:stop');
  t.equal(f[2], 'network');
  t.match(f[3], /^\d\d:\d\d:\d\d\.\d{6}$/);
  t.equal(f[4], 'normal-release');
  t.equal(rest.join('\r\n'), INVITE, 'the SIP text follows the leader unchanged');
  t.equal(b.frames[0]!.split('\r\n')[0]!.split('|')[4], 'call-rejected');
  t.equal(a.frames[1]!.split('\r\n')[0]!.split('|').length, 4, 'attempt has no role/reason field');
});

t.test('rejectReason', async (t) => {
  t.equal(rejectReason(487), 'call-canceled');
  t.equal(rejectReason(486), 'call-rejected');
  t.equal(rejectReason(503), 'call-rejected');
});
