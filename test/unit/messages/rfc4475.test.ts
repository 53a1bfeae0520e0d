// RFC 4475 torture tests: every message of the archive, checked against MANIFEST.tsv.
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkAcceptsSdp,
  checkContentType,
  checkMaxForwards,
  checkProxyRequire,
  checkRegisterAor,
  checkRequire,
  checkUriScheme,
  createResponse,
  parseMessage,
  serializeMessage,
  tryParseNameAddr,
  tryParseUri,
  unescapeUriComponent,
  type ParseFailure,
  type SipRequest,
  type SipResponse,
} from '../../../lib/engine/messages/index.js';

// compiled to dist/test/unit/messages/: four levels up is the repository root
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const dir = path.resolve(repoRoot, '../shared/testdata/rfc4475');

interface Entry {
  file: string;
  section: string;
  category: string;
  expected: string;
}


function load(file: string): Buffer {
  return readFileSync(path.join(dir, file));
}

function parseOk(t: Test, data: Buffer): SipRequest | SipResponse {
  const r = parseMessage(data);
  if (!r.ok) {
    t.fail(`expected a valid message, got ${r.status} ${r.reason}`);
    throw new Error('parse failed');
  }
  // every validated message round-trips through the serializer and back
  const again = parseMessage(Buffer.from(serializeMessage(r.message.clone())));
  t.ok(again.ok, 'serialized copy parses');
  return r.message;
}

function parseReq(t: Test, data: Buffer): SipRequest {
  const m = parseOk(t, data);
  t.equal(m.kind, 'request');
  return m as SipRequest;
}

function parseFail(t: Test, data: Buffer, status: number, answerable: boolean): ParseFailure {
  const r = parseMessage(data);
  t.equal(r.ok, false, 'refused');
  if (r.ok) throw new Error('unexpectedly parsed');
  t.equal(r.status, status, `status ${status} (${r.reason})`);
  t.ok(r.reason.length > 0 && r.reason.length < 60, 'short reason phrase');
  t.equal(r.answerable !== undefined, answerable, answerable ? 'answerable' : 'not answerable (drop)');
  if (r.answerable !== undefined) {
    // the engine must be able to answer it
    const res = createResponse(r.answerable, r.status, r.reason);
    const bytes = serializeMessage(res);
    const back = parseMessage(bytes);
    t.equal(res.status, status);
    t.ok(res.getAll('via').length >= 1, 'response carries the Via');
    // a response may fail to parse again only if the refused request's own headers were broken
    t.type(back.ok, 'boolean');
  }
  return r;
}

// what each file must do; files not listed here fail the "every file checked" assertion
const checks: Record<string, (t: Test, data: Buffer) => void> = {
  'wsinv.dat'(t, data) {
    const m = parseReq(t, data);
    t.equal(m.method, 'INVITE');
    t.equal(m.vias().length, 3, '3 Via values');
    t.equal(m.vias()[0]!.transport, 'UDP');
    t.equal(m.vias()[0]!.protocol, 'SIP/2.0');
    t.equal(m.vias()[1]!.transport, 'TCP');
    t.equal(m.vias()[2]!.branch, 'z9hG4bK30239');
    t.equal(m.vias()[2]!.host, '192.168.255.111');
    t.equal(m.get('UnknownHeaderWithUnusualValue'), ';;,,;;,;', 'unknown header value kept opaque');
    t.equal(m.get('newfangledheader'), 'newfangled value continued newfangled value', 'folded value');
    t.equal(m.get('Subject'), '', 'empty Subject');
    t.equal(m.cseq.seq, 9);
    t.equal(m.cseq.method, 'INVITE');
    t.equal(m.get('Max-Forwards'), '0068');
    t.equal(m.to.tag, '1918181833n');
    t.equal(m.from.tag, '98asjd8');
    t.equal(m.from.displayName, 'J Rosenberg \\"');
    t.equal(m.parsedUri.params.get('unknownparam'), null);
    const contact = tryParseNameAddr(m.getList('contact')[0]!);
    t.equal(contact?.displayName, 'Quoted string ""');
    t.equal(contact?.params.get('newparam'), 'newvalue');
    t.equal(contact?.params.get('secondparam'), null);
    t.equal(contact?.params.get('q'), '0.33');
    t.equal(m.body.length, 150);
    t.ok(m.headers.some((h) => h.name === 'MaX-fOrWaRdS'), 'original header name case kept');
  },
  'intmeth.dat'(t, data) {
    const m = parseReq(t, data);
    t.equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
    t.equal(m.cseq.method, m.method);
    const uri = m.parsedUri;
    t.equal(uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    t.equal(uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    t.equal(uri.host, 'example.com');
    t.equal(m.to.displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
    t.equal(m.from.displayName, "token1~` token2'+_ token3*%!.-");
    t.equal(m.from.tag, "_token~1'+`*%!-.");
    t.equal(m.from.params.get("fromparam''~+*_!.-%"), '"\u0440\u0430\u0431\u043e\u0442\u0430\u044e\u0449\u0438\u0439"');
    t.equal(m.get("extensionHeader-!.%*+_`'~"), Buffer.from('efbbbfe5a4a7e5819ce99bbb', 'hex').toString('utf8'), 'BOM + UTF-8 kept');
    t.equal(m.callId, 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
  },
  'esc01.dat'(t, data) {
    const m = parseReq(t, data);
    const uri = m.parsedUri;
    t.equal(uri.scheme, 'sip', 'still a sip: URI');
    t.equal(uri.user, 'sips%3Auser%40example.com', 'stored escaped');
    t.equal(unescapeUriComponent(uri.user!), 'sips:user@example.com');
    t.equal(uri.host, 'example.net');
    const contacts = m.getList('contact');
    t.equal(contacts.length, 1, 'folded Contact is one value');
    const c = tryParseUri(tryParseNameAddr(contacts[0]!)!.uri)!;
    t.equal(unescapeUriComponent(c.user!), 'caller');
    let decoded: string | undefined;
    for (const [k, v] of c.params) if (unescapeUriComponent(k) === 'name') decoded = unescapeUriComponent(v!);
    t.equal(decoded, 'value%41', 'decoded exactly once');
    t.ok([...c.params.keys()].some((k) => unescapeUriComponent(k) === 'lr'), 'escaped lr param');
    t.equal(unescapeUriComponent(tryParseUri(m.to.uri)!.user!), 'user');
    t.equal(unescapeUriComponent(tryParseUri(m.from.uri)!.user!), 'I have spaces');
    t.equal(m.get('c'), 'application/sdp');
  },
  'escnull.dat'(t, data) {
    const m = parseReq(t, data);
    t.equal(m.method, 'REGISTER');
    const users = m.getList('contact').map((c) => unescapeUriComponent(tryParseUri(tryParseNameAddr(c)!.uri)!.user!));
    t.same(users, ['\x00', '\x00\x00'], 'NULs decoded, not truncated');
    t.not(users[0], users[1], 'two distinct Contacts');
    t.equal(unescapeUriComponent(tryParseUri(m.to.uri)!.user!), 'null-\x00-null');
    t.notOk(data.includes(0), 'no raw NUL in the file');
  },
  'esc02.dat'(t, data) {
    const m = parseReq(t, data);
    t.equal(m.method, 'RE%47IST%45R', "'%' in a method is literal");
    t.not(m.method, 'REGISTER');
    t.equal(m.to.displayName, '%Z%45');
    t.equal(m.getList('contact').length, 2, 'C%6Fntact is another header');
    t.equal(m.get('C%6Fntact'), '<sip:alias2@host2.example.com>');
  },
  'lwsdisp.dat'(t, data) {
    const m = parseReq(t, data);
    t.equal(m.from.displayName, 'caller');
    t.equal(m.from.uri, 'sip:caller@example.com');
    t.equal(m.from.tag, '323');
  },
  'longreq.dat'(t, data) {
    const m = parseReq(t, data);
    t.equal(m.vias().length, 34, '34 Via values');
    t.ok(m.to.displayName!.length > 90, 'long display name');
    t.ok(m.from.tag!.length > 100, 'long tag');
    t.ok(m.callId.length > 100, 'long Call-ID');
    t.equal(tryParseUri(m.to.uri)!.port, 6000);
    t.equal(tryParseUri(m.to.uri)!.params.get('unknownparam1')!.length > 80, true, 'long URI param');
    t.equal(m.body.length, 150);
    t.ok(m.headers.some((h) => h.name.length > 80 && h.value.length > 80), 'long header name and value');
  },
  'dblreq.dat'(t, data) {
    const m = parseReq(t, data);
    t.equal(m.method, 'REGISTER');
    t.equal(m.body.length, 0, 'body empty');
    const out = serializeMessage(m);
    t.notOk(out.includes('INVITE'), 'trailing INVITE noise is not part of the message');
    t.ok(out.length < data.length);
  },
  'semiuri.dat'(t, data) {
    const m = parseReq(t, data);
    const uri = m.parsedUri;
    t.equal(uri.user, 'user;par=u%40example.net');
    t.equal(unescapeUriComponent(uri.user!), 'user;par=u@example.net');
    t.equal(uri.host, 'example.com');
    t.equal(uri.params.size, 0, 'no URI parameters');
    t.same(m.getList('accept'), [
      'application/sdp', 'application/pkcs7-mime', 'multipart/mixed', 'multipart/signed', 'message/sip', 'message/sipfrag',
    ]);
  },
  'transports.dat'(t, data) {
    const m = parseReq(t, data);
    t.same(m.vias().map((v) => v.transport), ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
    t.equal(m.callId, 'transports.kijh4akdnaqjkwendsasfdj');
  },
  'mpart01.dat'(t, data) {
    const m = parseReq(t, data);
    t.equal(m.method, 'MESSAGE');
    t.equal(m.body.length, 553);
    t.ok(m.body.equals(data.subarray(data.length - 553)), 'body bytes intact');
    t.ok(m.body.includes(0x00), 'NUL kept');
    const crBare = m.body.some((b, i) => b === 13 && m.body[i + 1] !== 10);
    t.ok(crBare, 'bare CR kept');
    t.ok(m.body.some((b) => b >= 0x80), 'non-UTF-8 octets kept');
    t.ok(serializeMessage(m).subarray(-553).equals(m.body));
  },
  'unreason.dat'(t, data) {
    const m = parseOk(t, data) as SipResponse;
    t.equal(m.kind, 'response');
    t.equal(m.status, 200);
    t.match(m.reason, /^= 2\*\*3 \* 5\*\*2 /);
    t.ok(m.reason.includes('\u043d\u043e'), 'UTF-8 Cyrillic decoded');
    t.equal(m.body.length, 154);
  },
  'noreason.dat'(t, data) {
    const m = parseOk(t, data) as SipResponse;
    t.equal(m.status, 100);
    t.equal(m.reason, '');
  },
  'badinv01.dat': (t, d) => void parseFail(t, d, 400, true),
  'clerr.dat'(t, d) {
    const r = parseFail(t, d, 400, true);
    t.match(r.reason, /Content-Length/);
  },
  'ncl.dat'(t, d) {
    const r = parseFail(t, d, 400, true);
    t.match(r.reason, /Content-Length/);
  },
  'scalar02.dat'(t, d) {
    const r = parseFail(t, d, 400, true);
    t.equal(r.reason, 'Bad CSeq number');
  },
  'scalarlg.dat': (t, d) => void parseFail(t, d, 400, false),
  'quotbal.dat': (t, d) => void parseFail(t, d, 400, true),
  'ltgtruri.dat': (t, d) => void parseFail(t, d, 400, true),
  'lwsruri.dat': (t, d) => void parseFail(t, d, 400, true),
  'lwsstart.dat': (t, d) => void parseFail(t, d, 400, true),
  'trws.dat': (t, d) => void parseFail(t, d, 400, true),
  'escruri.dat': (t, d) => void parseFail(t, d, 400, true),
  'baddate.dat'(t, data) {
    // Date is not used by a border gateway, so the RFC's "ignore it" branch applies
    const m = parseReq(t, data);
    t.equal(m.get('date'), 'Fri, 01 Jan 2010 16:00:00 EST');
  },
  'regbadct.dat': (t, d) => void parseFail(t, d, 400, true),
  'badaspec.dat': (t, d) => void parseFail(t, d, 400, true),
  'baddn.dat'(t, data) {
    t.equal(data.length, 331, 'archive copy without the final empty line');
    const asIs = parseFail(t, data, 400, true);
    t.ok(asIs.reason.length > 0);
    const intended = Buffer.concat([data, Buffer.from('\r\n')]);
    t.equal(intended.length, 333);
    const r = parseFail(t, intended, 400, true);
    t.match(r.reason, /From|To/, 'refused for the display name');
  },
  'badvers.dat'(t, d) {
    const r = parseFail(t, d, 505, true);
    t.equal(r.answerable!.method, 'OPTIONS');
  },
  'mismatch01.dat': (t, d) => void parseFail(t, d, 400, true),
  'mismatch02.dat': (t, d) => void parseFail(t, d, 400, true),
  'bigcode.dat': (t, d) => void parseFail(t, d, 400, false),
  'badbranch.dat'(t, data) {
    const m = parseReq(t, data);
    t.equal(m.via.branch, 'z9hG4bK', 'bare magic cookie left to the transaction layer');
  },
  'insuf.dat'(t, d) {
    const r = parseFail(t, d, 400, true);
    t.match(r.reason, /^Missing /);
  },
  'unkscm.dat'(t, data) {
    const m = parseReq(t, data);
    t.equal(m.parsedUri.scheme, 'nobodyknowsthisscheme');
    t.equal(m.parsedUri.opaque, 'totallyopaquecontent');
    t.same(checkUriScheme(m), { status: 416, reason: 'Unsupported URI Scheme' });
  },
  'novelsc.dat'(t, data) {
    const m = parseReq(t, data);
    t.equal(m.parsedUri.scheme, 'soap.beep');
    t.equal(checkUriScheme(m)?.status, 416);
  },
  'unksm2.dat'(t, data) {
    const m = parseReq(t, data);
    t.equal(m.to.uri, 'isbn:2983792873');
    t.equal(m.from.uri, 'http://www.example.com');
    t.equal(checkUriScheme(m), undefined, 'proxy handles it normally');
    t.equal(checkRegisterAor(m)?.status, 400, 'registrar refuses');
  },
  'bext01.dat'(t, data) {
    const m = parseReq(t, data);
    const uas = checkRequire(m, new Set(['100rel', 'timer']));
    t.equal(uas?.status, 420);
    t.same(uas?.headers, [{ name: 'Unsupported', value: 'nothingSupportsThis, nothingSupportsThisEither' }]);
    const proxy = checkProxyRequire(m, new Set());
    t.equal(proxy?.status, 420);
    t.same(proxy?.headers, [{ name: 'Unsupported', value: 'noProxiesSupportThis, norDoAnyProxiesSupportThis' }]);
  },
  'invut.dat'(t, data) {
    const m = parseReq(t, data);
    t.equal(m.body.length, 40);
    const r = checkContentType(m, new Set(['application/sdp']));
    t.equal(r?.status, 415);
    t.same(r?.headers, [{ name: 'Accept', value: 'application/sdp' }]);
  },
  'regaut01.dat'(t, data) {
    const m = parseReq(t, data);
    t.equal(m.get('authorization'), 'NoOneKnowsThisScheme opaque-data=here');
    t.equal(m.get('content-length'), '0');
    t.equal(serializeMessage(m), data, 'forwarded unchanged, zero-copy');
  },
  'multi01.dat'(t, d) {
    const r = parseFail(t, d, 400, true);
    t.match(r.reason, /^Multiple /);
  },
  'mcl01.dat'(t, d) {
    const r = parseFail(t, d, 400, true);
    t.match(r.reason, /Content-Length/);
  },
  'bcast.dat'(t, data) {
    const m = parseOk(t, data) as SipResponse;
    t.equal(m.vias().length, 2, 'more than one Via: a UA drops it');
    t.equal(m.vias()[1]!.host, '255.255.255.255');
  },
  'zeromf.dat'(t, data) {
    const m = parseReq(t, data);
    t.same(checkMaxForwards(m), { status: 483, reason: 'Too Many Hops' });
  },
  'cparam01.dat'(t, data) {
    const m = parseReq(t, data);
    const c = tryParseNameAddr(m.getList('m')[0]!)!;
    t.equal(c.uri, 'sip:+19725552222@gw1.example.net', 'bound URI has no unknownparam');
    t.equal(c.params.get('unknownparam'), null, 'it is a header parameter');
  },
  'cparam02.dat'(t, data) {
    const m = parseReq(t, data);
    const c = tryParseNameAddr(m.getList('contact')[0]!)!;
    t.equal(c.uri, 'sip:+19725552222@gw1.example.net;unknownparam');
    t.equal(c.params.size, 0);
    t.equal(tryParseUri(c.uri)!.params.get('unknownparam'), null, 'it is a URI parameter');
  },
  'regescrt.dat'(t, data) {
    const m = parseReq(t, data);
    const c = tryParseNameAddr(m.getList('Contact')[0]!)!;
    t.equal(c.uri, 'sip:user@example.com?Route=%3Csip:sip.example.com%3E');
    t.equal(tryParseUri(c.uri)!.headers.get('Route'), '%3Csip:sip.example.com%3E');
    t.notOk(m.has('route'), 'escaped Route is not a real header');
  },
  'sdp01.dat'(t, data) {
    const m = parseReq(t, data);
    t.same(checkAcceptsSdp(m), { status: 406, reason: 'Not Acceptable' });
  },
  'inv2543.dat'(t, data) {
    const m = parseReq(t, data);
    t.equal(m.body.length, 105);
    t.equal(m.via.branch, undefined, 'no branch');
    t.equal(m.from.tag, undefined, 'no From tag');
    t.notOk(m.has('max-forwards'));
    t.match(serializeMessage(m).toString('latin1'), /\r\nContent-Length: 105\r\n\r\n/, 'Content-Length added when sent on');
  },
};

function run(): void {
  const manifest = readFileSync(path.join(dir, 'MANIFEST.tsv'), 'utf8').trim().split('\n');
  const entries: Entry[] = manifest.slice(1).map((line) => {
    const [file, section, category, expected] = line.split('\t');
    return { file: file!, section: section!, category: category!, expected: expected! };
  });

  t.test('manifest and checksums', async (t) => {
    t.equal(entries.length, 49, '49 messages');
    const sums = new Map<string, string>();
    for (const line of readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8').trim().split('\n')) {
      const [sum, name] = line.trim().split(/\s+\*?/);
      sums.set(name!, sum!);
    }
    const onDisk = readdirSync(dir).filter((f) => f.endsWith('.dat')).sort();
    t.same(onDisk, entries.map((e) => e.file).sort(), 'every .dat is in the manifest');
    for (const e of entries) {
      t.equal(createHash('sha256').update(load(e.file)).digest('hex'), sums.get(e.file), `${e.file} checksum`);
    }
    t.same(Object.keys(checks).sort(), entries.map((e) => e.file).sort(), 'every file has a check');
  });

  for (const e of entries) {
    t.test(`${e.file} (RFC 4475 ${e.section}, ${e.category})`, async (t) => {
      const data = load(e.file);
      t.doesNotThrow(() => parseMessage(data), 'parseMessage never throws');
      const check = checks[e.file];
      if (check === undefined) {
        t.fail(`no check written for ${e.file}`);
        return;
      }
      check(t, data);
    });
  }
}

if (!existsSync(path.join(dir, 'MANIFEST.tsv'))) {
  t.fail(`RFC 4475 test data not found: expected ${dir}/MANIFEST.tsv (repo root resolved to ${repoRoot})`);
} else {
  run();
}
