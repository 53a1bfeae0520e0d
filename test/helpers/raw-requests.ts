// Hand-built requests for the stream client (test/helpers/sip-tls-client.ts), with fresh branch, tag and Call-ID.
import type { RequestContext } from './sip-tls-client.js';

const rnd = () => Math.random().toString(36).slice(2, 10);

export interface RawRequestOptions {
  uri?: string;
  callId?: string;
  fromTag?: string;
  to?: string;
  cseq?: number;
  headers?: string[];
  body?: string;
}

export function rawRequest(method: string, o: RawRequestOptions = {}) {
  return (ctx: RequestContext): string => {
    const body = o.body ?? '';
    return [
      `${method} ${o.uri ?? 'sip:service@127.0.0.1'} SIP/2.0`,
      `Via: SIP/2.0/${ctx.transport} ${ctx.sentBy};branch=z9hG4bK${rnd()};rport`,
      'Max-Forwards: 70',
      `From: <sip:tester@127.0.0.1>;tag=${o.fromTag ?? rnd()}`,
      `To: ${o.to ?? `<${o.uri ?? 'sip:service@127.0.0.1'}>`}`,
      `Call-ID: ${o.callId ?? `${rnd()}@test`}`,
      `CSeq: ${o.cseq ?? 1} ${method === 'ACK' ? 'ACK' : method}`,
      `Contact: <sip:tester@${ctx.sentBy};transport=${ctx.transport.toLowerCase()}>`,
      ...(o.headers ?? []),
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  };
}

export const SDP = ['v=0', 'o=test 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=sendrecv', ''].join('\r\n');
