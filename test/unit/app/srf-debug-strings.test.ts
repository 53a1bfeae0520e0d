// srf's debug strings made cheap while its debug output is off; the wire form of a message stays whole. Each case
// runs in a child process, since srf's `debug` reads DEBUG once, when it is loaded.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const RAW = [
  'REGISTER sip:example.com SIP/2.0',
  'Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-1',
  'From: <sip:alice@example.com>;tag=1',
  'To: <sip:alice@example.com>',
  'Call-ID: call-1@192.0.2.1',
  'CSeq: 2 REGISTER',
  'Contact: <sip:alice@192.0.2.1:5060;transport=tcp>',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

interface Forms {
  installed: boolean;
  /** JSON.stringify of a parsed request, alone and nested as srf's Response#toJSON nests it. */
  json: string;
  nested: string;
  /** Its implicit string form (what srf's debug template literals get). */
  str: string;
  /** Its explicit toString(): what srf writes to the server. */
  wire: string;
  /** The implicit string form of a response srf builds (no raw text). */
  response: string;
}

async function formsWith(debug: string | undefined): Promise<Forms> {
  const module = new URL('../../../lib/app/srf-debug-strings.js', import.meta.url).href;
  const script = [
    `import { quietSrfDebugStrings } from ${JSON.stringify(module)};`,
    `import Srf from 'drachtio-srf';`,
    `const installed = quietSrfDebugStrings();`,
    `const m = new Srf.SipMessage(${JSON.stringify(RAW)});`,
    `const r = new Srf.SipMessage(); r.status = 401; r.reason = 'Unauthorized';`,
    `console.log(JSON.stringify({ installed, json: JSON.stringify(m), nested: JSON.stringify({ msg: m }),`,
    `  str: String(m), wire: m.toString(), response: \`\${r}\` }));`,
  ].join('\n');
  const env = { ...process.env };
  delete env.DEBUG;
  if (debug !== undefined) env.DEBUG = debug;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env,
    cwd: new URL('../../../', import.meta.url).pathname,
  });
  return JSON.parse(stdout) as Forms;
}

function isWholeMessage(t: Test, text: string, what: string): void {
  t.match(text, /^REGISTER sip:example\.com SIP\/2\.0\r\n/, `${what}: request line`);
  for (const line of ['call-id: call-1@192.0.2.1', 'contact: <sip:alice@192.0.2.1:5060;transport=tcp>']) {
    t.ok(text.toLowerCase().includes(`\r\n${line}\r\n`), `${what}: has ${line}`);
  }
  t.ok(text.endsWith('\r\n\r\n'), `${what}: ends the header block`);
}

t.test('with srf debug output off: one-line JSON and implicit string forms, whole wire form', async (t) => {
  const f = await formsWith(undefined);
  t.equal(f.installed, true);
  const summary = '[SipMessage REGISTER sip:example.com call-id=call-1@192.0.2.1]';
  t.equal(f.json, JSON.stringify(summary));
  t.equal(f.nested, JSON.stringify({ msg: summary }));
  t.equal(f.str, summary);
  t.equal(f.response, '[SipMessage 401 Unauthorized call-id=?]');
  isWholeMessage(t, f.wire, 'toString()');
});

t.test('with an srf debug namespace enabled, messages keep their full forms', async (t) => {
  for (const debug of ['drachtio:agent', 'drachtio:*', 'drachtio:response']) {
    const f = await formsWith(debug);
    t.equal(f.installed, false, `DEBUG=${debug}: not installed`);
    t.match(f.json, /"headers":\{.*"call-id":"call-1@192\.0\.2\.1"/, `DEBUG=${debug}: JSON has the headers`);
    isWholeMessage(t, f.str, `DEBUG=${debug}: implicit string form`);
    t.equal(f.str, f.wire);
  }
});

t.test('another library debugged (DEBUG=ioredis:*) still gets the short forms', async (t) => {
  t.equal((await formsWith('ioredis:*')).installed, true);
});
