/**
 * OPTIONS outside a dialog are keep-alive probes (load balancers, phones, peers): answer 200 so they see us "up".
 * In-dialog OPTIONS never reach here; srf hands those to the dialog.
 */
import type Srf from 'drachtio-srf';
import type { AllowedUriNames } from '../registrar/allowed-names.js';
import { methodRouting } from './srf-routing.js';

/** Probes need no authentication (they must stay cheap), but a host that is not one of ours gets 404. */
export function answerOptionsProbes(srf: Srf, foreign?: { allowed: AllowedUriNames; status: number }): void {
  methodRouting(srf).options((req, res) => {
    if (foreign !== undefined && !foreign.allowed.allows(req.uri)) res.send(foreign.status, foreign.status === 403 ? 'Forbidden' : 'Not Found', {});
    else res.send(200);
  });
}
