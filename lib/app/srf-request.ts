/**
 * An out-of-dialog request sent through drachtio-srf, resolved with its final response. srf's callback form is
 * used on purpose: its promise form hands the sent request over one microtask late, and a response that arrives
 * in the same socket read as the request's echo (common on loopback, under load) was then emitted before a
 * 'response' listener existed and was lost: the request looked unanswered.
 */
import type Srf from 'drachtio-srf';

/** What the gateway reads of a final response. */
export interface FinalResponse {
  status: number;
  reason: string;
  headers: Record<string, string>;
  body?: string;
  get(name: string): string;
}

interface SentRequest {
  on(event: 'response', cb: (res: FinalResponse) => void): void;
}

type RequestWithCallback = (uri: string, opts: object, cb: (err: unknown, req: SentRequest) => void) => unknown;

/** Rejects when srf cannot send the request (no transport, engine refused it); 1xx responses are skipped. */
export function requestFinalResponse(srf: Srf, uri: string, opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<FinalResponse> {
  return new Promise((resolve, reject) => {
    (srf.request as unknown as RequestWithCallback).call(srf, uri, opts, (err, req) => {
      if (err) {
        reject(err);
        return;
      }
      req.on('response', (res) => {
        if (res.status >= 200) resolve(res);
      });
    });
  });
}
