/**
 * drachtio-srf registers a handler per SIP method with `srf.<method>(fn)` (which also sends `route|<method>` to the
 * server), but its bundled types declare only `invite`. This names the rest, typed, in one place.
 */
import type Srf from 'drachtio-srf';

export type RequestHandler = (req: Srf.SrfRequest, res: Srf.SrfResponse) => void;

export interface SrfMethodRouting {
  invite(handler: RequestHandler): void;
  register(handler: RequestHandler): void;
  options(handler: RequestHandler): void;
  message(handler: RequestHandler): void;
  subscribe(handler: RequestHandler): void;
  publish(handler: RequestHandler): void;
  notify(handler: RequestHandler): void;
  info(handler: RequestHandler): void;
  refer(handler: RequestHandler): void;
}

/** The same Srf object, seen through its method-handler API (present at run time on every Srf). */
export function methodRouting(srf: Srf): SrfMethodRouting {
  return srf as unknown as SrfMethodRouting;
}
