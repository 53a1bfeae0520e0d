// One binding factory for the store tests: a TCP binding of alice's AOR, with any field overridden.
import type { Binding } from '../../lib/store/registration-store.js';

export const AOR = 'sip:alice@example.com';
export const CONN_A = 'tcp:192.0.2.1:40000';

export function binding(key: string, over: Partial<Binding> = {}): Binding {
  return {
    aor: AOR,
    uri: key,
    key,
    callId: 'call-1',
    cseq: 1,
    expiresAt: Date.now() + 60_000,
    transport: 'tcp',
    address: '192.0.2.1',
    port: 40000,
    nodeId: 'n1',
    connectionId: CONN_A,
    reachable: true,
    ...over,
  };
}
