import t, { type Test } from 'tap';
import { FakeClock } from '../../../lib/engine/timers/fake-clock.js';
import { TransactionLayer } from '../../../lib/engine/transactions/transaction-layer.js';
import { TransactionState } from '../../../lib/engine/transactions/transaction-state.js';
import { InviteServerTransaction } from '../../../lib/engine/transactions/invite-server-transaction.js';
import { createCancel, createResponse } from '../../../lib/engine/messages/response-factory.js';
import { SipRequest } from '../../../lib/engine/messages/message.js';
import {
  flow,
  isStatus,
  RecordingClientUser,
  RecordingMetrics,
  RecordingSender,
  RecordingServerUser,
  request,
  response,
  target,
} from './helpers.js';

function setup(opts: { sendTrying?: boolean } = {}) {
  const clock = new FakeClock();
  const sender = new RecordingSender(clock);
  const user = new RecordingServerUser();
  const metrics = new RecordingMetrics();
  const layer = new TransactionLayer({ sender, user, clock, metrics, sendTrying: opts.sendTrying });
  const empty = (t: Test) => {
    t.equal(layer.clientTransactionCount, 0, 'no client transaction left');
    t.equal(layer.serverTransactionCount, 0, 'no server transaction left');
    t.same({ ...layer.transactionCounts }, { ict: 0, nict: 0, ist: 0, nist: 0 });
    t.equal(layer.pendingServerTransactions, 0);
    t.equal(clock.pending, 0, 'no timer left');
  };
  return { clock, sender, user, metrics, layer, empty };
}

t.test('server INVITE: new transaction, 100 Trying, retransmission absorbed, ACK matched, maps emptied', (t) => {
  const { clock, sender, user, layer, empty } = setup();
  const f = flow('udp');
  const invite = request();
  layer.receiveRequest(invite, f);
  t.equal(user.requests.length, 1);
  const txn = user.requests[0]!;
  t.equal(txn.kind, 'ist');
  t.equal(txn.request, invite);
  t.equal(txn.flow, f);
  t.same(sender.times(isStatus(100)), [0]);
  t.same({ ...layer.transactionCounts }, { ict: 0, nict: 0, ist: 1, nist: 0 });
  t.equal(layer.pendingServerTransactions, 1);

  clock.tick(500);
  layer.receiveRequest(request({ branch: invite.via.branch! }), f);
  t.equal(user.requests.length, 1, 'retransmission is not a new request');
  t.same(sender.times(isStatus(100)), [0, 500]);

  txn.respond(createResponse(invite, 486, undefined, { toTag: 'uas' }));
  t.equal(layer.pendingServerTransactions, 0, 'answered');
  layer.receiveRequest(request({ method: 'ACK', branch: invite.via.branch!, toTag: 'uas', cseqMethod: 'ACK' }), f);
  t.equal(txn.state, TransactionState.Confirmed, 'ACK matched the INVITE transaction (17.2.3)');
  t.same(user.acks, []);
  clock.runAll();
  t.equal(txn.state, TransactionState.Terminated);
  empty(t);
  t.end();
});

t.test('a TU answering inside onRequest saves the 100 Trying', (t) => {
  const { sender, user, layer } = setup();
  user.answer = (txn) => txn.respond(createResponse(txn.request, 503, undefined, { toTag: 'x' }));
  layer.receiveRequest(request(), flow('udp'));
  t.same(
    sender.responses().map((r) => r.status),
    [503],
  );
  t.end();
});

t.test('sendTrying: false', (t) => {
  const { sender, layer } = setup({ sendTrying: false });
  layer.receiveRequest(request(), flow('udp'));
  t.equal(sender.sent.length, 0);
  t.end();
});

t.test('ACK matching no transaction (ACK for a 2xx) goes to the TU', (t) => {
  const { user, layer, empty } = setup();
  const f = flow('udp');
  const invite = request();
  layer.receiveRequest(invite, f);
  user.requests[0]!.respond(createResponse(invite, 200, undefined, { toTag: 'uas' }));
  // 13.2.2.4: the ACK for a 2xx has a new branch.
  const ack = request({ method: 'ACK', toTag: 'uas', cseqMethod: 'ACK' });
  layer.receiveRequest(ack, f);
  t.same(user.acks, [ack]);
  t.equal(user.requests.length, 1, 'no transaction created for an ACK');
  t.equal(layer.serverTransactionCount, 1, 'only the INVITE transaction');
  layer.close();
  empty(t);
  t.end();
});

t.test('17.2.3: same branch but another sent-by, or another method, is another transaction', (t) => {
  const { user, layer } = setup();
  const f = flow('udp');
  layer.receiveRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK-same', sentBy: '198.51.100.7:5070' }), f);
  layer.receiveRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK-same', sentBy: '198.51.100.8:5070' }), f);
  layer.receiveRequest(request({ method: 'INFO', branch: 'z9hG4bK-same', sentBy: '198.51.100.7:5070' }), f);
  layer.receiveRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK-same', sentBy: '198.51.100.7:5070' }), f);
  t.equal(user.requests.length, 3);
  t.same({ ...layer.transactionCounts }, { ict: 0, nict: 0, ist: 0, nist: 3 });
  t.equal(layer.pendingServerTransactions, 3);
  t.end();
});

t.test('CANCEL is its own transaction and finds the INVITE transaction (9.2)', (t) => {
  const { user, layer, sender, clock, empty } = setup();
  const f = flow('udp');
  const invite = request();
  layer.receiveRequest(invite, f);
  const ist = user.requests[0]!;
  const cancel = new SipRequest('CANCEL', invite.uri, [
    { name: 'Via', value: invite.get('via')! },
    { name: 'From', value: invite.get('from')! },
    { name: 'To', value: invite.get('to')! },
    { name: 'Call-ID', value: invite.callId },
    { name: 'CSeq', value: `${invite.cseq.seq} CANCEL` },
    { name: 'Max-Forwards', value: '70' },
  ]);
  layer.receiveRequest(cancel, f);
  t.equal(user.requests.length, 2, 'CANCEL created a transaction');
  const cancelTxn = user.requests[1]!;
  t.equal(cancelTxn.kind, 'nist');
  t.equal(cancelTxn.request.method, 'CANCEL');
  t.equal(ist.state, TransactionState.Proceeding, 'the CANCEL did not touch the INVITE transaction');
  const found = layer.findInviteServerTransaction(cancel);
  t.equal(found, ist);
  t.ok(found instanceof InviteServerTransaction);

  // The TU's 9.2 reaction: 200 to the CANCEL, 487 to the INVITE.
  cancelTxn.respond(createResponse(cancel, 200, undefined, { toTag: 'uas' }));
  ist.respond(createResponse(invite, 487, undefined, { toTag: 'uas' }));
  t.same(
    sender.responses().map((r) => `${r.status} ${r.cseq.method}`),
    ['100 INVITE', '200 CANCEL', '487 INVITE'],
  );

  t.equal(layer.findInviteServerTransaction(request({ method: 'CANCEL' })), undefined, 'other branch: no match');
  layer.receiveRequest(request({ method: 'ACK', branch: invite.via.branch!, toTag: 'uas', cseqMethod: 'ACK' }), f);
  clock.runAll();
  empty(t);
  t.end();
});

t.test('findInviteServerTransaction does not return a non-INVITE transaction', (t) => {
  const { layer } = setup();
  const options = request({ method: 'OPTIONS' });
  layer.receiveRequest(options, flow('udp'));
  t.equal(layer.findInviteServerTransaction(request({ method: 'CANCEL', branch: options.via.branch! })), undefined);
  t.end();
});

t.test('RFC 2543 matching when the branch has no cookie', (t) => {
  const { user, layer, sender, clock, empty } = setup();
  const f = flow('udp');
  const invite = request({ branch: 'old-style-1' });
  layer.receiveRequest(invite, f);
  t.equal(user.requests.length, 1);
  const ist = user.requests[0]!;

  layer.receiveRequest(request({ branch: 'old-style-1' }), f);
  t.equal(user.requests.length, 1, 'identical retransmission matched');
  t.same(sender.times(isStatus(100)), [0, 0]);

  layer.receiveRequest(request({ branch: 'old-style-1', cseq: 2 }), f);
  layer.receiveRequest(request({ branch: 'old-style-1', callId: 'other-call' }), f);
  layer.receiveRequest(request({ branch: 'old-style-1', fromTag: 'other-from' }), f);
  layer.receiveRequest(request({ branch: 'old-style-1', uri: 'sip:carol@example.net' }), f);
  layer.receiveRequest(request({ branch: 'old-style-2' }), f);
  layer.receiveRequest(request({ branch: 'old-style-1', sentBy: '198.51.100.9:5060' }), f);
  t.equal(user.requests.length, 7, 'any differing field makes a new transaction');

  const cancel = request({ method: 'CANCEL', branch: 'old-style-1' });
  t.equal(layer.findInviteServerTransaction(cancel), ist, 'CANCEL found by RFC 2543 fields');

  ist.respond(createResponse(invite, 486, undefined, { toTag: 'uas' }));
  const wrongTag = request({ method: 'ACK', branch: 'old-style-1', toTag: 'other', cseqMethod: 'ACK' });
  layer.receiveRequest(wrongTag, f);
  t.same(user.acks, [wrongTag], 'ACK whose To tag is not the response\'s: not this transaction');
  t.equal(ist.state, TransactionState.Completed);
  layer.receiveRequest(request({ method: 'ACK', branch: 'old-style-1', toTag: 'uas', cseqMethod: 'ACK' }), f);
  t.equal(ist.state, TransactionState.Confirmed, 'ACK with the response To tag matched');

  for (const txn of user.requests.slice(1)) txn.respond(createResponse(txn.request, 500, undefined, { toTag: 'z' }));
  clock.runAll();
  empty(t);
  t.end();
});

t.test('a branch that is exactly the cookie is matched by RFC 2543 rules (badbranch)', (t) => {
  const { user, layer } = setup();
  const f = flow('udp');
  layer.receiveRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK', callId: 'a' }), f);
  layer.receiveRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK', callId: 'b' }), f);
  layer.receiveRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK', callId: 'a' }), f);
  t.equal(user.requests.length, 2, 'distinguished by Call-ID, retransmission matched');
  t.match(user.requests[0]!.id, /^2543/);
  t.end();
});

t.test('a request without any branch is matched by RFC 2543 rules', (t) => {
  const { user, layer } = setup();
  layer.receiveRequest(request({ method: 'OPTIONS', branch: null }), flow('udp'));
  layer.receiveRequest(request({ method: 'OPTIONS', branch: null }), flow('udp'));
  t.equal(user.requests.length, 1);
  t.end();
});

t.test('client INVITE through the layer: responses matched by branch + CSeq method, strays to the TU', (t) => {
  const { clock, sender, user: core, layer, empty } = setup();
  const tu = new RecordingClientUser(clock);
  const invite = request({ branch: 'z9hG4bK-client-1' });
  const txn = layer.sendRequest(invite, target('udp'), tu);
  t.equal(txn.kind, 'ict');
  t.equal(txn.id, 'z9hG4bK-client-1\nINVITE');
  t.same({ ...layer.transactionCounts }, { ict: 1, nict: 0, ist: 0, nist: 0 });
  const f = flow('udp', 5060);

  clock.tick(1600);
  layer.receiveResponse(response(invite, 180), f);
  t.same(tu.types(), ['response']);

  // Same branch, CSeq method CANCEL: the CANCEL's transaction, not the INVITE's (17.1.3).
  const cancelResponse = response(invite, 200);
  cancelResponse.set('CSeq', `${invite.cseq.seq} CANCEL`);
  layer.receiveResponse(cancelResponse, f);
  t.same(core.stray, [cancelResponse]);

  const other = response(request({ branch: 'z9hG4bK-nope' }), 200);
  layer.receiveResponse(other, f);
  t.same(core.stray, [cancelResponse, other]);

  layer.receiveResponse(response(invite, 200), f);
  t.equal(txn.state, TransactionState.Accepted);
  clock.tick(32_000);
  t.equal(txn.state, TransactionState.Terminated);
  const late = response(invite, 200);
  layer.receiveResponse(late, f);
  t.equal(core.stray[2], late, '2xx retransmission after M is a stray for the TU (RFC 6026 7.2)');
  t.same(sender.times(), [0, 500, 1500], 'INVITE retransmitted until the 180');
  empty(t);
  t.end();
});

t.test('client CANCEL is its own transaction alongside the INVITE', (t) => {
  const { clock, layer, empty } = setup();
  const tu = new RecordingClientUser(clock);
  const invite = request({ branch: 'z9hG4bK-client-2' });
  const ict = layer.sendRequest(invite, target('tcp'), tu);
  layer.receiveResponse(response(invite, 180), flow('tcp'));
  const cancel = createCancel(invite);
  t.equal(cancel.via.branch, invite.via.branch, 'CANCEL reuses the INVITE branch (9.1)');
  const cancelTu = new RecordingClientUser(clock);
  const nict = layer.sendRequest(cancel, target('tcp'), cancelTu);
  t.equal(nict.kind, 'nict');
  t.same({ ...layer.transactionCounts }, { ict: 1, nict: 1, ist: 0, nist: 0 });
  layer.receiveResponse(response(cancel, 200), flow('tcp'));
  t.same(cancelTu.types(), ['response', 'terminated']);
  layer.receiveResponse(response(invite, 487), flow('tcp'));
  t.same(tu.types(), ['response', 'response', 'terminated']);
  t.equal(ict.state, TransactionState.Terminated);
  empty(t);
  t.end();
});

t.test('sendRequest adds a branch when the top Via has none, keeping other Vias', (t) => {
  const { clock, sender, layer } = setup();
  const req = request({ method: 'OPTIONS', branch: null });
  req.append('Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-lower');
  const txn = layer.sendRequest(req, target('udp'), new RecordingClientUser(clock));
  const vias = req.vias();
  t.equal(vias.length, 2);
  t.match(vias[0]!.branch, /^z9hG4bK./, 'generated branch with the cookie');
  t.equal(vias[0]!.host, '198.51.100.7');
  t.equal(vias[1]!.branch, 'z9hG4bK-lower');
  t.equal(txn.id, `${vias[0]!.branch}\nOPTIONS`);
  t.equal(sender.sent[0]!.msg, req);

  const bare = request({ method: 'OPTIONS', branch: 'z9hG4bK' });
  layer.sendRequest(bare, target('udp'), new RecordingClientUser(clock));
  t.not(bare.via.branch, 'z9hG4bK', 'a bare cookie is replaced');
  t.equal(bare.get('via')!.match(/branch/g)!.length, 1, 'the old branch parameter is gone');

  const withRport = request({ method: 'OPTIONS', branch: 'z9hG4bK;rport' });
  layer.sendRequest(withRport, target('udp'), new RecordingClientUser(clock));
  t.match(withRport.via.branch, /^z9hG4bK./);
  t.equal(withRport.via.rport, null, 'other Via parameters kept');
  t.equal(withRport.get('via')!.match(/branch/g)!.length, 1);
  t.end();
});

t.test('sendRequest refuses ACK and duplicate transactions', (t) => {
  const { clock, layer } = setup();
  t.throws(() => layer.sendRequest(request({ method: 'ACK' }), target(), new RecordingClientUser(clock)), TypeError);
  const req = request({ method: 'OPTIONS', branch: 'z9hG4bK-dup' });
  layer.sendRequest(req, target(), new RecordingClientUser(clock));
  t.throws(
    () => layer.sendRequest(request({ method: 'OPTIONS', branch: 'z9hG4bK-dup' }), target(), new RecordingClientUser(clock)),
    /exists/,
  );
  t.equal(layer.clientTransactionCount, 1);
  t.end();
});

t.test('transport error on sendRequest reaches the client TU and leaves nothing behind', (t) => {
  const { clock, sender, layer, empty } = setup();
  sender.mode = 'throw';
  const tu = new RecordingClientUser(clock);
  const txn = layer.sendRequest(request({ method: 'BYE' }), target('tcp'), tu);
  t.same(tu.types(), ['transport-error', 'terminated']);
  t.equal(txn.state, TransactionState.Terminated);
  empty(t);
  t.end();
});

t.test('timeouts through the layer: B, F and H reported, metrics counted, maps emptied', (t) => {
  const { clock, user, metrics, layer, empty } = setup();
  const tu = new RecordingClientUser(clock);
  layer.sendRequest(request(), target('udp'), tu);
  layer.sendRequest(request({ method: 'OPTIONS' }), target('udp'), tu);
  layer.receiveRequest(request(), flow('udp'));
  user.requests[0]!.respond(createResponse(user.requests[0]!.request, 480, undefined, { toTag: 'u' }));
  clock.runAll();
  t.same(tu.types().filter((x) => x === 'timeout').length, 2);
  t.equal(user.timeouts.length, 1);
  t.same(metrics.timeouts.sort(), ['ict:B', 'ist:H', 'nict:F']);
  empty(t);
  t.end();
});

t.test('pendingServerTransactions: counts transactions without a final response', (t) => {
  const { user, layer, empty } = setup();
  for (let i = 0; i < 5; i++) layer.receiveRequest(request({ method: i % 2 ? 'INVITE' : 'MESSAGE', transport: 'tcp' }), flow('tcp'));
  t.equal(layer.pendingServerTransactions, 5);
  user.requests[0]!.respond(createResponse(user.requests[0]!.request, 100));
  t.equal(layer.pendingServerTransactions, 5, 'a provisional does not count');
  user.requests[0]!.respond(createResponse(user.requests[0]!.request, 200, undefined, { toTag: 't' }));
  user.requests[1]!.respond(createResponse(user.requests[1]!.request, 486, undefined, { toTag: 't' }));
  t.equal(layer.pendingServerTransactions, 3);
  t.same({ ...layer.transactionCounts }, { ict: 0, nict: 0, ist: 2, nist: 2 }, 'the TCP MESSAGE ended at once (J = 0)');
  layer.close();
  empty(t);
  t.end();
});

t.test('server transport error through the layer: the TU is told and the transaction is gone', (t) => {
  const { sender, user, layer, empty } = setup();
  sender.mode = 'throw';
  layer.receiveRequest(request({ method: 'OPTIONS', transport: 'tcp' }), flow('tcp'));
  const txn = user.requests[0]!;
  txn.respond(createResponse(txn.request, 200, undefined, { toTag: 't' }));
  t.same(user.transportErrors, [txn]);
  empty(t);
  t.end();
});
