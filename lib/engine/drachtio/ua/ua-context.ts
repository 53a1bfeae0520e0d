/**
 * What the UAS and UAC halves share: the engine, addresses, dialogs, the registration cache, timers,
 * and small helpers to frame SIP messages for apps (spec 7) and to end a dialog on the engine's own
 * initiative (spec 7.6).
 */
import type { Logger } from 'pino';
import type { SipEngine } from '../../core/sip-engine.js';
import type { SipRequest, SipResponse } from '../../messages/message.js';
import { serializeMessage } from '../../messages/serializer.js';
import type { TransportName } from '../../messages/types.js';
import type { Clock } from '../../timers/clock.js';
import type { ClientTransactionUser } from '../../transactions/transaction-user.js';
import type { AppConnection, AppRouter, LocalAddresses, NextHopResolver } from '../contracts.js';
import { sipFrame } from '../wire/frames.js';
import type { Dialog, DialogStore } from './dialog-store.js';
import { UNSOLICITED } from './dialog-ids.js';
import type { RegistrationCache } from './registration-cache.js';
import { buildInDialogRequest, type Listener } from './uac-requester.js';

export interface UaContext {
  readonly engine: SipEngine;
  readonly local: LocalAddresses;
  readonly resolver: NextHopResolver | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  readonly dialogs: DialogStore;
  readonly registrations: RegistrationCache;
  readonly T1: number;
  readonly T2: number;
  readonly preserve: readonly string[] | undefined;
  /** How long after a dialog is confirmed its in-dialog requests are held back from the app (deliverSettled). */
  readonly settleMs: number;
  /** Where CDRs go (spec 10): both halves emit them, so the router is shared rather than UAS-only. */
  readonly router: AppRouter;
}

export function listenerFor(local: LocalAddresses, transport: TransportName): Listener | undefined {
  const l = local.listener(transport);
  return l === undefined ? undefined : { transport, host: l.host, port: l.port };
}

export interface Peer {
  transport: string;
  address: string;
  port: number;
}

/** spec 7.1: one `sip` frame carrying `msg` as it is on the wire. */
export function deliver(
  conn: AppConnection,
  msg: SipRequest | SipResponse,
  peer: Peer,
  transactionId: string,
  dialogId: string,
  receivedOn?: { host: string; port: number },
  source: 'network' | 'application' = 'network',
): void {
  const wire = serializeMessage(msg);
  conn.sendFrame(
    sipFrame({
      source,
      bytes: wire.length,
      transport: peer.transport,
      address: peer.address,
      port: peer.port,
      transactionId,
      dialogId,
      receivedOn,
      raw: wire.toString('utf8'),
    }),
  );
}

/** Marks `d` as just confirmed: requests arriving in the next `settleMs` are held back by deliverSettled. */
export function startSettling(ctx: UaContext, d: Dialog): void {
  if (ctx.settleMs > 0) d.settleUntil = ctx.clock.now() + ctx.settleMs;
}

/**
 * Delivers an in-dialog network request to the app, but not within `settleMs` of the dialog's confirmation.
 * Why: srf only learns of a dialog from the 2xx echo (UAS) or the 2xx frame (UAC), and apps attach their
 * 'destroy' listeners several promise hops later (createB2BUA resolves only after both legs are up). When a
 * peer hangs up at once, its BYE frame can reach srf in the same socket read as that echo; srf then handles
 * the BYE synchronously, emits 'destroy' to nobody, and the app never ends the other leg, which then stays in
 * the engine (and up at the far end) for good. Holding such requests briefly puts them in a later read, after
 * srf's promise chain has run. Order among held requests is kept; the store bookkeeping (e.g. removal on
 * BYE, spec 11.4) is not delayed, only the frame.
 */
export function deliverSettled(ctx: UaContext, d: Dialog, send: () => void): void {
  if (d.held !== undefined) {
    d.held.push(send);
    return;
  }
  const until = d.settleUntil;
  const wait = until === undefined ? 0 : until - ctx.clock.now();
  if (wait <= 0) {
    d.settleUntil = undefined;
    send();
    return;
  }
  const held = [send];
  d.held = held;
  d.settleTimer = ctx.clock.setTimer(wait, () => {
    d.held = undefined;
    d.settleTimer = undefined;
    d.settleUntil = undefined;
    for (const f of held) f();
  });
}

/** Requests the engine sends on its own (BYEs): nobody waits for their responses. */
export const ignoreResponses: ClientTransactionUser = {
  onResponse() {},
  onTimeout() {},
  onTransportError() {},
};

/**
 * spec 7.6 / 12.5 / 11.5: send BYE with `Reason: SIP ;cause=200 ;text="<text>"`, tell the owning app
 * with the unsolicited-BYE frame, and drop the dialog.
 */
export function endDialogUnsolicited(ctx: UaContext, d: Dialog, text: string): void {
  ctx.dialogs.remove(d);
  const l = listenerFor(ctx.local, d.target.transport);
  if (l === undefined) return;
  const bye = buildInDialogRequest(
    d,
    'BYE',
    ++d.localCseq,
    { headers: [{ name: 'Reason', value: 'SIP ;cause=200 ;text="' + text + '"' }], body: Buffer.alloc(0) },
    l,
  );
  if ('error' in bye) return;
  try {
    ctx.engine.sendRequest(bye, d.target, ignoreResponses);
  } catch (err) {
    ctx.log.debug({ err, dialogId: d.id }, 'could not send BYE');
  }
  deliver(d.owner, bye, { transport: d.target.transport, address: d.target.host, port: d.target.port }, UNSOLICITED, d.id, undefined, 'application');
}
