/**
 * The bridged calls of this node, by the Call-ID of each leg: counts active calls, and lets a REFER with Replaces
 * (RFC 3891, attended transfer) name the other leg's dialog. A device names the dialog it has with the gateway;
 * the call server only knows the dialog the gateway has with it, so the Replaces parameters are translated.
 */
import type { BridgeDialog, DialogBridge } from './dialog-bridge.js';

interface Leg {
  bridge: DialogBridge;
  self: BridgeDialog;
  other: BridgeDialog;
}

export class CallRegistry {
  private readonly legs = new Map<string, Leg>();
  private calls = 0;

  add(bridge: DialogBridge): void {
    this.calls++;
    this.legs.set(bridge.a.sip.callId, { bridge, self: bridge.a, other: bridge.b });
    this.legs.set(bridge.b.sip.callId, { bridge, self: bridge.b, other: bridge.a });
  }

  remove(bridge: DialogBridge): void {
    if (this.legs.get(bridge.a.sip.callId)?.bridge === bridge) {
      this.legs.delete(bridge.a.sip.callId);
      this.calls--;
    }
    this.legs.delete(bridge.b.sip.callId);
  }

  get activeCalls(): number {
    return this.calls;
  }

  /** Every bridged call (for a shutdown that hangs up). */
  bridges(): DialogBridge[] {
    const seen = new Set<DialogBridge>();
    for (const l of this.legs.values()) seen.add(l.bridge);
    return [...seen];
  }

  /**
   * A REFER's headers with Refer-To's `Replaces` pointing at the matching dialog on the other side of the
   * gateway; unchanged when there is none or it names a dialog we do not bridge.
   */
  translateRefer(headers: Record<string, string>): Record<string, string> {
    const name = Object.keys(headers).find((h) => h.toLowerCase() === 'refer-to');
    if (name === undefined) return headers;
    const value = headers[name] as string;
    const rewritten = rewriteReplaces(value, (r) => {
      const leg = this.legs.get(r.callId);
      // The device names the dialog it has with us: our tag is its to-tag, its own tag the from-tag.
      if (leg === undefined || leg.self.sip.localTag !== r.toTag || leg.self.sip.remoteTag !== r.fromTag) return undefined;
      const o = leg.other.sip;
      return { callId: o.callId, toTag: o.remoteTag, fromTag: o.localTag, earlyOnly: r.earlyOnly };
    });
    return rewritten === value ? headers : { ...headers, [name]: rewritten };
  }
}

export interface ReplacesParams {
  callId: string;
  toTag: string;
  fromTag: string;
  earlyOnly: boolean;
}

/** Parses RFC 3891 Replaces text ("callid;to-tag=x;from-tag=y[;early-only]"). */
export function parseReplaces(text: string): ReplacesParams | undefined {
  const [callId, ...params] = text.split(';').map((s) => s.trim());
  if (!callId) return undefined;
  let toTag: string | undefined;
  let fromTag: string | undefined;
  let earlyOnly = false;
  for (const p of params) {
    const [k, v] = p.split('=', 2) as [string, string | undefined];
    const key = k.toLowerCase();
    if (key === 'to-tag') toTag = v;
    else if (key === 'from-tag') fromTag = v;
    else if (key === 'early-only') earlyOnly = true;
  }
  if (toTag === undefined || fromTag === undefined) return undefined;
  return { callId, toTag, fromTag, earlyOnly };
}

export function formatReplaces(r: ReplacesParams): string {
  return `${r.callId};to-tag=${r.toTag};from-tag=${r.fromTag}${r.earlyOnly ? ';early-only' : ''}`;
}

/**
 * Applies `map` to the Replaces header embedded in a Refer-To URI (`<sip:x@y?Replaces=...>`, percent-encoded);
 * returns the Refer-To text with the new value, or the input when there is none or `map` declines.
 */
export function rewriteReplaces(referTo: string, map: (r: ReplacesParams) => ReplacesParams | undefined): string {
  const m = /([?&])replaces=([^&>]*)/i.exec(referTo);
  if (m === null) return referTo;
  let decoded: string;
  try {
    decoded = decodeURIComponent(m[2] as string);
  } catch {
    return referTo;
  }
  const parsed = parseReplaces(decoded);
  if (parsed === undefined) return referTo;
  const mapped = map(parsed);
  if (mapped === undefined) return referTo;
  const encoded = encodeURIComponent(formatReplaces(mapped));
  const start = m.index + (m[1] as string).length;
  return `${referTo.slice(0, start)}Replaces=${encoded}${referTo.slice(start + m[0].length - 1)}`;
}
