/**
 * The gateway's routing entry point for every out-of-dialog request except REGISTER and OPTIONS: a request from a
 * call server (a trusted source) goes to devices; anything else comes from a device, is admitted (allowed URI
 * name, digest) and goes to the call server. In-dialog requests never come here (srf gives them to the dialog).
 */
import type Srf from 'drachtio-srf';
import type { RequestAdmission } from '../registrar/request-admission.js';
import { routeCallServerInvite, routeCallServerRequest } from './callserver-calls.js';
import { failCall, routeDeviceInvite, routeDeviceRequest } from './device-calls.js';
import type { RoutingContext } from './routing-context.js';
import type { TrustedSources } from './trusted-sources.js';

export class CallRouter {
  constructor(
    private readonly ctx: RoutingContext,
    private readonly trusted: TrustedSources,
    private readonly admission: RequestAdmission,
  ) {}

  /** Bound handler for srf.invite / srf.subscribe / ... */
  readonly handle = (req: Srf.SrfRequest, res: Srf.SrfResponse): void => {
    void this.route(req, res).catch((err: unknown) => failCall(this.ctx, res, err));
  };

  /** The listening points the drachtio server advertised once connected (for the Contact toward TLS devices). */
  setListeningPoints(hostports: readonly string[]): void {
    this.ctx.contacts.setListeningPoints(hostports);
  }

  get activeCalls(): number {
    return this.ctx.calls.activeCalls;
  }

  /** Hangs up every bridged call (node shutdown): both legs get a BYE, media is deleted. */
  hangUpAll(why: string): number {
    const bridges = this.ctx.calls.bridges();
    for (const b of bridges) b.hangUp(why);
    return bridges.length;
  }

  private async route(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    if (this.trusted.has(req.source_address, req.source_port)) {
      if (!this.ctx.allowed.allows(req.uri)) {
        res.send(404, 'Not Found', {});
        return;
      }
      if (req.method === 'INVITE') await routeCallServerInvite(this.ctx, req, res);
      else await routeCallServerRequest(this.ctx, req, res);
      return;
    }
    const admitted = await this.admission.admit(req, res);
    if (admitted === undefined) return;
    if (req.method === 'INVITE') await routeDeviceInvite(this.ctx, req, res, admitted.user);
    else await routeDeviceRequest(this.ctx, req, res, admitted.user);
  }
}
