// Types for the parts of drachtio-fn-b2b-sugar (plain JS, no bundled types) that sipedge uses.
declare module 'drachtio-fn-b2b-sugar' {
  import type Srf from 'drachtio-srf';
  export interface SimringOptions {
    localSdpA?: string | ((sdp: string, res: Srf.SrfResponse) => string | Promise<string>);
    localSdpB?: string;
    headers?: Record<string, string>;
    /** Seconds each leg may ring. */
    timeout?: number;
  }
  export interface SimringNotifiers {
    cbRequest?: (err: unknown, req: Srf.SrfRequest) => void;
    cbProvisional?: (res: Srf.SrfResponse) => void;
  }
  export function simring(
    req: Srf.SrfRequest,
    res: Srf.SrfResponse,
    uriList: string[],
    opts?: SimringOptions,
    notifiers?: SimringNotifiers,
  ): Promise<{ uas: Srf.Dialog; uac: Srf.Dialog }>;
}
