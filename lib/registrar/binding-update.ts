/**
 * The registrar's decision for one REGISTER (RFC 3261 10.3 steps 6-8, RFC 5626 6): given the AOR's current
 * bindings, what the new set is and what to answer. Pure, so a store can retry it on a concurrent write.
 */
import type { Binding, BindingTransport } from '../store/registration-store.js';

export interface RegistrarPolicy {
  minExpiresS: number;
  maxExpiresS: number;
  defaultExpiresS: number;
  maxContactsPerAor: number;
}

/** One Contact header entry of the REGISTER, as parsed. */
export interface ContactEntry {
  uri: string;
  /** `expires` contact parameter (seconds), if present and numeric. */
  expires?: number;
  q?: number;
  /** `+sip.instance` value without quotes (e.g. `<urn:uuid:...>`). */
  instanceId?: string;
  regId?: number;
}

/** What the REGISTER says, independent of how it reached us. */
export interface RegisterInput {
  aor: string;
  callId: string;
  cseq: number;
  /** Expires header (seconds), if present. */
  expiresHeader?: number;
  /** Contact entries, or '*' (remove all, RFC 3261 10.2.2), or [] (a fetch of the current bindings). */
  contacts: ContactEntry[] | '*';
  transport: BindingTransport;
  address: string;
  port: number;
  nodeId: string;
  connectionId: string;
  userAgent?: string;
  path?: string[];
  now: number;
}

export type RegisterOutcome =
  | { status: 200; bindings: Binding[] }
  | { status: 400 | 403 | 423 | 500; reason: string; minExpires?: number };

/** RFC 5626 4.2/6: a binding with an instance id is identified by it (and reg-id), not by its URI. */
export function bindingKey(c: ContactEntry): string {
  if (c.instanceId === undefined) return c.uri;
  return c.regId === undefined ? c.instanceId : `${c.instanceId};reg-id=${c.regId}`;
}

/** RFC 3261 10.3 step 6: contact parameter, else Expires header, else the default; capped at the maximum. */
function requestedExpiry(c: ContactEntry, input: RegisterInput, policy: RegistrarPolicy): number {
  const asked = c.expires ?? input.expiresHeader ?? policy.defaultExpiresS;
  return Math.min(asked, policy.maxExpiresS);
}

export function applyRegister(current: readonly Binding[], input: RegisterInput, policy: RegistrarPolicy): RegisterOutcome {
  const { now } = input;
  const live = current.filter((b) => b.expiresAt > now);

  if (input.contacts === '*') {
    // RFC 3261 10.3 step 6: '*' only with Expires: 0, and alone (the caller checked it is the only contact).
    if (input.expiresHeader !== 0) return { status: 400, reason: 'Contact * requires Expires: 0' };
    // Step 6 also applies the Call-ID/CSeq rule to every binding '*' removes.
    for (const b of live) {
      if (b.callId === input.callId && input.cseq <= b.cseq) return { status: 500, reason: 'Out of order CSeq' };
    }
    return { status: 200, bindings: [] };
  }

  const byKey = new Map<string, Binding>();
  for (const b of live) byKey.set(b.key, b);

  for (const c of input.contacts) {
    const expiry = requestedExpiry(c, input, policy);
    // RFC 3261 10.3 step 7: a non-zero expiry below the minimum is refused with 423 + Min-Expires.
    if (expiry > 0 && expiry < policy.minExpiresS) {
      return { status: 423, reason: 'Interval Too Brief', minExpires: policy.minExpiresS };
    }
    const key = bindingKey(c);
    const existing = byKey.get(key);
    // RFC 3261 10.3 step 7: same Call-ID with a CSeq not above the stored one is out of order.
    if (existing !== undefined && existing.callId === input.callId && input.cseq <= existing.cseq) {
      return { status: 500, reason: 'Out of order CSeq' };
    }
    if (expiry === 0) {
      byKey.delete(key);
      continue;
    }
    byKey.set(key, {
      aor: input.aor,
      uri: c.uri,
      key,
      ...(c.q !== undefined ? { q: c.q } : {}),
      ...(c.instanceId !== undefined ? { instanceId: c.instanceId } : {}),
      ...(c.regId !== undefined ? { regId: c.regId } : {}),
      callId: input.callId,
      cseq: input.cseq,
      expiresAt: now + expiry * 1000,
      transport: input.transport,
      address: input.address,
      port: input.port,
      nodeId: input.nodeId,
      connectionId: input.connectionId,
      ...(input.userAgent !== undefined ? { userAgent: input.userAgent } : {}),
      ...(input.path !== undefined && input.path.length > 0 ? { path: input.path } : {}),
      reachable: true,
    });
  }

  if (byKey.size > policy.maxContactsPerAor) {
    return { status: 403, reason: `Too many contacts (at most ${policy.maxContactsPerAor})` };
  }
  return { status: 200, bindings: [...byKey.values()] };
}

/** RFC 3261 10.3 step 8: every current contact with its remaining expiry (and q, instance, reg-id). */
export function contactHeaderValues(bindings: readonly Binding[], now: number): string[] {
  return bindings.map((b) => {
    let v = `<${b.uri}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`;
    if (b.q !== undefined) v += `;q=${b.q}`;
    if (b.instanceId !== undefined) v += `;+sip.instance="${b.instanceId}"`;
    if (b.regId !== undefined) v += `;reg-id=${b.regId}`;
    return v;
  });
}
