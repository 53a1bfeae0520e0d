import t from 'tap';
import { CallRegistry, formatReplaces, parseReplaces, rewriteReplaces, type ReplacesParams } from '../../../lib/calls/call-registry.js';
import type { DialogBridge } from '../../../lib/calls/dialog-bridge.js';

t.test('parseReplaces', async (t) => {
  t.same(parseReplaces('abc@host;to-tag=1;from-tag=2'), { callId: 'abc@host', toTag: '1', fromTag: '2', earlyOnly: false });
  t.same(parseReplaces('abc@host;from-tag=2;to-tag=1;early-only'), { callId: 'abc@host', toTag: '1', fromTag: '2', earlyOnly: true });
  t.same(parseReplaces(' abc ; To-Tag=1 ; FROM-TAG=2 '), { callId: 'abc', toTag: '1', fromTag: '2', earlyOnly: false }, 'spaces and case');
  t.same(parseReplaces('abc;to-tag=1;from-tag=2;x=y'), { callId: 'abc', toTag: '1', fromTag: '2', earlyOnly: false }, 'unknown params ignored');
  t.equal(parseReplaces('abc;to-tag=1'), undefined, 'no from-tag');
  t.equal(parseReplaces('abc;from-tag=2'), undefined, 'no to-tag');
  t.equal(parseReplaces(';to-tag=1;from-tag=2'), undefined, 'no call-id');
  t.equal(parseReplaces(''), undefined);
});

t.test('formatReplaces and the round trip', async (t) => {
  const r: ReplacesParams = { callId: 'x@y', toTag: 't', fromTag: 'f', earlyOnly: false };
  t.equal(formatReplaces(r), 'x@y;to-tag=t;from-tag=f');
  t.equal(formatReplaces({ ...r, earlyOnly: true }), 'x@y;to-tag=t;from-tag=f;early-only');
  for (const text of ['abc@host;to-tag=1;from-tag=2', 'abc@host;to-tag=1;from-tag=2;early-only']) {
    const p = parseReplaces(text);
    t.ok(p);
    t.equal(formatReplaces(p as ReplacesParams), text, `round trip of ${text}`);
  }
  t.same(parseReplaces(formatReplaces({ ...r, earlyOnly: true })), { ...r, earlyOnly: true });
});

const NEW: ReplacesParams = { callId: 'xyz@gw', toTag: '9', fromTag: '8', earlyOnly: false };

t.test('rewriteReplaces on a percent-encoded Refer-To', async (t) => {
  const seen: ReplacesParams[] = [];
  const out = rewriteReplaces('<sip:bob@example.com?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>', (r) => {
    seen.push(r);
    return NEW;
  });
  t.same(seen, [{ callId: 'abc@host', toTag: '1', fromTag: '2', earlyOnly: false }], 'the mapper gets the decoded parameters');
  t.equal(out, '<sip:bob@example.com?Replaces=xyz%40gw%3Bto-tag%3D9%3Bfrom-tag%3D8>');
});

t.test('rewriteReplaces keeps other URI headers and parameters around it', async (t) => {
  const referTo = '"Bob" <sip:bob@example.com;transport=tcp?Require=replaces&Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2%3Bearly-only&X-Foo=bar>;p=1';
  let got: ReplacesParams | undefined;
  const out = rewriteReplaces(referTo, (r) => {
    got = r;
    return { ...NEW, earlyOnly: r.earlyOnly };
  });
  t.same(got, { callId: 'abc@host', toTag: '1', fromTag: '2', earlyOnly: true });
  t.equal(out, '"Bob" <sip:bob@example.com;transport=tcp?Require=replaces&Replaces=xyz%40gw%3Bto-tag%3D9%3Bfrom-tag%3D8%3Bearly-only&X-Foo=bar>;p=1');
  // Replaces first, other headers after.
  t.equal(
    rewriteReplaces('<sip:bob@example.com?replaces=abc%3Bto-tag%3D1%3Bfrom-tag%3D2&X-A=1>', () => NEW),
    '<sip:bob@example.com?Replaces=xyz%40gw%3Bto-tag%3D9%3Bfrom-tag%3D8&X-A=1>',
    'lower-case header name found',
  );
});

t.test('rewriteReplaces leaves the text alone', async (t) => {
  let calls = 0;
  const count = (r: ReplacesParams) => {
    calls++;
    return r;
  };
  t.equal(rewriteReplaces('<sip:bob@example.com>', count), '<sip:bob@example.com>', 'no Replaces');
  t.equal(rewriteReplaces('<sip:bob@example.com?X-Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2>', count), '<sip:bob@example.com?X-Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2>', 'a header only ending in Replaces');
  t.equal(calls, 0, 'the mapper is not asked without Replaces');
  const declined = '<sip:bob@example.com?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>';
  t.equal(rewriteReplaces(declined, () => undefined), declined, 'mapper declines');
  const bad = '<sip:bob@example.com?Replaces=abc%E0%A4%A%3Bto-tag%3D1%3Bfrom-tag%3D2>';
  t.equal(rewriteReplaces(bad, () => NEW), bad, 'bad percent-encoding');
  const noTags = '<sip:bob@example.com?Replaces=abc%40host%3Bto-tag%3D1>';
  t.equal(rewriteReplaces(noTags, () => NEW), noTags, 'incomplete Replaces');
});

interface FakeLeg {
  sip: { callId: string; localTag: string; remoteTag: string };
}
function fakeBridge(a: FakeLeg['sip'], b: FakeLeg['sip']): DialogBridge {
  return { a: { sip: a }, b: { sip: b } } as unknown as DialogBridge;
}
const devLeg = { callId: 'dev-call@1.2.3.4', localTag: 'gwA', remoteTag: 'devTag' };
const srvLeg = { callId: 'srv-call@gw', localTag: 'gwB', remoteTag: 'srvTag' };
const replacesTo = (callId: string, toTag: string, fromTag: string) =>
  `<sip:bob@example.com?Replaces=${encodeURIComponent(`${callId};to-tag=${toTag};from-tag=${fromTag}`)}>`;

t.test('CallRegistry counts calls and lists bridges', async (t) => {
  const reg = new CallRegistry();
  t.equal(reg.activeCalls, 0);
  t.same(reg.bridges(), []);
  const b1 = fakeBridge(devLeg, srvLeg);
  const b2 = fakeBridge({ callId: 'd2', localTag: 'l', remoteTag: 'r' }, { callId: 's2', localTag: 'l2', remoteTag: 'r2' });
  reg.add(b1);
  t.equal(reg.activeCalls, 1);
  t.same(reg.bridges(), [b1]);
  t.equal(reg.bridges()[0], b1, 'the bridge itself');
  reg.add(b2);
  t.equal(reg.activeCalls, 2);
  t.equal(reg.bridges().length, 2, 'each bridge once though it has two legs');
  t.ok(reg.bridges().includes(b2));
  reg.remove(b1);
  t.equal(reg.activeCalls, 1);
  t.same(reg.bridges(), [b2]);
  reg.remove(b1);
  t.equal(reg.activeCalls, 1, 'a second remove does not count twice');
  reg.remove(fakeBridge({ callId: 'never', localTag: '', remoteTag: '' }, { callId: 'added', localTag: '', remoteTag: '' }));
  t.equal(reg.activeCalls, 1, 'removing an unknown bridge changes nothing');
  reg.remove(b2);
  t.equal(reg.activeCalls, 0);
  t.same(reg.bridges(), []);
});

t.test('translateRefer: the device-side dialog becomes the call-server-side one', async (t) => {
  const reg = new CallRegistry();
  reg.add(fakeBridge(devLeg, srvLeg));
  const headers = { 'Refer-To': replacesTo(devLeg.callId, 'gwA', 'devTag'), 'Referred-By': '<sip:alice@x>' };
  const out = reg.translateRefer(headers);
  t.not(out, headers);
  t.same(out, {
    'Refer-To': `<sip:bob@example.com?Replaces=${encodeURIComponent('srv-call@gw;to-tag=srvTag;from-tag=gwB')}>`,
    'Referred-By': '<sip:alice@x>',
  });
  t.equal(headers['Refer-To'], replacesTo(devLeg.callId, 'gwA', 'devTag'), 'input not mutated');
});

t.test('translateRefer works from the other leg and keeps the header name', async (t) => {
  const reg = new CallRegistry();
  reg.add(fakeBridge(devLeg, srvLeg));
  const out = reg.translateRefer({ 'refer-to': replacesTo(srvLeg.callId, 'gwB', 'srvTag') });
  t.same(out, { 'refer-to': `<sip:bob@example.com?Replaces=${encodeURIComponent('dev-call@1.2.3.4;to-tag=devTag;from-tag=gwA')}>` });
});

t.test('translateRefer leaves unknown dialogs alone', async (t) => {
  const reg = new CallRegistry();
  const bridge = fakeBridge(devLeg, srvLeg);
  reg.add(bridge);
  for (const [what, referTo] of [
    ['unknown call-id', replacesTo('other-call', 'gwA', 'devTag')],
    ['tags swapped', replacesTo(devLeg.callId, 'devTag', 'gwA')],
    ['wrong to-tag', replacesTo(devLeg.callId, 'nope', 'devTag')],
    ['wrong from-tag', replacesTo(devLeg.callId, 'gwA', 'nope')],
    ['no Replaces', '<sip:bob@example.com>'],
  ] as const) {
    const headers = { 'Refer-To': referTo };
    t.equal(reg.translateRefer(headers), headers, what);
  }
  const noReferTo = { 'X-A': '1' };
  t.equal(reg.translateRefer(noReferTo), noReferTo, 'no Refer-To');
  reg.remove(bridge);
  const after = { 'Refer-To': replacesTo(devLeg.callId, 'gwA', 'devTag') };
  t.equal(reg.translateRefer(after), after, 'a removed bridge is not translated');
});
