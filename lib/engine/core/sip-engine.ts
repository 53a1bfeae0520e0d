/**
 * The engine's core: wires transports (RFC 3261 18) to the transaction layer
 * (RFC 3261 17) and exposes a small typed API to its one user, the layer
 * above (the drachtio wire-protocol server, or a test transaction user).
 *
 * It also answers what no user should have to: 400/505 to malformed requests
 * (RFC 3261 8.2 / RFC 4475) and 503 + Retry-After when overloaded.
 */
import { pino, type Logger } from 'pino';
import type { SipRequest, SipResponse } from '../messages/message.js';
import type { ParseFailure } from '../messages/types.js';
import { createResponse } from '../messages/response-factory.js';
import { noopMetrics, type EngineMetrics } from '../observability.js';
import { systemClock, type Clock } from '../timers/clock.js';
import {
  TransactionLayer,
  type ClientTransaction,
  type ClientTransactionUser,
  type ServerTransaction,
  type TimerConfig,
} from '../transactions/index.js';
import { TransportLayer } from '../transport/transport-layer.js';
import type { TransportConfig } from '../transport/transport-config.js';
import type { ConnectionCloseReason, ConnectionInfo, Flow, SendTarget } from '../transport/types.js';
import { transportSender } from './transport-sender.js';
import { OverloadGuard, type OverloadOptions } from './overload-guard.js';

/** What the layer above the engine implements. */
export interface EngineUser {
  /** A new server transaction (a request that is not a retransmission). The user must respond. */
  onRequest(txn: ServerTransaction): void;
  /** An ACK for a 2xx (matches no transaction; RFC 3261 13.2.2.4 / 17.2.3). */
  onAck(ack: SipRequest, flow: Flow): void;
  /** A response that matched no client transaction (2xx retransmission, RFC 6026 7.2). */
  onStrayResponse(res: SipResponse, flow: Flow): void;
  onConnectionOpen?(info: ConnectionInfo): void;
  onConnectionClose?(info: ConnectionInfo, reason: ConnectionCloseReason): void;
}

export interface SipEngineOptions {
  transport: TransportConfig;
  timers?: Partial<TimerConfig>;
  overload: OverloadOptions;
  logger?: Logger;
  metrics?: EngineMetrics;
  clock?: Clock;
}

/** Until a user attaches, every request is refused the way a drachtio server without apps does. */
const noUser: EngineUser = {
  onRequest(txn) {
    if (txn.request.method !== 'ACK') txn.respond(createResponse(txn.request, 503, 'No Application Available'));
  },
  onAck() {},
  onStrayResponse() {},
};

/**
 * Only new work is shed (RFC 6357 section 5): ACK and CANCEL finish a transaction already admitted, and an
 * in-dialog request (To tag) ends or changes a call already admitted; refusing a BYE would leave it hanging.
 */
function mayShed(req: SipRequest): boolean {
  const m = req.method;
  return m !== 'ACK' && m !== 'CANCEL' && req.to.tag === undefined;
}

export class SipEngine {
  readonly transport: TransportLayer;
  readonly transactions: TransactionLayer;
  private readonly log: Logger;
  private readonly metrics: EngineMetrics;
  private readonly overload: OverloadGuard;
  private user: EngineUser = noUser;

  constructor(options: SipEngineOptions) {
    const clock = options.clock ?? systemClock;
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'engine' });
    this.metrics = options.metrics ?? noopMetrics;
    this.overload = new OverloadGuard(options.overload, clock);
    this.transport = new TransportLayer(options.transport, { logger: this.log, metrics: this.metrics, clock });
    this.transactions = new TransactionLayer({
      sender: transportSender(this.transport),
      clock,
      logger: this.log,
      metrics: this.metrics,
      timers: options.timers,
      user: {
        onRequest: (txn) => this.dispatchRequest(txn),
        onAck: (ack, flow) => this.user.onAck(ack, flow),
        onStrayResponse: (res, flow) => this.user.onStrayResponse(res, flow),
      },
    });
    this.transport.on('message', (msg, flow) => {
      if (msg.kind === 'response') this.transactions.receiveResponse(msg, flow);
      else if (flow.transport === 'udp' || !this.refuseStatelessly(msg, flow)) this.transactions.receiveRequest(msg, flow);
    });
    this.transport.on('invalid', (failure, flow) => this.answerInvalid(failure, flow));
    this.transport.on('connection:open', (info) => this.user.onConnectionOpen?.(info));
    this.transport.on('connection:close', (info, reason) => this.user.onConnectionClose?.(info, reason));
  }

  /** Attach the transaction user (one at a time). */
  setUser(user: EngineUser): void {
    this.user = user;
  }

  async start(): Promise<void> {
    await this.transport.start();
    this.overload.start();
    this.log.info({ listening: this.transport.listening }, 'SIP engine started');
  }

  async stop(): Promise<void> {
    this.overload.stop();
    this.transactions.close();
    await this.transport.stop();
    this.log.info('SIP engine stopped');
  }

  /** Start a client transaction (RFC 3261 17.1). The caller has built the request, top Via included. */
  sendRequest(req: SipRequest, target: SendTarget, user: ClientTransactionUser): ClientTransaction {
    return this.transactions.sendRequest(req, target, user);
  }

  /** Send outside any transaction: ACK for 2xx, 2xx retransmissions, stateless responses. */
  sendStateless(msg: SipRequest | SipResponse, target: SendTarget | Flow): Promise<Flow> {
    return this.transport.send(msg, target);
  }

  get eventLoopLagMs(): number {
    return this.overload.eventLoopLagMs;
  }

  /**
   * Over TCP/TLS there are no retransmissions to absorb, so while shedding a
   * refused request needs no transaction at all: answer 503 and forget it,
   * the cheapest way through an overload (RFC 3261 21.5.4, 17.2.2 J = 0).
   */
  private refuseStatelessly(req: SipRequest, flow: Flow): boolean {
    if (!mayShed(req) || !this.overload.shouldRefuse(this.transactions.pendingServerTransactions + 1)) return false;
    this.metrics.overloadRejected(req.method);
    this.transport.sendNow(this.overloadResponse(req), flow);
    return true;
  }

  private overloadResponse(req: SipRequest): SipResponse {
    return createResponse(req, 503, 'Service Unavailable', {
      headers: [{ name: 'Retry-After', value: String(this.overload.retryAfterS) }],
    });
  }

  private dispatchRequest(txn: ServerTransaction): void {
    const req = txn.request;
    // Streams were decided statelessly (refuseStatelessly).
    if (
      txn.flow.transport === 'udp' &&
      mayShed(req) &&
      this.overload.shouldRefuse(this.transactions.pendingServerTransactions)
    ) {
      this.metrics.overloadRejected(req.method);
      txn.respond(this.overloadResponse(req));
      return;
    }
    try {
      this.user.onRequest(txn);
    } catch (err) {
      // A user bug must not leave the client waiting for Timer F/H.
      this.log.error({ err, callId: req.get('call-id') }, 'transaction user failed on a request');
      if (!txn.hasFinalResponse) txn.respond(createResponse(req, 500, 'Server Internal Error'));
    }
  }

  /** RFC 3261 8.2 / 21.4.1: answer what can be answered, statelessly; the rest was dropped and counted by the transport. */
  private answerInvalid(failure: ParseFailure, flow: Flow): void {
    const req = failure.answerable;
    if (!req || req.method === 'ACK') return;
    if (this.log.isLevelEnabled('debug')) {
      this.log.debug({ callId: req.get('call-id'), reason: failure.reason, remote: flow.remoteAddress }, 'malformed request answered');
    }
    const res = createResponse(req, failure.status, failure.reason);
    this.transport.send(res, flow).catch((err: Error) => {
      this.log.debug({ err: err.message }, 'could not answer a malformed request');
    });
  }
}
