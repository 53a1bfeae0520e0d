// SIPp drives the real engine (child process, answering transaction user) over UDP and TCP:
// every OPTIONS and REGISTER transaction must succeed, and the node's counters must agree.
import t from 'tap';
import { startNode } from '../helpers/node-process.js';
import { runSippUac, type SippTransport } from '../helpers/sipp.js';

const CALLS = 200;

t.test('SIPp OPTIONS and REGISTER over UDP and TCP', async (t) => {
  const node = await startNode(t);
  const cases: Array<[string, SippTransport, string]> = [
    ['OPTIONS over UDP', 'u1', 'options-uac'],
    ['OPTIONS over TCP', 't1', 'options-uac'],
    ['REGISTER over UDP', 'u1', 'register-uac'],
    ['REGISTER over TCP', 't1', 'register-uac'],
    ['REGISTER over TCP, a connection per registration', 'tn', 'register-uac'],
  ];
  for (const [name, transport, scenario] of cases) {
    await t.test(name, async (t) => {
      const r = await runSippUac(t, { scenario, port: node.sipPort, transport, calls: CALLS, rate: 400, timeoutS: 30 });
      t.equal(r.exitCode, 0, `sipp exit code (output: ${r.errors.slice(-500)})`);
      t.equal(r.successful, CALLS, 'every transaction succeeded');
      t.equal(r.failed, 0, 'none failed');
    });
  }
  const optionsIn = await node.metricValue('sipedge_sip_messages_total', { direction: 'in', method: 'OPTIONS' });
  const registerIn = await node.metricValue('sipedge_sip_messages_total', { direction: 'in', method: 'REGISTER' });
  t.ok(optionsIn >= 2 * CALLS, `OPTIONS counted in (${optionsIn})`);
  t.ok(registerIn >= 3 * CALLS, `REGISTER counted in (${registerIn})`);
  const out = await node.metricValue('sipedge_sip_messages_total', { direction: 'out', kind: 'response' });
  t.ok(out >= 5 * CALLS, `responses counted out (${out})`);
  const opened = await node.metricValue('sipedge_connections_opened_total', { transport: 'tcp' });
  t.ok(opened >= CALLS, `a connection per registration was opened (${opened})`);
});
