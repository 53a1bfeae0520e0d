import t from 'tap';
import { NonInviteServerTransaction } from '../../../lib/engine/transactions/non-invite-server-transaction.js';
import { TransactionState } from '../../../lib/engine/transactions/transaction-state.js';
import { createResponse } from '../../../lib/engine/messages/response-factory.js';
import { flow, harness, isStatus, RecordingServerUser, request } from './helpers.js';

function setup(transport: 'udp' | 'tcp' = 'udp') {
  const h = harness();
  const user = new RecordingServerUser();
  const req = request({ method: 'REGISTER', transport });
  const f = flow(transport);
  const txn = new NonInviteServerTransaction('nist-1', req, f, user, h.ctx);
  let terminatedAt: number | undefined;
  txn.onTerminated = () => {
    terminatedAt = h.clock.now();
  };
  const retransmit = () => txn.receiveRequest(request({ method: 'REGISTER', branch: req.via.branch!, transport }), f);
  return { ...h, user, req, f, txn, retransmit, terminated: () => terminatedAt };
}

t.test('no 100 Trying for non-INVITE; a retransmission in Trying is discarded', (t) => {
  const { sender, txn, retransmit } = setup();
  t.equal(txn.state, TransactionState.Trying);
  retransmit();
  t.equal(sender.sent.length, 0);
  t.end();
});

t.test('retransmission in Proceeding gets the last provisional', (t) => {
  const { clock, sender, req, txn, retransmit } = setup();
  txn.respond(createResponse(req, 100));
  t.equal(txn.state, TransactionState.Proceeding);
  clock.tick(700);
  retransmit();
  t.same(sender.times(isStatus(100)), [0, 700]);
  t.end();
});

t.test('UDP final: Completed, retransmissions get the final, J = 64*T1', (t) => {
  const { clock, sender, req, f, txn, retransmit, terminated } = setup('udp');
  clock.tick(100);
  txn.respond(createResponse(req, 200, undefined, { toTag: 'x' }));
  t.equal(txn.state, TransactionState.Completed);
  clock.tick(500);
  retransmit();
  clock.tick(1000);
  retransmit();
  t.same(sender.times(isStatus(200)), [100, 600, 1600]);
  t.ok(sender.sent.every((s) => s.target === f), 'always to the request flow');
  txn.respond(createResponse(req, 500));
  t.equal(sender.responses(500).length, 0, 'a second final is discarded');
  clock.tick(32_000 - 1500 - 1);
  t.equal(txn.state, TransactionState.Completed);
  clock.tick(1);
  t.equal(txn.state, TransactionState.Terminated);
  t.equal(terminated(), 32_100);
  t.equal(clock.pending, 0);
  t.end();
});

t.test('TCP final: Terminated right after sending (J = 0), no timer ever armed', (t) => {
  const { clock, sender, req, txn, terminated } = setup('tcp');
  clock.tick(10);
  txn.respond(createResponse(req, 200, undefined, { toTag: 'x' }));
  t.equal(txn.state, TransactionState.Terminated);
  t.equal(terminated(), 10);
  t.equal(sender.sent.length, 1);
  t.equal(clock.pending, 0);
  t.end();
});

t.test('transport error (rejected promise) is reported and terminates', async (t) => {
  const { sender, user, req, txn } = setup('udp');
  sender.mode = 'reject';
  txn.respond(createResponse(req, 200, undefined, { toTag: 'x' }));
  t.equal(txn.state, TransactionState.Completed);
  await new Promise((r) => setImmediate(r));
  t.same(user.transportErrors, [txn]);
  t.equal(txn.state, TransactionState.Terminated);
});

t.test('UDP Completed keeps only the final response bytes; retransmissions still get the identical response', (t) => {
  const { clock, sender, req, txn, retransmit } = setup('udp');
  const final = createResponse(req, 200, 'OK', { toTag: 'retired-1', headers: [{ name: 'X-Mark', value: 'kept' }] });
  txn.respond(final);
  t.equal(txn.state, TransactionState.Completed);
  t.equal(txn.lastResponse, undefined, 'the parsed response was let go');
  t.throws(() => txn.request, /its request was released/, 'and so was the request');
  clock.tick(1000);
  retransmit();
  const sent = sender.responses(200);
  t.equal(sent.length, 2, 'the retransmission was answered');
  t.equal(sent[1]!.get('x-mark'), 'kept');
  t.equal(sent[1]!.to.tag, 'retired-1', 'with the same To tag');
  t.equal(sent[1]!.callId, req.callId);
  t.end();
});
