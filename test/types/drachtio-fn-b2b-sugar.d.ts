// Minimal types for the parts of drachtio-fn-b2b-sugar (plain JS) the tests use.
declare module 'drachtio-fn-b2b-sugar' {
  import type Srf from 'drachtio-srf';
  export interface SimringOptions {
    localSdpA?: string;
    localSdpB?: string;
    headers?: Record<string, string>;
    /** Seconds each leg may ring. */
    timeout?: number;
  }
  export function simring(
    req: Srf.SrfRequest,
    res: Srf.SrfResponse,
    uriList: string[],
    opts?: SimringOptions,
  ): Promise<{ uas: Srf.Dialog; uac: Srf.Dialog }>;
}
