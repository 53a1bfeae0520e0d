import type { SipRequest, SipResponse } from '../messages/message.js';
import type { Flow, SendTarget } from '../transport/types.js';

/**
 * How transactions hand messages to the transport (RFC 3261 18). A throw or a
 * rejected promise is a transport error (RFC 3261 17.1.4 / 17.2.4).
 */
export interface MessageSender {
  send(msg: SipRequest | SipResponse, target: SendTarget | Flow): void | Promise<unknown>;
  /** Retransmit bytes already serialized (same error semantics as send). */
  sendBytes(bytes: Buffer, target: SendTarget | Flow): void | Promise<unknown>;
}
