/**
 * What call routing (lib/calls) needs from media handling, and nothing more: one CallMedia per bridged call that
 * turns the SDP each leg sends into the SDP the other leg gets. Anchored calls go through rtpengine; bypassed calls
 * pass SDP unchanged. Implementations never leak an rtpengine session: delete() is idempotent and never rejects.
 */

/** One side of a bridged call. */
export interface MediaParty {
  /** 'device': a SIP device on the Internet side; 'callserver': the PBX on the LAN side. */
  side: 'device' | 'callserver';
  /** Device parties: the AOR user part (for media.avpOnlyUsers). */
  user?: string;
  /** Device parties: the address its signalling came from. */
  sourceAddress?: string;
  /** Device parties: true when its Via/Contact address differs from its source address (behind NAT). */
  natted?: boolean;
}

/** Why media could not be set up: callers answer 503 (no rtpengine) or 488 (SDP refused). */
export class MediaUnavailableError extends Error {
  constructor(
    message: string,
    readonly status: 488 | 503,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MediaUnavailableError';
  }
}

/**
 * Media of one call between an offerer leg (A, the caller) and an answerer leg (B). Legs are named by side of the
 * offer/answer exchange that created the call; later re-offers may come from either leg.
 */
export interface CallMedia {
  /** 'anchor': relayed by rtpengine; 'bypass': SDP unchanged. Fixed for the call's life. */
  readonly mode: 'anchor' | 'bypass';
  /** A's offer (initial INVITE body) -> the offer B gets. Rejects with MediaUnavailableError. */
  offer(sdp: string): Promise<string>;
  /** B's answer (183/200 body) -> the answer A gets. `branch` names B's fork (its To tag) when forking. */
  answer(sdp: string, branch?: string): Promise<string>;
  /** An in-dialog offer from leg `from` (re-INVITE, UPDATE) -> the offer the other leg gets. */
  reoffer(from: 'a' | 'b', sdp: string): Promise<string>;
  /** The other leg's answer to a reoffer from `from` -> the answer leg `from` gets. */
  reanswer(from: 'a' | 'b', sdp: string): Promise<string>;
  /** Ends the call's media (rtpengine delete). Idempotent; never rejects (failures are logged and counted). */
  delete(): Promise<void>;
}

export interface MediaService {
  /**
   * Media for one new call. `callId`/`fromTag` are the A leg's (they name the rtpengine session). Decides anchor or
   * bypass from the parties (local networks, NAT, recording) and, for anchoring, picks an rtpengine.
   */
  forCall(callId: string, fromTag: string, a: MediaParty, b: MediaParty | MediaParty[]): CallMedia;
  /** Calls whose media is currently anchored through this node. */
  readonly activeSessions: number;
  close(): Promise<void>;
}
