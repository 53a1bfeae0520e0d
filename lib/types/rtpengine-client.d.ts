// Why: rtpengine-client ships no types; only the part sipedge uses (the UDP ng Client) is declared here.
declare module 'rtpengine-client' {
  import type { EventEmitter } from 'node:events';

  export interface NgDestination {
    host: string;
    port: number;
  }

  /** A decoded ng reply: `result` is 'ok' (or 'pong' for ping), else 'error' with 'error-reason'. */
  export interface NgReply {
    result?: string;
    'error-reason'?: string;
    warning?: string;
    sdp?: string;
    [key: string]: unknown;
  }

  export interface ClientOptions {
    /** Per-command timeout in ms (the promise rejects after it). */
    timeout?: number;
    localPort?: number;
    localAddress?: string;
    rejectOnError?: boolean;
  }

  export class Client extends EventEmitter {
    constructor(opts?: ClientOptions);
    ping(dest: NgDestination, params?: Record<string, unknown>): Promise<NgReply>;
    offer(dest: NgDestination, params: Record<string, unknown>): Promise<NgReply>;
    answer(dest: NgDestination, params: Record<string, unknown>): Promise<NgReply>;
    delete(dest: NgDestination, params: Record<string, unknown>): Promise<NgReply>;
    list(dest: NgDestination, params?: Record<string, unknown>): Promise<NgReply>;
    query(dest: NgDestination, params: Record<string, unknown>): Promise<NgReply>;
    close(): void;
  }

  const rtpengineClient: { Client: typeof Client };
  export default rtpengineClient;
}
