/**
 * The Contact the gateway puts in requests and responses toward devices over TLS. The drachtio server writes
 * `sips:host:port;transport=tls` there by default (protocol spec 12.2), which some softphones cannot route their
 * ACK and BYE to (baresip 1.0 closes the call); `sip:host:port;transport=tls` reaches the same listener and works
 * with every device seen. TCP and UDP contacts are left to the server.
 */
export class LocalContacts {
  private tls: string | undefined;

  /** Learns the listening points the drachtio server advertised ("tls/127.0.0.1:5061"). */
  setListeningPoints(hostports: readonly string[]): void {
    for (const hp of hostports) {
      const m = /^tls\/(.+)$/i.exec(hp);
      if (m !== null) this.tls = `<sip:${m[1]};transport=tls>`;
    }
  }

  /** Headers to add toward a device reached over `transport` (empty unless TLS). */
  towardDevice(transport: string | undefined, receivedOn?: string): Record<string, string> {
    if (transport?.toLowerCase() !== 'tls') return {};
    if (receivedOn !== undefined && receivedOn !== '') return { Contact: `<sip:${receivedOn};transport=tls>` };
    return this.tls === undefined ? {} : { Contact: this.tls };
  }
}
