import t from 'tap';
import { createCidrMatcher, decideMediaMode, type MediaPolicy } from '../../../lib/media/media-policy.js';
import type { MediaParty } from '../../../lib/media/media-contract.js';

t.test('CIDR matching, IPv4 and IPv6', async (t) => {
  const local = createCidrMatcher(['10.0.0.0/8', '192.168.1.0/24', '172.16.5.4', 'fd00::/8', '2001:db8:1::/48']);
  const yes = ['10.0.0.1', '10.255.255.255', '192.168.1.77', '172.16.5.4', 'fd12:3456::1', '2001:db8:1:ffff::9', '::ffff:10.2.3.4', '[fd00::1]'];
  const no = ['11.0.0.1', '192.168.2.1', '172.16.5.5', 'fe80::1', '2001:db8:2::1', '::ffff:11.0.0.1', 'example.com', '', '10.0.0'];
  for (const a of yes) t.ok(local(a), `${a} is local`);
  for (const a of no) t.notOk(local(a), `${a} is not local`);
  t.notOk(createCidrMatcher([])('10.0.0.1'), 'an empty list matches nothing');
  t.ok(createCidrMatcher(['0.0.0.0/0'])('203.0.113.1'), '/0 matches everything of its family');
  t.notOk(createCidrMatcher(['0.0.0.0/0'])('2001:db8::1'), 'but not the other family');
  t.ok(createCidrMatcher(['::/0'])('2001:db8::1'));
});

t.test('invalid CIDRs are refused', async (t) => {
  for (const bad of ['10.0.0.0/33', 'fd00::/129', '10.0.0.0/', '10.0.0.0/8/1', 'example.com/8', '10.0.0.0/x', '300.0.0.0/8']) {
    t.throws(() => createCidrMatcher([bad]), /invalid network/, bad);
  }
});

t.test('anchor or bypass', async (t) => {
  const isLocal = createCidrMatcher(['10.0.0.0/8', 'fd00::/8']);
  const policy: MediaPolicy = { anchoringAvailable: true, recording: false, isLocal };
  const cs: MediaParty = { side: 'callserver' };
  const local: MediaParty = { side: 'device', sourceAddress: '10.1.1.1', natted: false };
  const local6: MediaParty = { side: 'device', sourceAddress: 'fd00::5', natted: false };
  const natted: MediaParty = { ...local, natted: true };
  const remote: MediaParty = { side: 'device', sourceAddress: '198.51.100.1', natted: false };
  const unknownNat: MediaParty = { side: 'device', sourceAddress: '10.1.1.1' };
  const unknownSource: MediaParty = { side: 'device', natted: false };

  t.equal(decideMediaMode([local, cs], policy), 'bypass', 'local, not natted');
  t.equal(decideMediaMode([cs, local6], policy), 'bypass', 'IPv6 local');
  t.equal(decideMediaMode([cs, local, local6], policy), 'bypass', 'every fork local');
  t.equal(decideMediaMode([cs, cs], policy), 'bypass', 'call servers never force anchoring');
  t.equal(decideMediaMode([natted, cs], policy), 'anchor', 'natted');
  t.equal(decideMediaMode([cs, remote], policy), 'anchor', 'outside localNetworks');
  t.equal(decideMediaMode([cs, local, remote], policy), 'anchor', 'one fork outside');
  t.equal(decideMediaMode([unknownNat, cs], policy), 'anchor', 'NAT unknown');
  t.equal(decideMediaMode([unknownSource, cs], policy), 'anchor', 'source unknown');
  t.equal(decideMediaMode([local, cs], { ...policy, recording: true }), 'anchor', 'recording');
  t.equal(decideMediaMode([natted, cs], { ...policy, anchoringAvailable: false }), 'bypass', 'no rtpengine: bypass');
  t.equal(decideMediaMode([natted, cs], { ...policy, anchoringAvailable: false, recording: true }), 'bypass', 'even when recording');
});
