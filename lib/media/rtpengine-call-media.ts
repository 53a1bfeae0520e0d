/**
 * CallMedia for an anchored call: one rtpengine session named by the A leg's Call-ID, A tagged with its From tag
 * and B with a tag derived from it (or the fork's tag given to answer()). The call sticks to the instance picked
 * at its first offer (if that instance is unreachable the offer moves to the next live one, cleaning up behind it);
 * the session is counted once and uncounted at delete(). Operations run one after another; after delete() nothing
 * new is sent. A device leg that itself sent RTP/SAVP is re-offered RTP/SAVP (not OSRTP). Errors become MediaUnavailableError: 503 when rtpengine is unreachable or lost the call, 488 when it
 * refuses the SDP.
 */
import type { Logger } from 'pino';
import { MediaUnavailableError, type CallMedia, type MediaParty } from './media-contract.js';
import { answerFlags, offerFlags, type NgFlagsConfig, type NgParams } from './ng-flags.js';
import { usesSavp } from './sdp-facts.js';
import { NgCommandError, type RtpengineInstance, type RtpenginePool } from './rtpengine-pool.js';

/** Tries of a delete before its session is left to rtpengine's own timeout. */
const DELETE_ATTEMPTS = 3;

export interface RtpengineCallMediaOptions {
  pool: RtpenginePool;
  flags: NgFlagsConfig;
  callId: string;
  fromTag: string;
  a: readonly MediaParty[];
  b: readonly MediaParty[];
  logger?: Logger;
  /** Called once the session is gone (or given up on); the service uses it for its own bookkeeping. */
  onDeleted?: () => void;
}

/** The tag rtpengine knows leg B by when no fork tag is given. */
export function bTagFor(fromTag: string): string {
  return `${fromTag}-sipedge-b`;
}

function toMediaError(err: unknown, what: string): MediaUnavailableError {
  if (err instanceof MediaUnavailableError) return err;
  if (err instanceof NgCommandError) {
    // An rtpengine that no longer knows the call (restarted, or it expired) cannot relay it: unavailable, not 488.
    const lost = /unknown call|not found/i.test(err.reason);
    const status = err.kind === 'refused' && !lost ? 488 : 503;
    return new MediaUnavailableError(`${what}: ${err.message}`, status, { cause: err });
  }
  return new MediaUnavailableError(`${what}: ${err instanceof Error ? err.message : String(err)}`, 503, { cause: err });
}

export function createRtpengineCallMedia(o: RtpengineCallMediaOptions): CallMedia {
  const aTag = o.fromTag;
  let bTag = bTagFor(o.fromTag);
  let instance: RtpengineInstance | undefined;
  let deleted = false;
  let deletion: Promise<void> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  // Whether each leg's own latest SDP used RTP/SAVP: re-offers toward a device keep it on SAVP.
  const savp = { a: false, b: false };
  const saw = (leg: 'a' | 'b', sdp: string): void => {
    savp[leg] = usesSavp(sdp);
  };

  /** Runs `op` after every earlier operation of this call has settled. */
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const run = queue.then(op, op);
    queue = run.catch(() => undefined);
    return run;
  };

  const sdpOf = (reply: { sdp?: string }, what: string): string => {
    if (typeof reply.sdp !== 'string') throw new MediaUnavailableError(`${what}: rtpengine reply without SDP`, 503);
    return reply.sdp;
  };

  const send = async (command: 'offer' | 'answer', params: NgParams, what: string): Promise<string> => {
    if (deleted) throw new MediaUnavailableError(`${what}: call media already deleted`, 503);
    if (!instance) throw new MediaUnavailableError(`${what}: no offer was made for this call`, 503);
    try {
      return sdpOf(await o.pool.command(instance, command, { ...params, 'call-id': o.callId }), what);
    } catch (err) {
      throw toMediaError(err, what);
    }
  };

  /** Best-effort removal of a session that never got counted (failed first offer). */
  const discard = async (on: RtpengineInstance): Promise<void> => {
    try {
      // The offer may have been carried out and only its reply lost: this delete must not be lost too.
      await o.pool.command(on, 'delete', { 'call-id': o.callId, 'delete-delay': 0 }).catch(() =>
        o.pool.command(on, 'delete', { 'call-id': o.callId, 'delete-delay': 0 }),
      );
    } catch (err) {
      // Not found is the normal outcome here; anything else is worth a line.
      o.logger?.debug({ callId: o.callId, rtpengine: on.name, err: (err as Error).message }, 'cleanup after failed offer');
    }
  };

  const firstOffer = async (sdp: string): Promise<string> => {
    const params = { ...offerFlags(o.flags, o.a, o.b, savp.b), sdp, 'call-id': o.callId, 'from-tag': aTag };
    const tried = new Set<RtpengineInstance>();
    for (;;) {
      const candidate = o.pool.pick(tried);
      tried.add(candidate);
      try {
        const out = sdpOf(await o.pool.command(candidate, 'offer', params), 'offer');
        instance = candidate;
        o.pool.sessionOpened(candidate);
        return out;
      } catch (err) {
        await discard(candidate);
        const mediaErr = toMediaError(err, 'offer');
        // Only an unreachable instance is worth another try elsewhere.
        if (!(err instanceof NgCommandError && err.kind === 'unreachable')) throw mediaErr;
        o.logger?.warn({ callId: o.callId, rtpengine: candidate.name, err: mediaErr.message }, 'offer failed, trying another rtpengine');
      }
    }
  };

  const legs = (from: 'a' | 'b') =>
    from === 'a'
      ? { fromTag: aTag, toTag: bTag, sender: o.a, receiver: o.b, to: 'b' as const }
      : { fromTag: bTag, toTag: aTag, sender: o.b, receiver: o.a, to: 'a' as const };

  const media: CallMedia = {
    mode: 'anchor',
    offer(sdp) {
      return serial(async () => {
        if (deleted) throw new MediaUnavailableError('offer: call media already deleted', 503);
        saw('a', sdp);
        if (instance) {
          // The same A offer again (e.g. sent on to another call server): a re-offer on the same session.
          return send('offer', { ...offerFlags(o.flags, o.a, o.b, savp.b), sdp, 'from-tag': aTag }, 'offer');
        }
        return firstOffer(sdp);
      });
    },
    answer(sdp, branch) {
      return serial(() => {
        if (branch !== undefined && branch !== '') bTag = branch;
        saw('b', sdp);
        return send('answer', { ...answerFlags(o.flags), sdp, 'from-tag': aTag, 'to-tag': bTag }, 'answer');
      });
    },
    reoffer(from, sdp) {
      return serial(() => {
        const l = legs(from);
        saw(from, sdp);
        return send(
          'offer',
          { ...offerFlags(o.flags, l.sender, l.receiver, savp[l.to]), sdp, 'from-tag': l.fromTag, 'to-tag': l.toTag },
          `reoffer from ${from}`,
        );
      });
    },
    reanswer(from, sdp) {
      return serial(() => {
        const l = legs(from);
        saw(l.to, sdp);
        return send('answer', { ...answerFlags(o.flags), sdp, 'from-tag': l.fromTag, 'to-tag': l.toTag }, `reanswer to ${from}`);
      });
    },
    delete() {
      deletion ??= serial(async () => {
        deleted = true;
        const on = instance;
        instance = undefined;
        if (!on) {
          o.onDeleted?.();
          return;
        }
        try {
          // A delete lost on the way (or answered too late) would leave the session until rtpengine's own media
          // timeout: try again before giving up. A repeated delete of a gone call is harmless ("ok" + warning).
          for (let attempt = 1; ; attempt++) {
            try {
              const reply = await o.pool.command(on, 'delete', { 'call-id': o.callId, 'delete-delay': 0 });
              if (typeof reply.warning === 'string') o.logger?.debug({ callId: o.callId, warning: reply.warning }, 'rtpengine delete');
              break;
            } catch (err) {
              if (attempt >= DELETE_ATTEMPTS || (err as NgCommandError).kind !== 'unreachable') throw err;
            }
          }
        } catch (err) {
          o.logger?.warn({ callId: o.callId, rtpengine: on.name, err: (err as Error).message }, 'rtpengine delete failed');
        } finally {
          o.pool.sessionClosed(on);
          o.onDeleted?.();
        }
      }).catch(() => undefined);
      return deletion;
    },
  };
  return media;
}
