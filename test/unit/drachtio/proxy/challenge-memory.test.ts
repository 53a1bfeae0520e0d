// Challenge pinning (spec 9.3): nonce -> challenging target for about 2 s.
import t from 'tap';
import { parseMessage } from '../../../../lib/engine/messages/parser.js';
import type { SipMessage } from '../../../../lib/engine/messages/message.js';
import { FakeClock } from '../../../../lib/engine/timers/fake-clock.js';
import { ChallengeMemory, digestNonce } from '../../../../lib/engine/drachtio/proxy/challenge-memory.js';

function parse(lines: string[]): SipMessage {
  const p = parseMessage(Buffer.from([...lines, '', ''].join('\r\n')));
  if (!p.ok) throw new Error(p.reason);
  return p.message;
}

const common = ['Via: SIP/2.0/UDP 192.0.2.5;branch=z9hG4bKc', 'From: <sip:a@x>;tag=1', 'To: <sip:b@x>', 'Call-ID: c', 'CSeq: 2 INVITE'];
const challenge = (hdr: string) => parse(['SIP/2.0 407 Proxy Authentication Required', ...common, hdr]);
const retry = (hdr: string) => parse(['INVITE sip:b@x SIP/2.0', ...common, hdr]);

t.test('nonce extraction', async (t) => {
  t.equal(digestNonce('Digest realm="r", nonce="abc", qop="auth"'), 'abc');
  t.equal(digestNonce('Digest username="u", cnonce="zzz", nonce = "n2"'), 'n2', 'cnonce is not nonce');
  t.equal(digestNonce('Digest nonce=tok,realm="r"'), 'tok', 'unquoted');
  t.equal(digestNonce('Digest realm="r"'), undefined);
});

t.test('a retry with the challenged nonce is pinned to the challenging target for 2 s', async (t) => {
  const clock = new FakeClock();
  const mem = new ChallengeMemory(clock);
  mem.remember(challenge('Proxy-Authenticate: Digest realm="r", nonce="n1"'), 'sip:b@192.0.2.9');
  const creds = retry('Proxy-Authorization: Digest username="u", realm="r", nonce="n1", cnonce="c1", response="x"');
  t.equal(mem.targetFor(creds), 'sip:b@192.0.2.9');
  t.equal(mem.targetFor(retry('Authorization: Digest nonce="other"')), undefined, 'another nonce');
  t.equal(mem.targetFor(retry('X-A: 1')), undefined, 'no credentials');
  clock.advance(2001);
  t.equal(mem.targetFor(creds), undefined, 'forgotten after 2 s');
  t.equal(mem.size, 0);
  mem.remember(challenge('X-A: 1'), 'sip:ignored@h');
  t.equal(mem.size, 0, 'nothing to remember without a nonce');
  mem.remember(challenge('WWW-Authenticate: Digest nonce="a"'), 'sip:a@h');
  clock.advance(2500);
  mem.remember(challenge('WWW-Authenticate: Digest nonce="b"'), 'sip:b@h');
  t.equal(mem.size, 1, 'expired entries are swept on insert');
});
