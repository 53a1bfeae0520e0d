// Calls placed and taken by a test device (the stream client of gateway.ts) through the gateway: INVITE with a
// proxy digest round, ACK, BYE, and answering the gateway's INVITEs. Just enough UA for the call tests.
import { authorizationFor, challengesOf, type Device } from './gateway.js';
import { buildRequest, buildResponse, headerValue, newBranch, randomToken, type HeaderList, type SipRequest, type SipResponse } from './sip-message.js';

/** An SDP offer as a softphone sends it; `srtp` adds RTP/SAVP with an SDES key (RFC 4568). */
export function deviceSdp(port: number, srtp: boolean, address = '127.0.0.1'): string {
  const lines = [
    'v=0',
    `o=device ${port} 1 IN IP4 ${address}`,
    's=-',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=audio ${port} ${srtp ? 'RTP/SAVP' : 'RTP/AVP'} 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
  ];
  if (srtp) lines.push('a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz');
  lines.push('a=sendrecv');
  return `${lines.join('\r\n')}\r\n`;
}

export interface DeviceCall {
  final: SipResponse;
  provisional: SipResponse[];
  callId: string;
  fromTag: string;
  toTag?: string;
  /** The remote target (Contact of the 2xx) for ACK/BYE. */
  target?: string;
  cseq: number;
  uri: string;
}

/** INVITE `uri` from `device`; answers a 407 with `password` (MD5). Resolves on the final response. */
export async function placeCall(
  device: Device,
  o: { uri: string; password?: string; sdp?: string; headers?: HeaderList; timeoutMs?: number; cancelAfterMs?: number },
): Promise<DeviceCall> {
  const callId = `${randomToken()}@device-call`;
  const fromTag = randomToken(4);
  let cseq = 1;
  let branch = '';
  const send = (extra: HeaderList) => {
    branch = newBranch();
    return device.client.request(
      (ctx) =>
        buildRequest({
          branch,
          method: 'INVITE',
          ...dialogFields(device, { callId, fromTag, uri: o.uri }),
          transport: ctx.transport,
          sentBy: ctx.sentBy,
          cseq,
          contact: `<${device.contactUri}>`,
          headers: [...(o.headers ?? []), ...extra],
          ...(o.sdp === undefined ? {} : { body: o.sdp }),
        }),
      { timeoutMs: o.timeoutMs ?? 15_000 },
    );
  };
  let res = await send([]);
  if (res.status === 407 && o.password !== undefined) {
    await ack(device, { callId, fromTag, toTag: toTagOf(res), cseq, uri: o.uri, target: o.uri, branch });
    const c = challengesOf(res).find((x) => x.algorithm.toUpperCase() === 'MD5');
    if (c === undefined) throw new Error('no MD5 proxy challenge');
    cseq++;
    const pending = send([['Proxy-Authorization', authorizationFor(c, device.user, o.password, 'INVITE', o.uri)]]);
    if (o.cancelAfterMs !== undefined) {
      const invBranch = branch;
      const invCseq = cseq;
      setTimeout(() => {
        void device.client
          .request((ctx) =>
            buildRequest({
              branch: invBranch,
              method: 'CANCEL',
              ...dialogFields(device, { callId, fromTag, uri: o.uri }),
              transport: ctx.transport,
              sentBy: ctx.sentBy,
              cseq: invCseq,
            }),
          )
          .catch(() => undefined);
      }, o.cancelAfterMs);
    }
    res = await pending;
  }
  const call: DeviceCall = { final: res, provisional: res.provisional, callId, fromTag, toTag: toTagOf(res), cseq, uri: o.uri };
  const contact = headerValue(res, 'contact');
  if (contact !== undefined) call.target = /<([^>]+)>/.exec(contact)?.[1] ?? contact;
  if (res.status >= 300) await ack(device, { ...call, target: o.uri, branch });
  return call;
}

function toTagOf(res: SipResponse): string | undefined {
  return /;\s*tag=([^;>\s]+)/i.exec(headerValue(res, 'to') ?? '')?.[1];
}

/** The dialog's identity fields of a request on call `c` (remote target, From/To with tags, Call-ID). */
function dialogFields(device: Device, c: { callId: string; fromTag: string; toTag?: string; uri: string; target?: string }) {
  return {
    uri: c.target ?? c.uri,
    from: `<sip:${device.user}@${device.host}>`,
    fromTag: c.fromTag,
    to: `<${c.uri}>`,
    ...(c.toTag === undefined ? {} : { toTag: c.toTag }),
    callId: c.callId,
  };
}

/** ACK: for a 2xx a new transaction to the remote target; for a failure the INVITE's branch (RFC 3261 17.1.1.3). */
export async function ack(
  device: Device,
  c: { callId: string; fromTag: string; toTag?: string; cseq: number; uri: string; target?: string; branch?: string },
): Promise<void> {
  const ctx = device.client.context;
  device.client.sendRaw(
    buildRequest({
      ...(c.branch === undefined ? {} : { branch: c.branch }),
      method: 'ACK',
      ...dialogFields(device, c),
      transport: ctx.transport,
      sentBy: ctx.sentBy,
      cseq: c.cseq,
    }),
  );
}

/** An in-dialog request (BYE, INFO, re-INVITE ...) on a call the device placed. */
export function inDialog(device: Device, c: DeviceCall, method: string, o: { headers?: HeaderList; body?: string; contentType?: string } = {}): Promise<SipResponse> {
  c.cseq++;
  return device.client.request((ctx) =>
    buildRequest({
      method,
      ...dialogFields(device, c),
      transport: ctx.transport,
      sentBy: ctx.sentBy,
      cseq: c.cseq,
      contact: `<${device.contactUri}>`,
      ...(o.headers === undefined ? {} : { headers: o.headers }),
      ...(o.body === undefined ? {} : { body: o.body }),
      ...(o.contentType === undefined ? {} : { contentType: o.contentType }),
    }),
  );
}

export interface IncomingCall {
  invite: SipRequest;
  toTag: string;
}

/**
 * Makes `device` take calls: each INVITE gets 180 (183 with `sdp` as early media when `earlyMedia`) and then, after `answerAfterMs`, 200 with `sdp` (or it keeps
 * ringing when `answer` is false, and answers a CANCEL with 200 + 487). BYE and other in-dialog requests get 200.
 * Resolves the returned list as calls arrive.
 */
export function takeCalls(device: Device, o: { answer: boolean; sdp: string; answerAfterMs?: number; earlyMedia?: boolean }): { calls: IncomingCall[]; cancelled: SipRequest[]; byes: SipRequest[] } {
  const seen = { calls: [] as IncomingCall[], cancelled: [] as SipRequest[], byes: [] as SipRequest[] };
  const pending = new Map<string, { invite: SipRequest; toTag: string }>();
  device.client.onRequest((req, reply) => {
    const callId = headerValue(req, 'call-id') ?? '';
    if (req.method === 'INVITE' && !/;\s*tag=/i.test(headerValue(req, 'to') ?? '')) {
      const toTag = randomToken(4);
      const call = { invite: req, toTag };
      seen.calls.push(call);
      pending.set(callId, call);
      if (o.earlyMedia) reply(183, 'Session Progress', { toTag, body: o.sdp, headers: [['Contact', `<${device.contactUri}>`]] });
      else reply(180, 'Ringing', { toTag });
      if (o.answer) {
        setTimeout(() => {
          if (!pending.delete(callId)) return;
          reply(200, 'OK', { toTag, body: o.sdp, headers: [['Contact', `<${device.contactUri}>`]] });
        }, o.answerAfterMs ?? 50);
      }
      return;
    }
    if (req.method === 'CANCEL') {
      const call = pending.get(callId);
      pending.delete(callId);
      seen.cancelled.push(req);
      reply(200, 'OK', {});
      if (call !== undefined) device.client.sendRaw(buildResponse(call.invite, 487, 'Request Terminated', { toTag: call.toTag }));
      return;
    }
    if (req.method === 'ACK') return;
    if (req.method === 'BYE') seen.byes.push(req);
    const body = req.method === 'INVITE' ? o.sdp : undefined;
    reply(200, 'OK', body === undefined ? {} : { body, headers: [['Contact', `<${device.contactUri}>`]] });
  });
  return seen;
}
