/**
 * Where a call for an AOR goes: one Request-URI per reachable binding. A binding on this node is reached at its
 * Contact over the device's own connection (the SIP engine keeps "Contact user@host -> connection" from the
 * REGISTER, so a NATed TCP/TLS device is never dialled anew). A binding owned by another node is reached through
 * that node: the INVITE goes to the peer with the `sipedge-local` URI parameter, and the peer rings only its own
 * bindings of the AOR (so a call never loops between nodes).
 */
import type { Binding } from '../store/registration-store.js';
import { ConfigError } from '../config/schema-validator.js';

/** URI parameter marking an INVITE a peer node forwards: ring only the local bindings. */
export const LOCAL_ONLY_PARAM = 'sipedge-local';

export interface CallTarget {
  uri: string;
  /** The bindings this target rings (several when a peer rings its own). */
  bindings: Binding[];
  viaPeer?: string;
}

/** Peer nodes by node id -> a SIP URI that reaches them ("sip:10.0.0.2:5060;transport=tcp"). */
export type PeerDirectory = ReadonlyMap<string, string>;

/** Parses `cluster.peers` entries "nodeId=sip:host:port;transport=tcp". */
export function parsePeers(entries: readonly string[]): Map<string, string> {
  const peers = new Map<string, string>();
  entries.forEach((e, i) => {
    const m = /^([^=\s]+)=(sips?:[^\s@]+)$/.exec(e.trim());
    if (m === null) throw new ConfigError(`cluster.peers[${i}]`, `expected "nodeId=sip:host:port;transport=tcp", got '${e}'`);
    peers.set(m[1] as string, m[2] as string);
  });
  return peers;
}

/** The Contact URI with the binding's transport made explicit, so the engine uses the device's connection. */
export function contactTarget(b: Binding): string {
  if (b.transport === 'udp' || /;transport=/i.test(b.uri)) return b.uri;
  const q = b.uri.indexOf('?');
  return q < 0 ? `${b.uri};transport=${b.transport}` : `${b.uri.slice(0, q)};transport=${b.transport}${b.uri.slice(q)}`;
}

/** A peer's URI with the AOR user and the local-only marker: `sip:alice@10.0.0.2:5060;transport=tcp;sipedge-local`. */
export function peerTarget(peerUri: string, user: string): string {
  const scheme = peerUri.startsWith('sips:') ? 'sips:' : 'sip:';
  return `${scheme}${encodeURIComponent(user)}@${peerUri.slice(scheme.length)};${LOCAL_ONLY_PARAM}`;
}

/**
 * Targets for a call to `user`'s bindings, from node `nodeId`. Unreachable bindings (connection closed) are left
 * out, and so are other nodes' bindings when `localOnly` (a peer forwarded the call) or when the owner is not a
 * known peer (returned in `unreachableOwners` for logging).
 */
export function callTargets(
  bindings: readonly Binding[],
  user: string,
  nodeId: string,
  peers: PeerDirectory,
  localOnly: boolean,
): { targets: CallTarget[]; unreachableOwners: string[] } {
  const targets: CallTarget[] = [];
  const byPeer = new Map<string, Binding[]>();
  const unreachableOwners: string[] = [];
  for (const b of bindings) {
    if (!b.reachable) continue;
    if (b.nodeId === nodeId) targets.push({ uri: contactTarget(b), bindings: [b] });
    else if (!localOnly) {
      const list = byPeer.get(b.nodeId) ?? [];
      list.push(b);
      byPeer.set(b.nodeId, list);
    }
  }
  for (const [peer, list] of byPeer) {
    const peerUri = peers.get(peer);
    if (peerUri === undefined) unreachableOwners.push(peer);
    else targets.push({ uri: peerTarget(peerUri, user), bindings: list, viaPeer: peer });
  }
  return { targets, unreachableOwners };
}
