// DrachtioServer.releaseConnections: the layer above may ask the embedded engine to close inbound connections it no
// longer needs; the engine closes only those no transaction or dialog uses (reason `released`).
import t from 'tap';
import type Srf from 'drachtio-srf';
import type { SrfResponse } from 'drachtio-srf';
import { methodRouting } from '../../../lib/app/srf-routing.js';
import { connect, type SipStreamClient } from '../../helpers/sip-tls-client.js';
import { headerValue } from '../../helpers/sip-message.js';
import { connectApp, startTestEngine, waitUntil } from '../../helpers/drachtio-harness.js';
import { rawRequest, SDP } from '../../helpers/raw-requests.js';

t.test('only connections without transactions or dialogs are released', async (t) => {
  const engine = await startTestEngine(t);
  const held: SrfResponse[] = [];
  await connectApp(t, engine, (srf: Srf) => {
    srf.invite((req, res) => {
      if (req.get('Call-ID').startsWith('hold')) held.push(res);
      else void srf.createUAS(req, res, { localSdp: SDP }).catch(() => undefined);
    });
    methodRouting(srf).options((_req, res) => res.send(200));
  });
  const { transport } = engine.embedded.engine;
  const server = engine.embedded.server;
  const idOf = (c: SipStreamClient): string => {
    const info = transport.connections().find((i) => i.inbound && i.remotePort === c.context.localPort);
    if (info === undefined) throw new Error(`no engine connection for port ${c.context.localPort}`);
    return info.id;
  };

  const idle = await connect({ port: engine.sipPort, transport: 'tcp' });
  const ringing = await connect({ port: engine.sipPort, transport: 'tcp' });
  const talking = await connect({ port: engine.sipPort, transport: 'tcp' });
  t.teardown(() => Promise.all([idle.close(), ringing.close(), talking.close()]));

  t.equal((await idle.request(rawRequest('OPTIONS'), { timeoutMs: 5000 })).status, 200, 'idle connection used once');
  const pending = ringing.request(rawRequest('INVITE', { callId: 'hold-1@test', fromTag: 'r1', body: SDP }), { timeoutMs: 10_000 });
  await waitUntil(() => held.length === 1, 5000, 'the held INVITE to reach the app');
  const callId = 'talk-1@test';
  const ok = await talking.request(rawRequest('INVITE', { callId, fromTag: 't1', body: SDP }), { timeoutMs: 5000 });
  t.equal(ok.status, 200, 'call answered');
  const to = headerValue(ok, 'to')!;
  const contact = /<([^>]+)>/.exec(headerValue(ok, 'contact') ?? '')?.[1] ?? 'sip:127.0.0.1';
  talking.sendRaw(rawRequest('ACK', { uri: contact, callId, fromTag: 't1', to, cseq: 1 })(talking.context));

  const ids = { idle: idOf(idle), ringing: idOf(ringing), talking: idOf(talking) };
  // An OPTIONS over TCP leaves no transaction behind (Timer J is 0); the settled ACK leaves only the dialog.
  await waitUntil(() => server.stats.dialogs === 1, 5000, 'the dialog to be confirmed');
  t.same(server.releaseConnections([ids.idle, ids.ringing, ids.talking, 'tcp-no-such']), [ids.idle], 'only the idle one');
  await idle.closed;
  t.pass('the idle connection was closed by the engine');
  t.equal(ringing.isClosed || talking.isClosed, false, 'the others stay open');

  held[0]!.send(486);
  const busy = await pending;
  t.equal(busy.status, 486, 'the held INVITE ends');
  // RFC 3261 17.1.1.3: the ACK of a non-2xx is part of the INVITE transaction (same Via); the test client does not
  // send it by itself.
  ringing.sendRaw(
    [
      'ACK sip:service@127.0.0.1 SIP/2.0',
      `Via: ${headerValue(busy, 'via')!}`,
      'Max-Forwards: 70',
      `From: ${headerValue(busy, 'from')!}`,
      `To: ${headerValue(busy, 'to')!}`,
      'Call-ID: hold-1@test',
      'CSeq: 1 ACK',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
  await waitUntil(() => server.releaseConnections([ids.ringing]).length === 1, 5000, 'the INVITE transaction to end');
  await ringing.closed;
  t.pass('released once its INVITE transaction ended');

  t.same(server.releaseConnections([ids.talking]), [], 'the call still uses its connection');
  const bye = await talking.request(rawRequest('BYE', { uri: contact, callId, fromTag: 't1', to, cseq: 2 }), { timeoutMs: 5000 });
  t.equal(bye.status, 200, 'call hung up');
  await waitUntil(() => server.releaseConnections([ids.talking]).length === 1, 5000, 'the BYE transaction to end');
  await talking.closed;
  t.pass('released once the call ended');
  t.equal(transport.connections().length, 0, 'no connection left open');
});
