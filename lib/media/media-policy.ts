/**
 * Whether a call's media is anchored through rtpengine or bypasses it (SDP unchanged). Bypass is only safe when
 * every device can reach the call server directly: each device party signals from a local network
 * (media.localNetworks) and is not behind NAT. Recording always anchors (rtpengine records). Call-server parties
 * never force anchoring. Without any rtpengine every call bypasses. Pure.
 */
import { BlockList, isIP } from 'node:net';
import type { MediaParty } from './media-contract.js';

export type MediaMode = 'anchor' | 'bypass';

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as its IPv4 address; others unchanged. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m?.[1] ?? address;
}

/**
 * A matcher for a list of CIDRs ("10.0.0.0/8", "fd00::/8"; a bare address means a single host). Throws on an
 * invalid entry. IPv4-mapped IPv6 addresses match IPv4 networks; anything that is not an IP address never matches.
 */
export function createCidrMatcher(cidrs: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net = '', prefixText, ...rest] = cidr.trim().split('/');
    const family = isIP(net);
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (family === 0 || rest.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || prefixText === '') {
      throw new Error(`invalid network '${cidr}' (expected an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8)`);
    }
    list.addSubnet(net, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return (address) => {
    const a = unmapped(address.trim().replace(/^\[(.*)\]$/, '$1'));
    const family = isIP(a);
    if (family === 0) return false;
    return list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  };
}

export interface MediaPolicy {
  /** False when no rtpengine is configured: every call bypasses. */
  anchoringAvailable: boolean;
  recording: boolean;
  isLocal: (address: string) => boolean;
}

/** A device that can exchange media with the call server directly: known local source, known not natted. */
export function isDirectDevice(party: MediaParty, isLocal: (address: string) => boolean): boolean {
  return party.sourceAddress !== undefined && isLocal(party.sourceAddress) && party.natted === false;
}

/** Anchor or bypass for a call between `parties` (A and every B fork). */
export function decideMediaMode(parties: readonly MediaParty[], policy: MediaPolicy): MediaMode {
  if (!policy.anchoringAvailable) return 'bypass';
  if (policy.recording) return 'anchor';
  const devices = parties.filter((p) => p.side === 'device');
  return devices.every((d) => isDirectDevice(d, policy.isLocal)) ? 'bypass' : 'anchor';
}
