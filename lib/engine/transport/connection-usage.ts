/**
 * Which stream connections something above the transport still needs (a live transaction or dialog), collected in
 * one pass so that a connection nobody needs can be closed on request. A target named only by address counts for
 * the connection to that address, since that is the one a send would reuse.
 */
import { remoteKey } from './connection-table.js';
import type { ConnectionInfo, Flow, SendTarget } from './types.js';

export class ConnectionUsage {
  private readonly ids = new Set<string>();
  private readonly remotes = new Set<string>();

  note(target: SendTarget | Flow): void {
    if (target.transport === 'udp') return;
    if (target.connectionId !== undefined) this.ids.add(target.connectionId);
    if ('host' in target) this.remotes.add(remoteKey(target.transport, target.host, target.port));
    else this.remotes.add(remoteKey(target.transport, target.remoteAddress, target.remotePort));
  }

  uses(info: ConnectionInfo): boolean {
    return this.ids.has(info.id) || this.remotes.has(remoteKey(info.transport, info.remoteAddress, info.remotePort));
  }
}
