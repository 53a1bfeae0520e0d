// TLS with a certificate made at test time: the harness's TLS client and baresip (a real softphone)
// register; idle TCP and TLS connections are closed after the configured 2 s; CRLF keep-alives keep one open.
import t from 'tap';
import { connect as tlsConnect } from 'node:tls';
import { makeTestPki } from '../helpers/certs.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { startNode, type RunningNode } from '../helpers/node-process.js';
import { connect, type SipStreamClient } from '../helpers/sip-tls-client.js';
import { startBaresip } from '../helpers/baresip.js';

const IDLE_S = 2;

function register(user: string) {
  return (ctx: { transport: string; sentBy: string }) =>
    [
      `REGISTER sip:localhost SIP/2.0`,
      `Via: SIP/2.0/${ctx.transport} ${ctx.sentBy};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
      `Max-Forwards: 70`,
      `From: <sip:${user}@localhost>;tag=${Math.random().toString(36).slice(2)}`,
      `To: <sip:${user}@localhost>`,
      `Call-ID: ${Math.random().toString(36).slice(2)}@test`,
      `CSeq: 1 REGISTER`,
      `Contact: <sip:${user}@${ctx.sentBy};transport=${ctx.transport.toLowerCase()}>`,
      `Expires: 600`,
      `Content-Length: 0`,
      ``,
      ``,
    ].join('\r\n');
}

function options() {
  return (ctx: { transport: string; sentBy: string }) =>
    [
      `OPTIONS sip:localhost SIP/2.0`,
      `Via: SIP/2.0/${ctx.transport} ${ctx.sentBy};branch=z9hG4bK${Math.random().toString(36).slice(2)}`,
      `Max-Forwards: 70`,
      `From: <sip:probe@localhost>;tag=${Math.random().toString(36).slice(2)}`,
      `To: <sip:localhost>`,
      `Call-ID: ${Math.random().toString(36).slice(2)}@test`,
      `CSeq: 1 OPTIONS`,
      `Content-Length: 0`,
      ``,
      ``,
    ].join('\r\n');
}

async function closedWithin(client: SipStreamClient, ms: number): Promise<boolean> {
  return Promise.race([client.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

t.test('TLS registration, idle timeouts and keep-alives', async (t) => {
  const dir = makeTempDir(t, 'sipedge-tls-');
  const { ca, server } = await makeTestPki(dir);
  const node: RunningNode = await startNode(t, {
    tls: true,
    config: {
      sip: {
        tcp: { idleTimeoutS: IDLE_S },
        tls: { idleTimeoutS: IDLE_S, keyFile: server.keyPath, certFile: server.chainPath },
      },
    },
  });
  const tlsPort = node.tlsPort!;

  await t.test('the TLS client registers and gets OPTIONS answered', async (t) => {
    const c = await connect({ port: tlsPort, transport: 'tls', ca: ca.certPem });
    t.teardown(() => c.close());
    t.equal(c.tls?.authorized, true, 'server certificate verified against the test CA');
    const reg = await c.request(register('alice'));
    t.equal(reg.status, 200);
    const opt = await c.request(options());
    t.equal(opt.status, 200);
  });

  await t.test('the TLS minimum version is enforced', async (t) => {
    const handshake = (port: number, maxVersion: 'TLSv1.2' | 'TLSv1.3') =>
      new Promise<string>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost', maxVersion });
        s.once('secureConnect', () => {
          const v = s.getProtocol() ?? '';
          s.destroy();
          resolve(v);
        });
        s.once('error', reject);
      });
    t.equal(await handshake(tlsPort, 'TLSv1.2'), 'TLSv1.2', 'TLS 1.2 accepted with the default minimum');
    const strict = await startNode(t, {
      tls: true,
      config: { sip: { tls: { minVersion: 'TLSv1.3', keyFile: server.keyPath, certFile: server.chainPath } } },
    });
    await t.rejects(handshake(strict.tlsPort!, 'TLSv1.2'), 'TLS 1.2 refused when the minimum is 1.3');
    t.equal(await handshake(strict.tlsPort!, 'TLSv1.3'), 'TLSv1.3', 'TLS 1.3 accepted there');
  });

  await t.test('baresip registers over TLS', async (t) => {
    const phone = await startBaresip(t, { proxyPort: tlsPort, transport: 'tls', caFile: ca.certPath, user: 'bob', password: 'secret' });
    await phone.waitForRegistered(20000);
    t.pass('baresip reported a successful registration');
    const n = await node.metricValue('sipedge_sip_messages_total', { direction: 'in', transport: 'tls', method: 'REGISTER' });
    t.ok(n >= 1, `REGISTER over TLS counted (${n})`);
  });

  for (const transport of ['tcp', 'tls'] as const) {
    await t.test(`an idle ${transport.toUpperCase()} connection is closed after ${IDLE_S} s`, async (t) => {
      const port = transport === 'tls' ? tlsPort : node.sipPort;
      const before = await node.metricValue('sipedge_connections_closed_total', { transport, reason: 'idle-timeout' });
      const idle = await connect({ port, transport, ca: ca.certPem });
      t.teardown(() => idle.close());
      const opt = await idle.request(options());
      t.equal(opt.status, 200, 'the connection works first');
      const start = Date.now();
      t.equal(await closedWithin(idle, (IDLE_S + 3) * 1000), true, 'closed by the engine');
      const took = Date.now() - start;
      t.ok(took >= IDLE_S * 1000 - 100, `not before the idle timeout (${took} ms)`);
      const after = await node.metricValue('sipedge_connections_closed_total', { transport, reason: 'idle-timeout' });
      t.equal(after, before + 1, 'the close is counted with reason idle-timeout');
    });

    await t.test(`a ${transport.toUpperCase()} connection sending CRLF keep-alives stays open`, async (t) => {
      const port = transport === 'tls' ? tlsPort : node.sipPort;
      const c = await connect({ port, transport, ca: ca.certPem });
      t.teardown(() => c.close());
      const timer = setInterval(() => c.sendRaw('\r\n\r\n'), 500);
      t.teardown(() => clearInterval(timer));
      t.equal(await closedWithin(c, (IDLE_S * 2 + 1) * 1000), false, `still open after ${IDLE_S * 2 + 1} s`);
      t.ok(c.keepAlivesReceived > 0, `pongs received (${c.keepAlivesReceived})`);
      const opt = await c.request(options());
      t.equal(opt.status, 200, 'and still serves requests');
    });
  }
});
