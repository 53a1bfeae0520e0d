// The harness helpers proven against real peers: SIPp, the TLS/TCP client and baresip all
// talk to a throwaway SIP responder defined here. The responder answers every request but ACK
// with 200 OK (REGISTER gets its Contact and Expires back) over UDP, TCP and TLS on 127.0.0.1;
// it models nothing of the real gateway and lives in this file so no other test relies on it.
import t from 'tap';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { startBaresip } from '../../helpers/baresip.js';
import { makeTestCa, makeTestPki } from '../../helpers/certs.js';
import { freePort } from '../../helpers/ports.js';
import type { TeardownHost } from '../../helpers/processes.js';
import {
  buildRequest,
  buildResponse,
  headerValue,
  headerValues,
  parseSipMessage,
  randomToken,
  SipStreamFramer,
  type HeaderList,
  type SipRequest,
} from '../../helpers/sip-message.js';
import { connect } from '../../helpers/sip-tls-client.js';
import { runSippUac, sippVersion, startSippUas } from '../../helpers/sipp.js';
import { isLoopback, isUnspecified, socketsOfPid } from '../../helpers/sockets.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

// ---------------------------------------------------------------------------------------------
// The responder
// ---------------------------------------------------------------------------------------------

type ResponderTransport = 'udp' | 'tcp' | 'tls';

interface ReceivedRequest {
  transport: ResponderTransport;
  remote: string;
  request: SipRequest;
}

interface ResponderOptions {
  /** Enable TLS on its own port with this key/certificate (PEM). */
  tls?: { key: string; cert: string };
  /** Expires granted to REGISTER when the request asks for none. */
  defaultExpires?: number;
  /** Overrides the status for a request (e.g. 403 to REGISTER); 200 OK when it returns undefined. */
  statusFor?: (req: SipRequest) => { status: number; reason: string } | undefined;
}

interface Responder {
  /** UDP and TCP port (the same number). */
  port: number;
  tlsPort: number | null;
  received: ReceivedRequest[];
  /** The first request of `method`, whether it already arrived or arrives later. */
  waitFor(method: string, timeoutMs?: number): Promise<ReceivedRequest>;
  stop(): Promise<void>;
}

function registerHeaders(req: SipRequest, defaultExpires: number): HeaderList {
  const headerExpires = headerValue(req, 'expires');
  const expires = headerExpires !== undefined ? Number(headerExpires) : defaultExpires;
  const contacts = headerValues(req, 'contact');
  const out: Array<[string, string]> = [];
  for (const c of contacts) {
    if (c.trim() === '*') continue;
    // Each binding comes back with the time granted (RFC 3261 10.3 step 8).
    out.push(['Contact', /;\s*expires=/i.test(c) ? c : `${c};expires=${expires}`]);
  }
  out.push(['Expires', String(expires)]);
  return out;
}

function answer(req: SipRequest, opts: ResponderOptions, defaultExpires: number): string | null {
  if (req.method === 'ACK') return null;
  const override = opts.statusFor?.(req);
  if (override) return buildResponse(req, override.status, override.reason, { toTag: randomToken(4) });
  const headers = req.method === 'REGISTER' ? registerHeaders(req, defaultExpires) : [];
  return buildResponse(req, 200, 'OK', { toTag: randomToken(4), headers: [...headers, ['Server', 'harness-responder']] });
}

async function startResponder(opts: ResponderOptions = {}): Promise<Responder> {
  const defaultExpires = opts.defaultExpires ?? 300;
  const received: ReceivedRequest[] = [];
  const waiters: Array<{ method: string; resolve: (r: ReceivedRequest) => void }> = [];
  const sockets = new Set<Socket>();

  const record = (entry: ReceivedRequest): void => {
    received.push(entry);
    const i = waiters.findIndex((w) => w.method === entry.request.method);
    if (i >= 0) waiters.splice(i, 1)[0]?.resolve(entry);
  };

  const handleText = (text: string, transport: ResponderTransport, remote: string, send: (s: string) => void): void => {
    let msg;
    try {
      msg = parseSipMessage(text);
    } catch {
      return;
    }
    if (msg.kind !== 'request') return;
    record({ transport, remote, request: msg });
    const response = answer(msg, opts, defaultExpires);
    if (response) send(response);
  };

  const onStream = (transport: 'tcp' | 'tls') => (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const framer = new SipStreamFramer();
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.on('data', (chunk: Buffer) => {
      const before = framer.keepAlives;
      let texts: string[];
      try {
        texts = framer.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      // Answer a double-CRLF ping with a single CRLF pong (RFC 5626 4.4.1).
      for (let i = before; i < framer.keepAlives; i++) socket.write('\r\n');
      for (const text of texts) handleText(text, transport, remote, (s) => socket.write(s));
    });
  };

  // Some port numbers are free for TCP but taken for UDP between our probe and bind: retry.
  let udp: UdpSocket | null = null;
  let tcp: Server | null = null;
  let port = 0;
  for (let attempt = 0; attempt < 10 && !tcp; attempt++) {
    port = await freePort('both');
    const u = createSocket('udp4');
    const t = createTcpServer(onStream('tcp'));
    try {
      await new Promise<void>((resolve, reject) => {
        u.once('error', reject);
        u.bind(port, '127.0.0.1', () => resolve());
      });
      await new Promise<void>((resolve, reject) => {
        t.once('error', reject);
        t.listen(port, '127.0.0.1', () => resolve());
      });
      udp = u;
      tcp = t;
    } catch {
      u.close();
      t.close();
    }
  }
  if (!udp || !tcp) throw new Error('responder: could not bind UDP+TCP');
  const udpSocket = udp;
  udpSocket.on('message', (buf, rinfo) => {
    const text = buf.toString('utf8');
    if (text.trim() === '') return; // UDP keep-alive
    handleText(text, 'udp', `${rinfo.address}:${rinfo.port}`, (s) => udpSocket.send(s, rinfo.port, rinfo.address));
  });

  let tlsServer: Server | null = null;
  let tlsPort: number | null = null;
  if (opts.tls) {
    const server = createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }, onStream('tls'));
    // Handshake failures (e.g. a client rejecting our certificate) must not crash the test.
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    tlsPort = typeof addr === 'object' && addr ? addr.port : null;
    tlsServer = server;
  }

  const tcpServer = tcp;
  let stopped = false;
  return {
    port,
    tlsPort,
    received,
    waitFor(method, timeoutMs = 10_000) {
      const found = received.find((r) => r.request.method === method);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const entry = {
          method,
          resolve: (r: ReceivedRequest) => {
            clearTimeout(timer);
            resolve(r);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(entry), 1);
          reject(new Error(`responder: no ${method} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(entry);
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => udpSocket.close(() => r())),
        new Promise<void>((r) => tcpServer.close(() => r())),
        tlsServer ? new Promise<void>((r) => tlsServer.close(() => r())) : Promise.resolve(),
      ]);
    },
  };
}

async function responder(t: TeardownHost, opts: ResponderOptions = {}): Promise<Responder> {
  const r = await startResponder(opts);
  t.teardown(() => r.stop());
  return r;
}

// ---------------------------------------------------------------------------------------------
// SIPp
// ---------------------------------------------------------------------------------------------

t.test('installed SIPp version is readable', async (t) => {
  const v = await sippVersion();
  t.match(v.version, /^\d+\.\d+/);
  t.comment(`SIPp ${v.version} features: ${v.features.join(',') || 'none'} (TLS ${v.tls ? 'yes' : 'no'})`);
});

t.test('OPTIONS over UDP (u1) against the responder', async (t) => {
  const r = await responder(t);
  const res = await runSippUac(t, { scenario: 'options-uac', port: r.port, transport: 'u1', calls: 10, rate: 100, rtt: true, timeoutS: 20 });
  t.equal(res.exitCode, 0, 'SIPp exit 0', { output: res.output.slice(-1500), errors: res.errors });
  t.equal(res.successful, 10);
  t.equal(res.failed, 0);
  t.ok(res.durationMs > 0);
  t.equal(res.rttMs?.count, 10, 'one response time per call');
  t.ok((res.rttMs?.p99 ?? Infinity) < 1000, `p99 ${res.rttMs?.p99} ms`);
  t.ok(res.rttBucketsMs, 'repartition buckets read from the stat CSV');
  const options = r.received.filter((x) => x.request.method === 'OPTIONS');
  t.equal(options.length, 10);
  t.ok(options.every((x) => x.transport === 'udp'));
  t.match(headerValue(options[0]!.request, 'via') ?? '', /^SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK/);
});

t.test('OPTIONS over TCP, one connection (t1)', async (t) => {
  const r = await responder(t);
  const res = await runSippUac(t, { scenario: 'options-uac', port: r.port, transport: 't1', calls: 10, rate: 100, timeoutS: 20 });
  t.equal(res.exitCode, 0, 'SIPp exit 0', { output: res.output.slice(-1500), errors: res.errors });
  t.same([res.successful, res.failed], [10, 0]);
  const options = r.received.filter((x) => x.request.method === 'OPTIONS');
  t.equal(options.length, 10);
  t.ok(options.every((x) => x.transport === 'tcp'));
  t.equal(new Set(options.map((x) => x.remote)).size, 1, 'all calls on one connection');
});

t.test('OPTIONS over TCP, connection per call (tn)', async (t) => {
  const r = await responder(t);
  const res = await runSippUac(t, { scenario: 'options-uac', port: r.port, transport: 'tn', calls: 5, rate: 50, timeoutS: 20 });
  t.equal(res.exitCode, 0, 'SIPp exit 0', { output: res.output.slice(-1500), errors: res.errors });
  t.same([res.successful, res.failed], [5, 0]);
  const remotes = new Set(r.received.map((x) => x.remote));
  t.equal(remotes.size, 5, 'a new connection for each call');
});

t.test('REGISTER over TCP with default and given users', async (t) => {
  const r = await responder(t);
  const res = await runSippUac(t, { scenario: 'register-uac', port: r.port, transport: 't1', calls: 5, rate: 100, timeoutS: 20 });
  t.equal(res.exitCode, 0, 'SIPp exit 0', { output: res.output.slice(-1500), errors: res.errors });
  t.same([res.successful, res.failed], [5, 0]);
  const users = r.received.map((x) => headerValue(x.request, 'to')).sort();
  t.same(users, [1, 2, 3, 4, 5].map((n) => `<sip:user${n}@127.0.0.1:${r.port}>`));
  t.ok(r.received.every((x) => x.transport === 'tcp' && /;transport=TCP>/.test(headerValue(x.request, 'contact') ?? '')));

  const r2 = await responder(t);
  const res2 = await runSippUac(t, {
    scenario: 'register-uac', port: r2.port, transport: 't1', calls: 2, timeoutS: 20, injection: [['bob'], ['carol']],
  });
  t.equal(res2.exitCode, 0);
  t.same(r2.received.map((x) => headerValue(x.request, 'from')?.replace(/;tag=.*/, '')).sort(),
    [`<sip:bob@127.0.0.1:${r2.port}>`, `<sip:carol@127.0.0.1:${r2.port}>`]);
});

t.test('calls that get no answer are counted as failed with a non-zero exit', async (t) => {
  const port = await freePort('both'); // nothing listens here
  const res = await runSippUac(t, { scenario: 'options-uac', port, transport: 'u1', calls: 2, rate: 10, recvTimeoutMs: 500, timeoutS: 15 });
  t.not(res.exitCode, 0, `exit ${res.exitCode}`);
  t.equal(res.successful, 0);
  t.equal(res.failed, 2);
});

for (const transport of ['u1', 't1'] as const) {
  t.test(`uac-call against uas-answer, SIPp to SIPp (${transport})`, async (t) => {
    const uas = await startSippUas(t, 'uas-answer', 0, transport, { calls: 3 });
    const res = await runSippUac(t, {
      scenario: 'uac-call', port: uas.port, transport, calls: 3, rate: 20, callDurationMs: 50, rtt: true, timeoutS: 20,
    });
    t.equal(res.exitCode, 0, 'UAC exit 0', { output: res.output.slice(-1500), errors: res.errors });
    t.same([res.successful, res.failed], [3, 0]);
    t.equal(res.rttByRtd?.[2]?.count, 3, 'BYE response times traced as rtd 2');
    const uasResult = await uas.waitForResult(10_000);
    t.equal(uasResult.exitCode, 0, 'UAS exits 0 after its 3 calls');
    t.same([uasResult.successful, uasResult.failed], [3, 0]);
  });
}

t.test('finish() stops a UAS that is still waiting and reports its counts', async (t) => {
  const uas = await startSippUas(t, 'uas-answer', 0, 'u1');
  const res = await uas.finish(10_000);
  t.ok(uas.process.exitInfo, 'exited');
  t.same([res.successful, res.failed], [0, 0]);
});

// ---------------------------------------------------------------------------------------------
// TLS / TCP client
// ---------------------------------------------------------------------------------------------

t.test('TLS client registers against the responder with the generated certificate', async (t) => {
  const { ca, server } = await makeTestPki(makeTempDir(t));
  const r = await responder(t, { tls: { key: server.keyPem, cert: server.certPem } });
  const client = await connect({ port: r.tlsPort!, transport: 'tls', ca: ca.certPem });
  t.teardown(() => client.close());
  t.equal(client.tls?.authorized, true, 'server certificate verified against the test CA');
  t.equal(client.tls?.peerSubjectCN, 'localhost');
  const res = await client.request((ctx) =>
    buildRequest({
      method: 'REGISTER',
      uri: 'sip:127.0.0.1',
      transport: ctx.transport,
      sentBy: ctx.sentBy,
      from: '<sip:alice@127.0.0.1>',
      to: '<sip:alice@127.0.0.1>',
      contact: `<sip:alice@${ctx.sentBy};transport=tls>`,
      headers: [['Expires', '120']],
    }),
  );
  t.equal(res.status, 200);
  t.equal(res.reason, 'OK');
  t.match(headerValue(res, 'contact') ?? '', /^<sip:alice@127\.0\.0\.1:\d+;transport=tls>;expires=120$/);
  t.equal(headerValue(res, 'expires'), '120');
  t.equal(r.received[0]?.transport, 'tls');

  // Several requests in flight on one connection are matched by Call-ID + CSeq.
  const many = await Promise.all(
    [1, 2, 3].map((n) =>
      client.request((ctx) =>
        buildRequest({ method: 'OPTIONS', uri: 'sip:127.0.0.1', transport: ctx.transport, sentBy: ctx.sentBy,
          from: '<sip:alice@127.0.0.1>', to: '<sip:127.0.0.1>', callId: `opt-${n}`, cseq: n }),
      ),
    ),
  );
  t.same(many.map((m) => headerValue(m, 'call-id')), ['opt-1', 'opt-2', 'opt-3']);
  t.same(many.map((m) => headerValue(m, 'cseq')), ['1 OPTIONS', '2 OPTIONS', '3 OPTIONS']);
});

t.test('TLS client refuses a server whose certificate is not from the given CA', async (t) => {
  const dir = makeTempDir(t);
  const { server } = await makeTestPki(dir);
  const otherCa = await makeTestCa(`${dir}/other`, { commonName: 'unrelated CA' });
  const r = await responder(t, { tls: { key: server.keyPem, cert: server.certPem } });
  await t.rejects(connect({ port: r.tlsPort!, transport: 'tls', ca: otherCa.certPem }), /connect to tls:\/\/127\.0\.0\.1:\d+ failed/);
});

t.test('plain TCP client: raw bytes, keep-alive pong, close notification', async (t) => {
  const r = await responder(t);
  const client = await connect({ port: r.port, transport: 'tcp' });
  t.equal(client.tls, null);
  client.sendRaw('\r\n\r\n');
  const text = buildRequest({ method: 'OPTIONS', uri: 'sip:127.0.0.1', transport: 'TCP', sentBy: client.context.sentBy,
    from: '<sip:a@127.0.0.1>', to: '<sip:127.0.0.1>', callId: 'raw-1' });
  const res = await client.request(text);
  t.equal(res.status, 200);
  t.ok(client.keepAlivesReceived >= 1, 'pong received for the double-CRLF ping');
  let closedWith: boolean | null = null;
  client.onClose((hadError) => {
    closedWith = hadError;
  });
  await r.stop(); // server side goes away
  await client.closed;
  t.not(closedWith, null, 'onClose called');
  t.equal(client.isClosed, true);
  await t.rejects(client.request(text), /connection is closed/);
});

// ---------------------------------------------------------------------------------------------
// baresip
// ---------------------------------------------------------------------------------------------

t.test('baresip registers over TLS against the responder', async (t) => {
  const dir = makeTempDir(t);
  const { ca, server } = await makeTestPki(dir);
  const r = await responder(t, { tls: { key: server.keyPem, cert: server.certPem } });
  // A fake DNS server: baresip must never send it anything (every address is an IP literal).
  const dns = createSocket('udp4');
  let dnsQueries = 0;
  dns.on('message', () => dnsQueries++);
  await new Promise<void>((res) => dns.bind(0, '127.0.0.1', () => res()));
  t.teardown(() => dns.close());
  const phone = await startBaresip(t, {
    proxyPort: r.tlsPort!, caFile: ca.certPath, user: 'alice', password: 'secret', regint: 60,
    dnsServer: `127.0.0.1:${dns.address().port}`,
  });
  const line = await phone.waitForRegistered(10_000);
  t.match(line, /^alice@127\.0\.0\.1: \{\d+\/TLS\/v4\} 200 OK \(harness-responder\)/);

  const reg = await r.waitFor('REGISTER');
  t.equal(reg.transport, 'tls', 'REGISTER arrived over TLS');
  t.match(reg.remote, /^127\.0\.0\.1:/);
  t.equal(headerValue(reg.request, 'to'), '<sip:alice@127.0.0.1>');
  t.match(headerValue(reg.request, 'via') ?? '', /^SIP\/2\.0\/TLS 127\.0\.0\.1:\d+;/);
  t.match(headerValue(reg.request, 'contact') ?? '', /^<sip:alice[^@]*@127\.0\.0\.1:\d+;transport=tls>;expires=60$/);
  t.match(headerValue(reg.request, 'route') ?? '', new RegExp(`^<sip:127\\.0\\.0\\.1:${r.tlsPort};transport=tls;lr>$`));
  t.ok(r.received.every((x) => x.remote.startsWith('127.0.0.1:')), 'only loopback traffic');
  const sockets = await socketsOfPid(phone.process.pid);
  t.ok(sockets.length > 0, `baresip holds ${sockets.length} sockets`);
  t.same(
    sockets.filter((s) => !isLoopback(s.remoteAddress) && !isUnspecified(s.remoteAddress)),
    [],
    'no baresip socket is connected to a non-loopback peer',
  );
  // libre's DNS client binds its two UDP sockets to the wildcard address (not configurable in
  // baresip 1.0); every other socket must be bound to loopback.
  const wildcard = sockets.filter((s) => !isLoopback(s.localAddress));
  t.ok(wildcard.every((s) => s.proto.startsWith('udp') && isUnspecified(s.localAddress) && isUnspecified(s.remoteAddress)),
    'only unconnected UDP sockets are on the wildcard address', { wildcard });
  t.ok(wildcard.length <= 2, 'at most the DNS client pair', { wildcard });
  t.ok(sockets.some((s) => s.proto === 'tcp' && s.state === '01' && s.remotePort === r.tlsPort), 'TLS connection to the proxy');
  t.equal(dnsQueries, 0, 'no DNS query was sent');

  const info = await phone.command('reginfo');
  t.equal(info.ok, true);
  t.match(info.data, /sip:alice@127\.0\.0\.1\s+OK/);
  const bad = await phone.command('no-such-command');
  t.equal(bad.ok, false);

  await phone.stop();
  t.ok(phone.process.exitInfo, 'baresip stopped');
});

t.test('baresip sends its DNS queries only to the configured loopback server', async (t) => {
  // Proves the "no DNS query" check above can fail: a host name must be looked up, and the
  // query arrives at our socket rather than at the system resolver.
  const dns = createSocket('udp4');
  const queries: Buffer[] = [];
  dns.on('message', (m) => queries.push(m));
  await new Promise<void>((res) => dns.bind(0, '127.0.0.1', () => res()));
  t.teardown(() => dns.close());
  const phone = await startBaresip(t, {
    proxyPort: 5061, proxyHost: 'registrar.invalid', control: false, dnsServer: `127.0.0.1:${dns.address().port}`,
  });
  const deadline = Date.now() + 5000;
  while (queries.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  t.ok(queries.length > 0, 'a query reached the fake DNS server');
  t.ok(queries.some((q) => q.includes(Buffer.from('registrar'))), 'for the proxy host name');
  await phone.stop();
});

t.test('baresip reports a rejected registration', async (t) => {
  const { server } = await makeTestPki(makeTempDir(t));
  const r = await responder(t, {
    tls: { key: server.keyPem, cert: server.certPem },
    statusFor: (req) => (req.method === 'REGISTER' ? { status: 403, reason: 'Forbidden' } : undefined),
  });
  const phone = await startBaresip(t, { proxyPort: r.tlsPort!, user: 'mallory', control: false });
  const failure = await phone.waitForRegistrationFailure(10_000);
  t.match(failure, /mallory@127\.0\.0\.1: 403 Forbidden/);
  await t.rejects(phone.waitForRegistered(1000), /registration failed: .*403 Forbidden/);
  t.equal(phone.control, null);
  await t.rejects(phone.command('reginfo'), /control: false/);
});

t.test('baresip places a call through its proxy to a SIPp UAS and hangs up (ctrl_tcp)', async (t) => {
  // SIPp 3.6 has no TLS, so this call runs over TCP; it proves the headless audio set-up and
  // the command/event channel work for calls, not only for registration.
  const uas = await startSippUas(t, 'uas-answer', 0, 't1', { calls: 1 });
  const phone = await startBaresip(t, { proxyPort: uas.port, transport: 'tcp', regint: 0, user: 'carol' });
  const dial = await phone.command('dial', `sip:service@127.0.0.1:${uas.port}`);
  t.equal(dial.ok, true, 'dial accepted', { data: dial.data });
  const established = await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
  t.match(String(established.peeruri ?? ''), /service@127\.0\.0\.1/);
  const hangup = await phone.command('hangup');
  t.equal(hangup.ok, true);
  await phone.waitForEvent('CALL_CLOSED', 10_000);
  const res = await uas.waitForResult(10_000);
  t.equal(res.exitCode, 0, 'SIPp UAS saw a complete call', { output: res.output.slice(-1500), errors: res.errors });
  t.same([res.successful, res.failed], [1, 0]);
});
