import t from 'tap';
import { InviteServerTransaction } from '../../../lib/engine/transactions/invite-server-transaction.js';
import { TransactionState } from '../../../lib/engine/transactions/transaction-state.js';
import { createResponse } from '../../../lib/engine/messages/response-factory.js';
import type { SipRequest } from '../../../lib/engine/messages/message.js';
import { flow, harness, isStatus, RecordingServerUser, request } from './helpers.js';

function setup(transport: 'udp' | 'tcp' = 'udp', sendTrying = true) {
  const h = harness();
  const user = new RecordingServerUser();
  const invite = request({ transport });
  const f = flow(transport);
  const txn = new InviteServerTransaction('ist-1', invite, f, user, h.ctx, { sendTrying });
  const acks: SipRequest[] = [];
  txn.onAck = (ack) => acks.push(ack);
  let terminatedAt: number | undefined;
  txn.onTerminated = () => {
    terminatedAt = h.clock.now();
  };
  txn.start();
  return { ...h, user, invite, f, txn, acks, terminated: () => terminatedAt };
}

const ack = (invite: SipRequest, toTag = 'uas') =>
  request({
    method: 'ACK',
    branch: invite.via.branch!,
    transport: invite.via.transport.toLowerCase() as 'udp' | 'tcp',
    toTag,
    cseqMethod: 'ACK',
  });

t.test('100 Trying is sent at once, to the request flow, and answers INVITE retransmissions', (t) => {
  const { clock, sender, invite, f, txn } = setup('udp');
  t.equal(txn.state, TransactionState.Proceeding);
  t.same(sender.times(isStatus(100)), [0]);
  t.equal(sender.sent[0]!.target, f, 'responses go to the flow the request came on');
  const trying = sender.responses(100)[0]!;
  t.equal(trying.via.branch, invite.via.branch);
  t.equal(trying.callId, invite.callId);
  clock.tick(500);
  txn.receiveRequest(request({ branch: invite.via.branch! }), f);
  t.same(sender.times(isStatus(100)), [0, 500], 'retransmitted INVITE gets the 100 again');
  t.equal(txn.lastResponse, trying);
  t.end();
});

t.test('sendTrying: false sends nothing until the TU answers; retransmissions are then absorbed silently', (t) => {
  const { sender, invite, f, txn } = setup('udp', false);
  t.equal(sender.sent.length, 0);
  txn.receiveRequest(request({ branch: invite.via.branch! }), f);
  t.equal(sender.sent.length, 0);
  t.end();
});

t.test('INVITE retransmission in Proceeding gets the latest provisional', (t) => {
  const { clock, sender, invite, f, txn } = setup('udp');
  clock.tick(100);
  const ringing = createResponse(invite, 180, undefined, { toTag: 'uas' });
  txn.respond(ringing);
  clock.tick(400);
  txn.receiveRequest(request({ branch: invite.via.branch! }), f);
  t.same(sender.times(isStatus(180)), [100, 500]);
  t.equal(txn.state, TransactionState.Proceeding);
  t.end();
});

t.test('486 over UDP: G retransmits at 0.5, 1.5, 3.5, 7.5, then every T2; H fires at 32 s as a timeout', (t) => {
  const { clock, sender, metrics, user, invite, txn, terminated } = setup('udp');
  txn.respond(createResponse(invite, 486, undefined, { toTag: 'uas' }));
  t.equal(txn.state, TransactionState.Completed);
  t.ok(txn.hasFinalResponse);
  clock.tick(31_999);
  t.same(sender.times(isStatus(486)), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  t.same(user.timeouts, []);
  clock.tick(1);
  t.same(user.timeouts, [txn], 'TU told of the missing ACK');
  t.same(metrics.timeouts, ['ist:H']);
  t.equal(txn.state, TransactionState.Terminated);
  t.equal(terminated(), 32_000);
  t.equal(clock.pending, 0);
  t.end();
});

t.test('486 over TCP: no G retransmission, H still at 64*T1', (t) => {
  const { clock, sender, user, invite, txn } = setup('tcp');
  txn.respond(createResponse(invite, 486, undefined, { toTag: 'uas' }));
  t.equal(clock.pending, 1, 'only H');
  clock.tick(32_000);
  t.same(sender.times(isStatus(486)), [0]);
  t.same(user.timeouts, [txn]);
  t.end();
});

t.test('INVITE retransmission in Completed gets the final again', (t) => {
  const { clock, sender, invite, f, txn } = setup('udp');
  txn.respond(createResponse(invite, 603, undefined, { toTag: 'uas' }));
  clock.tick(200);
  txn.receiveRequest(request({ branch: invite.via.branch! }), f);
  t.same(sender.times(isStatus(603)), [0, 200]);
  t.end();
});

t.test('ACK in Completed: Confirmed, G/H stop, ACK retransmissions absorbed, I = T4', (t) => {
  const { clock, sender, user, invite, f, txn, acks, terminated } = setup('udp');
  clock.tick(1000);
  txn.respond(createResponse(invite, 486, undefined, { toTag: 'uas' }));
  clock.tick(1600); // G fired at 1.5 s and 2.5 s
  const a = ack(invite);
  txn.receiveRequest(a, f);
  t.equal(txn.state, TransactionState.Confirmed);
  t.same(acks, [a], 'onAck called once');
  txn.receiveRequest(ack(invite), f);
  t.equal(acks.length, 1, 'retransmitted ACK absorbed');
  t.same(user.acks, [], 'the ACK of a non-2xx never reaches the TU as a stray ACK');
  clock.tick(5000 - 1);
  t.equal(txn.state, TransactionState.Confirmed);
  clock.tick(1);
  t.equal(txn.state, TransactionState.Terminated);
  t.equal(terminated(), 2600 + 5000, 'I fired T4 after the ACK');
  t.same(sender.times(isStatus(486)), [1000, 1500, 2500], 'no retransmission after the ACK');
  t.same(user.timeouts, [], 'H never fired');
  t.equal(clock.pending, 0);
  t.end();
});

t.test('ACK over TCP: Terminated at once (I = 0)', (t) => {
  const { clock, invite, f, txn, acks } = setup('tcp');
  txn.respond(createResponse(invite, 486, undefined, { toTag: 'uas' }));
  txn.receiveRequest(ack(invite), f);
  t.equal(acks.length, 1);
  t.equal(txn.state, TransactionState.Terminated);
  t.equal(clock.pending, 0);
  t.end();
});

t.test('2xx: Accepted (RFC 6026), INVITE retransmissions absorbed, 2xx from the TU sent, L = 64*T1', (t) => {
  const { clock, sender, user, invite, f, txn, terminated } = setup('udp');
  clock.tick(300);
  const ok = createResponse(invite, 200, undefined, { toTag: 'uas' });
  txn.respond(ok);
  t.equal(txn.state, TransactionState.Accepted);
  clock.tick(500);
  txn.receiveRequest(request({ branch: invite.via.branch! }), f);
  t.same(sender.times(isStatus(200)), [300], 'the transaction does not retransmit the 2xx itself');
  txn.respond(ok);
  t.same(sender.times(isStatus(200)), [300, 800], 'the TU retransmits it through the transaction');
  txn.respond(createResponse(invite, 486));
  t.equal(sender.responses(486).length, 0, 'non-2xx after a 2xx discarded');
  const a = ack(invite);
  txn.receiveRequest(a, f);
  t.same(user.acks, [a], 'an ACK reaching an Accepted IST is the TU\'s');
  clock.tick(32_000 - 500 - 1);
  t.equal(txn.state, TransactionState.Accepted);
  clock.tick(1);
  t.equal(terminated(), 32_300);
  t.end();
});

t.test('responses after the final are discarded; provisionals after a final are not sent', (t) => {
  const { sender, invite, txn } = setup('udp');
  txn.respond(createResponse(invite, 480, undefined, { toTag: 'uas' }));
  txn.respond(createResponse(invite, 180, undefined, { toTag: 'uas' }));
  txn.respond(createResponse(invite, 200, undefined, { toTag: 'uas' }));
  t.same(
    sender.responses().map((r) => r.status),
    [100, 480],
  );
  t.end();
});

t.test('response time is observed once, at the first final', (t) => {
  const { clock, metrics, invite, txn } = setup('tcp');
  clock.tick(250);
  txn.respond(createResponse(invite, 180, undefined, { toTag: 'uas' }));
  clock.tick(250);
  txn.respond(createResponse(invite, 200, undefined, { toTag: 'uas' }));
  t.same(metrics.responseTimes, [['INVITE', 0.5]]);
  t.end();
});

t.test('transport error sending a response: TU told, Terminated', (t) => {
  const { clock, sender, user, invite, txn } = setup('udp');
  sender.mode = 'throw';
  txn.respond(createResponse(invite, 486, undefined, { toTag: 'uas' }));
  t.same(user.transportErrors, [txn]);
  t.equal(txn.state, TransactionState.Terminated);
  t.equal(clock.pending, 0);
  t.end();
});

t.test('2xx over TCP: no Accepted wait (L = 0), terminated right after sending', (t) => {
  const { sender, invite, txn, terminated } = setup('tcp');
  txn.respond(createResponse(invite, 200, undefined, { toTag: 'uas' }));
  t.equal(txn.state, TransactionState.Terminated, 'INVITE retransmissions cannot come over TCP, so nothing to wait for');
  t.equal(terminated(), 0);
  t.equal(sender.responses(200).length, 1, 'the 2xx was sent');
  t.end();
});
