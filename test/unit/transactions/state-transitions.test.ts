import t from 'tap';
import { InviteClientTransaction } from '../../../lib/engine/transactions/invite-client-transaction.js';
import { NonInviteClientTransaction } from '../../../lib/engine/transactions/non-invite-client-transaction.js';
import { InviteServerTransaction } from '../../../lib/engine/transactions/invite-server-transaction.js';
import { NonInviteServerTransaction } from '../../../lib/engine/transactions/non-invite-server-transaction.js';
import { TransactionState, TransactionStateError } from '../../../lib/engine/transactions/transaction-state.js';
import type { Transaction } from '../../../lib/engine/transactions/transaction.js';
import { flow, harness, RecordingClientUser, RecordingServerUser, request, target } from './helpers.js';

const { Calling, Trying, Proceeding, Accepted, Completed, Confirmed, Terminated } = TransactionState;
const ALL = [Calling, Trying, Proceeding, Accepted, Completed, Confirmed, Terminated];

/** Reaches the protected state machine step, as only a buggy caller could. */
const move = (txn: Transaction, to: TransactionState) =>
  (txn as unknown as { stateTransition(to: TransactionState): void }).stateTransition(to);

type Factory = () => Transaction;

function factories(): Record<string, { make: Factory; initial: TransactionState; arrows: Record<string, TransactionState[]> }> {
  const h = harness();
  const cu = new RecordingClientUser(h.clock);
  const su = new RecordingServerUser();
  return {
    ict: {
      make: () => new InviteClientTransaction('x', request(), target(), cu, h.ctx),
      initial: Calling,
      arrows: {
        [Calling]: [Proceeding, Accepted, Completed, Terminated],
        [Proceeding]: [Accepted, Completed, Terminated],
        [Accepted]: [Terminated],
        [Completed]: [Terminated],
      },
    },
    nict: {
      make: () => new NonInviteClientTransaction('x', request({ method: 'OPTIONS' }), target(), cu, h.ctx),
      initial: Trying,
      arrows: {
        [Trying]: [Proceeding, Completed, Terminated],
        [Proceeding]: [Completed, Terminated],
        [Completed]: [Terminated],
      },
    },
    ist: {
      make: () => new InviteServerTransaction('x', request(), flow(), su, h.ctx),
      initial: Proceeding,
      arrows: {
        [Proceeding]: [Accepted, Completed, Terminated],
        [Accepted]: [Terminated],
        [Completed]: [Confirmed, Terminated],
        [Confirmed]: [Terminated],
      },
    },
    nist: {
      make: () => new NonInviteServerTransaction('x', request({ method: 'OPTIONS' }), flow(), su, h.ctx),
      initial: Trying,
      arrows: {
        [Trying]: [Proceeding, Completed, Terminated],
        [Proceeding]: [Completed, Terminated],
        [Completed]: [Terminated],
      },
    },
  };
}

/** A path of allowed arrows from `initial` to `state` (breadth first), or undefined if unreachable. */
function pathTo(arrows: Record<string, TransactionState[]>, initial: TransactionState, state: TransactionState) {
  const queue: TransactionState[][] = [[initial]];
  while (queue.length) {
    const path = queue.shift()!;
    const last = path[path.length - 1]!;
    if (last === state) return path.slice(1);
    for (const next of arrows[last] ?? []) if (!path.includes(next)) queue.push([...path, next]);
  }
  return undefined;
}

for (const [kind, spec] of Object.entries(factories())) {
  t.test(`${kind}: every arrow of the diagram is allowed, every other one throws`, (t) => {
    const reachable = ALL.filter((s) => s === spec.initial || pathTo(spec.arrows, spec.initial, s) !== undefined);
    for (const from of reachable) {
      for (const to of ALL) {
        const txn = spec.make();
        for (const step of pathTo(spec.arrows, spec.initial, from)!) move(txn, step);
        t.equal(txn.state, from);
        const allowed = (spec.arrows[from] ?? []).includes(to);
        if (allowed) {
          move(txn, to);
          t.equal(txn.state, to, `${from} -> ${to} allowed`);
        } else {
          let thrown: unknown;
          try {
            move(txn, to);
          } catch (err) {
            thrown = err;
          }
          t.ok(
            thrown instanceof TransactionStateError && thrown.from === from && thrown.to === to && thrown.kind === kind,
            `${from} -> ${to} throws TransactionStateError`,
          );
          t.equal(txn.state, from, 'state unchanged after a refused transition');
        }
      }
    }
    t.end();
  });
}

t.test('Terminated is final, and dispose() is idempotent', (t) => {
  const h = harness();
  const txn = new NonInviteServerTransaction('x', request({ method: 'OPTIONS' }), flow(), new RecordingServerUser(), h.ctx);
  let terminations = 0;
  txn.onTerminated = () => terminations++;
  txn.dispose();
  txn.dispose();
  t.equal(txn.state, Terminated);
  t.equal(terminations, 1);
  t.throws(() => move(txn, Completed), TransactionStateError);
  t.throws(() => move(txn, Terminated), /Terminated -> Terminated/);
  t.end();
});
