/**
 * The few facts about an SDP body that media policy and tests need, read line by line (no full SDP parser):
 * whether it asks for SRTP (an RTP/SAVP m= line or an a=crypto line, the latter also meaning RFC 8643 OSRTP when
 * the profile is RTP/AVP), and where its media goes (c= addresses, m= ports).
 */

export interface MediaLine {
  media: string;
  port: number;
  proto: string;
  formats: string[];
}

function lines(sdp: string): string[] {
  return sdp.split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l.length > 0);
}

/** Every m= line, in order. */
export function mediaLines(sdp: string): MediaLine[] {
  const out: MediaLine[] = [];
  for (const line of lines(sdp)) {
    if (!line.startsWith('m=')) continue;
    const [media = '', port = '', proto = '', ...formats] = line.slice(2).split(/\s+/);
    out.push({ media, port: Number.parseInt(port, 10), proto, formats });
  }
  return out;
}

/** The address of every c= line (session level and media level), in order. */
export function connectionAddresses(sdp: string): string[] {
  const out: string[] = [];
  for (const line of lines(sdp)) {
    if (!line.startsWith('c=')) continue;
    const addr = line.slice(2).split(/\s+/)[2];
    // Multicast addresses may carry /ttl; only the address matters here.
    if (addr !== undefined) out.push(addr.split('/')[0] ?? addr);
  }
  return out;
}

/** Whether any m= line uses a secure RTP profile (RTP/SAVP, RTP/SAVPF, UDP/TLS/RTP/SAVP...). */
export function usesSavp(sdp: string): boolean {
  return mediaLines(sdp).some((m) => /SAVP/i.test(m.proto));
}

/** Whether the body carries any SDES a=crypto line. */
export function hasCrypto(sdp: string): boolean {
  return lines(sdp).some((l) => l.startsWith('a=crypto:'));
}

/** SRTP asked for: RTP/SAVP, or RTP/AVP with a=crypto (OSRTP). */
export function offersSrtp(sdp: string): boolean {
  return usesSavp(sdp) || hasCrypto(sdp);
}

/** The crypto suites of the a=crypto lines, in order. */
export function cryptoSuites(sdp: string): string[] {
  const out: string[] = [];
  for (const l of lines(sdp)) {
    if (!l.startsWith('a=crypto:')) continue;
    const suite = l.slice('a=crypto:'.length).split(/\s+/)[1];
    if (suite !== undefined) out.push(suite);
  }
  return out;
}
