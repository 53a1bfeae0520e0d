import t from 'tap';
import { NonInviteClientTransaction } from '../../../lib/engine/transactions/non-invite-client-transaction.js';
import { TransactionState } from '../../../lib/engine/transactions/transaction-state.js';
import { timerTable } from '../../../lib/engine/transactions/timer-values.js';
import { harness, RecordingClientUser, request, response, target } from './helpers.js';

function setup(transport: 'udp' | 'tcp' = 'udp', timers?: { t1?: number; t2?: number; t4?: number }) {
  const h = harness();
  const ctx = timers ? { ...h.ctx, timers: timerTable(timers) } : h.ctx;
  const user = new RecordingClientUser(h.clock);
  const req = request({ method: 'OPTIONS', transport });
  const txn = new NonInviteClientTransaction('nict-1', req, target(transport), user, ctx);
  txn.start();
  return { ...h, user, req, txn };
}

t.test('UDP: timer E doubles up to T2 (0.5, 1.5, 3.5, then every 4 s) and timer F times out at 32 s', (t) => {
  const { clock, sender, user, txn, metrics } = setup('udp');
  clock.tick(31_999);
  t.same(sender.times(), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  t.equal(txn.state, TransactionState.Trying);
  clock.tick(1);
  t.same(user.events, [
    { type: 'timeout', at: 32_000 },
    { type: 'terminated', at: 32_000 },
  ]);
  t.same(metrics.timeouts, ['nict:F']);
  t.equal(clock.pending, 0);
  t.end();
});

t.test('a provisional moves to Proceeding and the next E interval is T2 (17.1.2.2)', (t) => {
  const { clock, sender, user, req, txn } = setup('udp');
  clock.tick(200);
  txn.receiveResponse(response(req, 100));
  t.equal(txn.state, TransactionState.Proceeding);
  clock.tick(31_799);
  // E still fires at 0.5 s (armed in Trying), then every T2 = 4 s instead of 1 s, 2 s, 4 s.
  t.same(sender.times(), [0, 500, 4500, 8500, 12500, 16500, 20500, 24500, 28500]);
  t.same(user.events, [{ type: 'response', status: 100, at: 200, state: 'Proceeding' }]);
  clock.tick(1);
  t.same(user.types(), ['response', 'timeout', 'terminated'], 'F still applies in Proceeding');
  t.end();
});

t.test('T2 cap follows the configuration', (t) => {
  const { clock, sender } = setup('udp', { t1: 100, t2: 300 });
  clock.tick(1000);
  t.same(sender.times(), [0, 100, 300, 600, 900]);
  t.end();
});

t.test('final response: Completed, passed up once, retransmissions absorbed, timer K = T4', (t) => {
  const { clock, sender, user, req, txn } = setup('udp');
  clock.tick(1000);
  txn.receiveResponse(response(req, 200));
  t.equal(txn.state, TransactionState.Completed);
  clock.tick(1000);
  txn.receiveResponse(response(req, 200));
  t.same(user.events, [{ type: 'response', status: 200, at: 1000, state: 'Completed' }]);
  t.same(sender.times(), [0, 500], 'E stopped');
  clock.tick(5000 - 1000 - 1);
  t.equal(txn.state, TransactionState.Completed);
  clock.tick(1);
  t.equal(txn.state, TransactionState.Terminated, 'K fired at 1 s + 5 s');
  t.same(user.types(), ['response', 'terminated']);
  t.equal(clock.pending, 0);
  t.end();
});

t.test('TCP: no E; a final terminates at once (K = 0)', (t) => {
  const { clock, sender, user, req, txn } = setup('tcp');
  t.equal(clock.pending, 1, 'only F');
  clock.tick(3000);
  txn.receiveResponse(response(req, 404));
  t.equal(txn.state, TransactionState.Terminated);
  t.same(sender.times(), [0]);
  t.same(user.types(), ['response', 'terminated']);
  t.equal(clock.pending, 0);
  t.end();
});

t.test('TCP timeout: F at 64*T1', (t) => {
  const { clock, user } = setup('tcp');
  clock.tick(31_999);
  t.same(user.events, []);
  clock.tick(1);
  t.same(user.types(), ['timeout', 'terminated']);
  t.end();
});

t.test('transport error while retransmitting: TU told, Terminated', (t) => {
  const { clock, sender, user, txn } = setup('udp');
  sender.mode = 'throw';
  clock.tick(500);
  t.same(user.events, [
    { type: 'transport-error', at: 500, message: 'send failed' },
    { type: 'terminated', at: 500 },
  ]);
  t.equal(txn.state, TransactionState.Terminated);
  t.equal(clock.pending, 0);
  t.end();
});

t.test('a TU that throws in onResponse still lets a reliable transaction terminate', (t) => {
  const h = harness();
  const user = new RecordingClientUser(h.clock);
  user.onResponse = () => {
    throw new Error('tu bug');
  };
  const req = request({ method: 'BYE', transport: 'tcp' });
  const txn = new NonInviteClientTransaction('nict-2', req, target('tcp'), user, h.ctx);
  txn.start();
  t.throws(() => txn.receiveResponse(response(req, 200)), /tu bug/);
  t.equal(txn.state, TransactionState.Terminated);
  t.equal(h.clock.pending, 0);
  t.end();
});
