/**
 * Adapts the transport layer to the transaction layer's MessageSender
 * without a Promise per message: the synchronous path (an open connection,
 * UDP) returns nothing; only a send that has to wait for a connect returns a
 * promise, which rejects if the connect or write fails (RFC 3261 17.1.4 /
 * 17.2.4) and otherwise never settles (nobody waits for success).
 */
import type { SipRequest, SipResponse } from '../messages/message.js';
import type { MessageSender } from '../transactions/message-sender.js';
import type { TransportLayer } from '../transport/transport-layer.js';
import type { Flow, SendTarget } from '../transport/types.js';

export function transportSender(transport: TransportLayer): MessageSender {
  const send = (msg: SipRequest | SipResponse | Buffer, target: SendTarget | Flow): void | Promise<unknown> => {
    let failed: Error | undefined;
    let reject: ((err: Error) => void) | undefined;
    const flow = transport.sendNow(msg, target, (err) => {
      if (reject !== undefined) reject(err);
      else failed ??= err;
    });
    if (failed !== undefined) throw failed;
    if (flow !== undefined) return undefined;
    return new Promise<never>((_resolve, rej) => {
      reject = rej;
    });
  };
  return { send, sendBytes: send };
}
