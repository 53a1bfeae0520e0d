import t from 'tap';
import { withDeadline } from '../../../lib/calls/deadline.js';

const after = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));

t.test('an answer in time is the outcome; nothing is late', async (t) => {
  const late: string[] = [];
  const d = withDeadline(after(5, 'answer'), 200, () => 'timeout', (v) => late.push(v));
  t.equal(await d.outcome, 'answer');
  await after(20, null);
  t.same(late, []);
});

t.test('past the deadline the outcome is the timeout, and the answer that still comes is late', async (t) => {
  const late: string[] = [];
  const d = withDeadline(after(60, 'answer'), 10, () => 'timeout', (v) => late.push(v));
  t.equal(await d.outcome, 'timeout');
  await after(80, null);
  t.same(late, ['answer'], 'handed to late, to be undone');
});

t.test('a lifted deadline waits for the answer however long it takes', async (t) => {
  const d = withDeadline(after(60, 'answer'), 10, () => 'timeout');
  d.lift();
  t.equal(await d.outcome, 'answer');
});
