/**
 * Our Via on forwarded responses: removed before a response goes upstream (RFC 3261 16.7 step 3, 18.2.2).
 */
import type { SipResponse } from '../../messages/message.js';
import type { Via } from '../../messages/types.js';
import { firstListElement } from '../../messages/lexical.js';
import type { SendTarget } from '../../transport/types.js';
import type { TransportName } from '../../messages/types.js';

/** A copy of `res` without its top Via value (the rest of a comma-joined Via line stays). */
export function withoutTopVia(res: SipResponse): SipResponse {
  const copy = res.clone();
  const at = copy._idx().get('via');
  if (at === undefined) return copy;
  const i = at[0]!;
  const line = copy._headers[i]!;
  const first = firstListElement(line.value);
  if (first === undefined || first.length >= line.value.trim().length) {
    copy._headers.splice(i, 1);
  } else {
    // `first` is followed by `,`: keep what comes after it.
    const rest = line.value.slice(line.value.indexOf(first) + first.length).replace(/^\s*,\s*/, '');
    copy._headers[i] = { name: line.name, value: rest };
  }
  copy._changed('via');
  return copy;
}

function transportOf(via: Via): TransportName | undefined {
  const t = via.transport;
  return t === 'UDP' ? 'udp' : t === 'TCP' ? 'tcp' : t === 'TLS' ? 'tls' : undefined;
}

/** RFC 3261 18.2.2 + RFC 3581 4: where a response goes, read from the Via it is sent back to. */
export function viaResponseTarget(via: Via): SendTarget | undefined {
  const transport = transportOf(via);
  if (transport === undefined) return undefined;
  const host = via.received ?? via.host;
  const port = typeof via.rport === 'number' ? via.rport : (via.port ?? (transport === 'tls' ? 5061 : 5060));
  return { transport, host: host.charCodeAt(0) === 0x5b ? host.slice(1, -1) : host, port };
}
