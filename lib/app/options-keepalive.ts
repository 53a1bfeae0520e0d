/**
 * OPTIONS outside a dialog are keep-alive probes (load balancers, phones, peers): answer 200 so they see us "up".
 * In-dialog OPTIONS never reach here; srf hands those to the dialog.
 */
import type Srf from 'drachtio-srf';
import { methodRouting } from './srf-routing.js';

export function answerOptionsProbes(srf: Srf): void {
  methodRouting(srf).options((_req, res) => {
    res.send(200);
  });
}
