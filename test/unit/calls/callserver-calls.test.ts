import t from 'tap';
import { simringFailureStatus } from '../../../lib/calls/callserver-calls.js';

t.test('simringFailureStatus', async (t) => {
  t.equal(simringFailureStatus([{ status: 486 }, { status: 480 }]), 486, 'busy when any device is busy');
  t.equal(simringFailureStatus([{ status: 480 }, { status: 486 }, { status: 408 }]), 486);
  t.equal(simringFailureStatus([{ status: 486 }, { status: 603 }]), 603, 'a 6xx wins over busy');
  t.equal(simringFailureStatus([{ status: 480 }, { status: 600 }, { status: 486 }]), 600);
  t.equal(simringFailureStatus([{ status: 404 }, { status: 408 }, { status: 503 }]), 480, 'else 480');
  t.equal(simringFailureStatus([{ status: 487 }]), 480);
  t.equal(simringFailureStatus([]), 480, 'no errors');
  t.equal(simringFailureStatus({ status: 603 }), 603, 'a single error, not an array');
  t.equal(simringFailureStatus({ status: 486 }), 486);
  t.equal(simringFailureStatus(new Error('boom')), 480, 'an error without a status');
  t.equal(simringFailureStatus(null), 480);
  t.equal(simringFailureStatus(undefined), 480);
  t.equal(simringFailureStatus([null, undefined, 'x', { status: '486' }, { status: '603' }]), 480, 'non-numeric statuses ignored');
  t.equal(simringFailureStatus([null, { status: 486 }]), 486, 'null entries do not throw');
});
