import t from 'tap';
import { InviteClientTransaction } from '../../../lib/engine/transactions/invite-client-transaction.js';
import { TransactionState } from '../../../lib/engine/transactions/transaction-state.js';
import { harness, isMethod, RecordingClientUser, request, response, target, type Harness } from './helpers.js';

function setup(transport: 'udp' | 'tcp' = 'udp') {
  const h: Harness = harness();
  const user = new RecordingClientUser(h.clock);
  const invite = request({ transport });
  const txn = new InviteClientTransaction('ict-1', invite, target(transport), user, h.ctx);
  txn.start();
  return { ...h, user, invite, txn };
}

t.test('UDP: timer A retransmits at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s and timer B times out at 32 s', (t) => {
  const { clock, sender, user, txn, metrics } = setup('udp');
  t.equal(txn.state, TransactionState.Calling);
  clock.tick(31_999);
  t.same(sender.times(isMethod('INVITE')), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  t.same(user.events, []);
  clock.tick(1);
  t.same(user.events, [
    { type: 'timeout', at: 32_000 },
    { type: 'terminated', at: 32_000 },
  ]);
  t.equal(txn.state, TransactionState.Terminated);
  t.same(metrics.timeouts, ['ict:B']);
  t.equal(clock.pending, 0, 'no timer left');
  t.equal(sender.sent.length, 7, 'nothing sent after B');
  t.end();
});

t.test('TCP: no retransmission at all, timer B still times out at 32 s', (t) => {
  const { clock, sender, user, txn } = setup('tcp');
  t.equal(clock.pending, 1, 'only timer B is armed');
  clock.tick(32_000);
  t.same(sender.times(), [0]);
  t.same(user.types(), ['timeout', 'terminated']);
  t.equal(txn.state, TransactionState.Terminated);
  t.end();
});

t.test('a provisional stops retransmissions and timer B; the TU gets every provisional', (t) => {
  const { clock, sender, user, invite, txn } = setup('udp');
  clock.tick(600);
  txn.receiveResponse(response(invite, 100));
  t.equal(txn.state, TransactionState.Proceeding);
  clock.tick(100);
  txn.receiveResponse(response(invite, 180));
  clock.tick(120_000);
  t.same(sender.times(), [0, 500], 'no retransmission after the 100');
  t.same(user.events, [
    { type: 'response', status: 100, at: 600, state: 'Proceeding' },
    { type: 'response', status: 180, at: 700, state: 'Proceeding' },
  ]);
  t.equal(txn.state, TransactionState.Proceeding, 'no timer B in Proceeding');
  t.equal(clock.pending, 0);
  t.end();
});

t.test('non-2xx final: ACK built and sent to the same target, retransmitted finals re-ACKed, timer D = 32 s', (t) => {
  const { clock, sender, user, invite, txn } = setup('udp');
  clock.tick(1000);
  const busy = response(invite, 486, 'uas-tag');
  txn.receiveResponse(busy);
  t.equal(txn.state, TransactionState.Completed);
  const acks = sender.requests('ACK');
  t.equal(acks.length, 1);
  const ack = acks[0]!;
  t.equal(ack.uri, invite.uri, 'ACK Request-URI = INVITE Request-URI (17.1.1.3)');
  t.equal(ack.via.branch, invite.via.branch, 'ACK has the INVITE branch');
  t.equal(ack.cseq.seq, invite.cseq.seq);
  t.equal(ack.cseq.method, 'ACK');
  t.equal(ack.to.tag, 'uas-tag', 'To tag from the response');
  t.equal(ack.callId, invite.callId);
  t.same(sender.sent[sender.sent.length - 1]!.target, target('udp'), 'ACK goes where the INVITE went');
  t.equal(txn.ackRequest, ack);

  clock.tick(2000);
  txn.receiveResponse(response(invite, 486, 'uas-tag'));
  t.same(sender.times(isMethod('ACK')), [1000, 3000], 'retransmitted final ACKed again');
  t.same(
    user.events.filter((e) => e.type === 'response'),
    [{ type: 'response', status: 486, at: 1000, state: 'Completed' }],
    'the retransmission is not passed up',
  );
  t.same(sender.times(isMethod('INVITE')), [0, 500], 'retransmissions stopped by the final');
  clock.tick(32_000 - 2000 - 1);
  t.equal(txn.state, TransactionState.Completed);
  clock.tick(1);
  t.equal(txn.state, TransactionState.Terminated, 'timer D fired at 1 s + 32 s');
  t.same(user.events[user.events.length - 1], { type: 'terminated', at: 33_000 });
  t.equal(clock.pending, 0);
  t.end();
});

t.test('TCP non-2xx final: ACK sent and Terminated at once (timer D = 0), no timer left', (t) => {
  const { clock, sender, user, invite, txn } = setup('tcp');
  clock.tick(50);
  txn.receiveResponse(response(invite, 603));
  t.equal(txn.state, TransactionState.Terminated);
  t.equal(sender.requests('ACK').length, 1);
  t.same(user.types(), ['response', 'terminated']);
  t.equal(clock.pending, 0);
  t.end();
});

t.test('2xx: Accepted (RFC 6026), every 2xx passed up, non-2xx dropped, timer M = 64*T1', (t) => {
  const { clock, sender, user, invite, txn } = setup('udp');
  clock.tick(200);
  txn.receiveResponse(response(invite, 200, 'a'));
  t.equal(txn.state, TransactionState.Accepted);
  clock.tick(500);
  txn.receiveResponse(response(invite, 200, 'a'));
  txn.receiveResponse(response(invite, 200, 'b'));
  txn.receiveResponse(response(invite, 486, 'c'));
  txn.receiveResponse(response(invite, 180, 'd'));
  t.same(
    user.responses.map((r) => `${r.status}/${r.to.tag}`),
    ['200/a', '200/a', '200/b'],
  );
  t.equal(sender.requests('ACK').length, 0, 'the ICT never ACKs a 2xx');
  t.same(sender.times(), [0], 'no retransmission after the 2xx');
  clock.tick(32_000 - 500 - 1);
  t.equal(txn.state, TransactionState.Accepted);
  clock.tick(1);
  t.equal(txn.state, TransactionState.Terminated, 'M fired at 0.2 s + 32 s');
  t.same(user.events[user.events.length - 1], { type: 'terminated', at: 32_200 });
  t.end();
});

t.test('2xx over TCP still waits timer M (it is 64*T1 on every transport)', (t) => {
  const { clock, invite, txn } = setup('tcp');
  txn.receiveResponse(response(invite, 200));
  t.equal(clock.nextDue(), 32_000);
  clock.tick(32_000);
  t.equal(txn.state, TransactionState.Terminated);
  t.end();
});

t.test('synchronous transport error on the INVITE: TU told (like 503), Terminated, no timers', (t) => {
  const h = harness();
  h.sender.mode = 'throw';
  const user = new RecordingClientUser(h.clock);
  const txn = new InviteClientTransaction('ict-x', request(), target('udp'), user, h.ctx);
  txn.start();
  t.same(user.events, [
    { type: 'transport-error', at: 0, message: 'send failed' },
    { type: 'terminated', at: 0 },
  ]);
  t.equal(txn.state, TransactionState.Terminated);
  t.equal(h.clock.pending, 0);
  t.end();
});

t.test('asynchronous transport error (rejected promise) on a retransmission', async (t) => {
  const { clock, sender, user, txn } = setup('udp');
  sender.mode = 'reject';
  clock.tick(500);
  t.equal(txn.state, TransactionState.Calling, 'not yet: the rejection is asynchronous');
  await new Promise((r) => setImmediate(r));
  t.same(user.types(), ['transport-error', 'terminated']);
  t.equal(txn.state, TransactionState.Terminated);
  t.equal(clock.pending, 0);
});

t.test('a resolved send promise is not an error', async (t) => {
  const { clock, sender, user, txn } = setup('udp');
  sender.mode = 'resolve';
  clock.tick(500);
  await new Promise((r) => setImmediate(r));
  t.same(user.events, []);
  t.equal(txn.state, TransactionState.Calling);
});

t.test('start() twice throws', (t) => {
  const { txn } = setup('udp');
  t.throws(() => txn.start(), /already started/);
  t.end();
});
