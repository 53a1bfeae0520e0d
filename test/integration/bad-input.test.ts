// Garbage, oversize and truncated input over UDP, TCP and TLS: the engine answers what it can (400 with a reason),
// drops and counts the rest, closes streams that lost framing, and keeps serving well-formed requests afterwards.
import t from 'tap';
import { createSocket } from 'node:dgram';
import { makeTestPki } from '../helpers/certs.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { startNode } from '../helpers/node-process.js';
import { connect, type SipStreamClient } from '../helpers/sip-tls-client.js';

const MAX_BYTES = 4096;

function request(method: string, sentBy: string, transport: string, opts: { omit?: string; extra?: string[]; body?: string; contentLength?: string } = {}): string {
  const body = opts.body ?? '';
  const lines = [
    `${method} sip:localhost SIP/2.0`,
    `Via: SIP/2.0/${transport} ${sentBy};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
    `Max-Forwards: 70`,
    `From: <sip:tester@localhost>;tag=${Math.random().toString(36).slice(2)}`,
    `To: <sip:localhost>`,
    `Call-ID: ${Math.random().toString(36).slice(2)}@test`,
    `CSeq: 1 ${method}`,
    ...(opts.extra ?? []),
    `Content-Length: ${opts.contentLength ?? Buffer.byteLength(body)}`,
  ].filter((l) => !opts.omit || !l.startsWith(opts.omit));
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

async function closedWithin(client: SipStreamClient, ms: number): Promise<boolean> {
  return Promise.race([client.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

t.test('bad input over every transport', async (t) => {
  const dir = makeTempDir(t, 'sipedge-bad-');
  const { ca, server } = await makeTestPki(dir);
  const node = await startNode(t, {
    tls: true,
    config: {
      sip: {
        limits: { maxMessageBytes: MAX_BYTES, messageReceiveTimeoutS: 1 },
        tls: { keyFile: server.keyPath, certFile: server.chainPath },
      },
    },
  });

  await t.test('UDP', async (t) => {
    const sock = createSocket('udp4');
    t.teardown(() => sock.close());
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const sentBy = `127.0.0.1:${sock.address().port}`;
    const replies: string[] = [];
    sock.on('message', (m) => replies.push(m.toString('latin1')));
    const send = (text: string | Buffer) => sock.send(text, node.sipPort, '127.0.0.1');
    const waitReplies = async (n: number, ms = 2000) => {
      const end = Date.now() + ms;
      while (replies.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    };
    const errorsBefore = await node.metricValue('sipedge_sip_parse_errors_total', { transport: 'udp' });

    send(Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 13, 10, 13, 10]));
    send('hello there\r\n\r\n');
    send(`OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/UDP ${sentBy};branch=z9hG4bKx\r\nContent-Length: 0\r\n\r\n`);
    await waitReplies(1, 1500);
    t.equal(replies.length, 1, 'garbage dropped; the request missing mandatory headers answered');
    t.match(replies[0], /^SIP\/2\.0 400 [^\r]*(Missing|missing)[^\r]*\r\n/, '400 with a reason naming the problem');
    replies.length = 0;

    send(request('OPTIONS', sentBy, 'UDP', { body: 'abc', contentLength: '9999' }));
    await waitReplies(1);
    t.match(replies[0], /^SIP\/2\.0 400 /, 'Content-Length larger than the datagram: 400');
    replies.length = 0;

    send(request('OPTIONS', sentBy, 'UDP', { extra: [`X-Pad: ${'x'.repeat(MAX_BYTES)}`] }));
    await waitReplies(1, 1000);
    t.ok(replies.length === 0 || /^SIP\/2\.0 513 /.test(replies[0]!), 'oversize datagram dropped or answered 513');
    replies.length = 0;

    const errorsAfter = await node.metricValue('sipedge_sip_parse_errors_total', { transport: 'udp' });
    t.ok(errorsAfter >= errorsBefore + 4, `bad datagrams counted (${errorsAfter - errorsBefore})`);

    send(request('OPTIONS', sentBy, 'UDP'));
    await waitReplies(1);
    t.match(replies[0], /^SIP\/2\.0 200 /, 'a well-formed OPTIONS is still answered');
  });

  for (const transport of ['tcp', 'tls'] as const) {
    await t.test(transport.toUpperCase(), async (t) => {
      const port = transport === 'tls' ? node.tlsPort! : node.sipPort;
      const open = async () => {
        const c = await connect({ port, transport, ca: ca.certPem });
        t.teardown(() => c.close());
        return c;
      };
      const T = transport.toUpperCase();

      // Answerable but malformed: 400 with a reason, connection kept.
      let c = await open();
      const bad = await c.request((ctx) => request('OPTIONS', ctx.sentBy, T, { omit: 'CSeq' }).replace(/Content-Length/, 'CSeq: 1 INVITE\r\nContent-Length'));
      t.equal(bad.status, 400, 'CSeq method mismatch answered 400');
      t.ok(bad.reason.length > 3, `reason phrase names the problem: '${bad.reason}'`);
      const good = await c.request((ctx) => request('OPTIONS', ctx.sentBy, T));
      t.equal(good.status, 200, 'the same connection keeps serving');

      // Framing lost (negative Content-Length): closed.
      c.sendRaw(request('OPTIONS', c.context.sentBy, T, { contentLength: '-5' }));
      t.equal(await closedWithin(c, 3000), true, 'negative Content-Length closes the connection');

      // Oversize header block that never ends: closed.
      c = await open();
      c.sendRaw(`OPTIONS sip:localhost SIP/2.0\r\nX-Long: ${'y'.repeat(MAX_BYTES * 2)}`);
      t.equal(await closedWithin(c, 3000), true, 'a message above maxMessageBytes closes the connection');

      // Truncated message (body never completes): cut off by messageReceiveTimeoutS.
      c = await open();
      c.sendRaw(request('OPTIONS', c.context.sentBy, T, { body: 'abc', contentLength: '100' }));
      t.equal(await closedWithin(c, 4000), true, 'a truncated message is cut off by the receive time limit');

      // Pure garbage.
      c = await open();
      c.sendRaw(Buffer.from('\x00\x01\x02garbage\xff\r\n\r\n', 'latin1'));
      await new Promise((r) => setTimeout(r, 300));

      // And a fresh connection is served.
      c = await open();
      const after = await c.request((ctx) => request('OPTIONS', ctx.sentBy, T));
      t.equal(after.status, 200, 'a well-formed OPTIONS on a new connection is answered');
      for (const reason of ['framing-error', 'message-too-large', 'slow-message']) {
        const n = await node.metricValue('sipedge_connections_closed_total', { transport, reason });
        t.equal(n, 1, `the close is counted with reason ${reason}`);
      }
    });
  }
  t.equal(node.proc.exitInfo, null, 'the node is still running');
});
