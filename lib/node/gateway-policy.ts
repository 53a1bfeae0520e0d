/**
 * Builds the gateway's device policy from config: the shared store, the user directory, the digest
 * authenticator, request admission and the registrar (what SipedgeApp routes REGISTER and device requests to).
 */
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SipedgeConfig } from '../config/config-schema.js';
import { DigestAuthenticator } from '../auth/digest-authenticator.js';
import { loadUserDirectory } from '../auth/user-directory.js';
import type { GatewayPolicy } from '../app/sipedge-app.js';
import { parseCallServers } from '../callservers/call-server-config.js';
import { CallServerPool } from '../callservers/call-server-pool.js';
import { AllowedUriNames } from '../registrar/allowed-names.js';
import { safeParseUri } from '../registrar/register-input.js';
import { Registrar } from '../registrar/registrar.js';
import { RegistrarMetrics } from '../registrar/registrar-metrics.js';
import { RequestAdmission } from '../registrar/request-admission.js';
import { createRegistrationStore } from '../store/create-store.js';
import type { RegistrationStore } from '../store/registration-store.js';
import { CallMetrics } from '../calls/call-metrics.js';
import { CallRegistry } from '../calls/call-registry.js';
import { CallRouter } from '../calls/call-router.js';
import { parsePeers } from '../calls/call-targets.js';
import { LocalContacts } from '../calls/local-contact.js';
import { trustedSourcesFrom } from '../calls/trusted-sources.js';
import { createMediaService, type SipedgeMediaService } from '../media/media-service.js';
import { AppOverload } from '../app/app-overload.js';

export interface BuiltGatewayPolicy extends GatewayPolicy {
  store: RegistrationStore;
  /** Upstream call servers with their probed state (probed by the node once the app is connected). */
  callServers: CallServerPool;
  media: SipedgeMediaService;
  /** Closes what the policy opened (media, store). */
  close(): Promise<void>;
}

export async function buildGatewayPolicy(config: SipedgeConfig, registry: Registry, log: Logger): Promise<BuiltGatewayPolicy> {
  // Config errors first, before anything is opened.
  const serverSpecs = parseCallServers(config.callServers.servers);
  const peers = parsePeers(config.cluster.peers);
  // By default the call servers and the peer nodes (which forward calls for their devices' bindings) are trusted,
  // by host and any port: a peer forwarding over TCP connects from an ephemeral port.
  const { trusted, unresolved } = await trustedSourcesFrom(config.callServers.trustedSources, [
    ...serverSpecs.map((s) => s.host),
    ...[...peers.values()].flatMap((uri) => safeParseUri(uri)?.host ?? []),
  ]);
  if (unresolved.length > 0) {
    log.warn({ hosts: unresolved }, 'call server or peer hosts that do not resolve are not trusted sources: list their addresses in callServers.trustedSources');
  }
  const csLog = log.child({ component: 'callservers' });
  const callServers = new CallServerPool(serverSpecs, {
    registry,
    onStateChange: (s, from, to) => {
      const h = s.health.snapshot();
      const fields = { server: s.name, from, to, status: h.lastStatus, error: h.lastError };
      if (to === 'up') csLog.info(fields, 'call server up');
      else csLog.warn(fields, `call server ${to}`);
    },
  });
  const store = await createRegistrationStore(config.store, { logger: log.child({ component: 'store' }) });
  let media: SipedgeMediaService | undefined;
  const overload = new AppOverload(config.sip.overload.appMaxEventLoopLagMs, config.sip.overload.retryAfterS, registry);
  try {
    media = await createMediaService(config.media, { registry, logger: log.child({ component: 'media' }), isLagging: () => overload.lagging });
    const auth = config.auth;
    let authenticator: DigestAuthenticator | undefined;
    if (auth.enabled) {
      const users = await loadUserDirectory(auth.usersFile);
      if (users.missing) log.warn({ file: auth.usersFile }, 'user directory not found: every device will fail authentication');
      authenticator = new DigestAuthenticator(auth, users, store);
    }
    const metrics = new RegistrarMetrics(registry, authenticator ? () => ({ ...authenticator.stats }) : undefined);
    const allowed = new AllowedUriNames(config.registrar.allowedUriNames);
    for (const l of [config.sip.udp, config.sip.tcp, config.sip.tls]) if (l.enabled) allowed.add(l.address);
    const authMethods = new Set(auth.enabled ? auth.methods.map((m) => m.toUpperCase()) : []);
    const appLog = log.child({ component: 'registrar' });
    const admission = new RequestAdmission({
      allowed,
      foreignHostStatus: config.registrar.foreignHostStatus,
      authenticator,
      authMethods,
      retryAfterS: config.registrar.retryAfterS,
      metrics,
      log: appLog,
    });
    const registrar = new Registrar({ config: config.registrar, nodeId: config.node.id, store, admission, metrics, log: appLog });
    const calls = new CallRegistry();
    const callMetrics = new CallMetrics(registry, () => calls.activeCalls);
    const mediaService = media;
    const createRouter = (srf: Srf) =>
      new CallRouter(
        {
          srf,
          log: log.child({ component: 'calls' }),
          nodeId: config.node.id,
          store,
          callServers,
          media: mediaService,
          allowed,
          calls,
          metrics: callMetrics,
          peers,
          contacts: new LocalContacts(),
          failoverTimeoutMs: config.callServers.failoverTimeoutS * 1000,
          ringTimeoutS: config.callServers.ringTimeoutS,
          retryAfterS: config.registrar.retryAfterS,
        },
        trusted,
        admission,
      );
    const close = async () => {
      await mediaService.close().catch((err: unknown) => log.warn({ err }, 'media close failed'));
      await store.close().catch((err: unknown) => log.warn({ err }, 'store close failed'));
    };
    return {
      store,
      callServers,
      media: mediaService,
      registrar,
      admission,
      allowed,
      authMethods,
      foreignHostStatus: config.registrar.foreignHostStatus,
      createRouter,
      overload,
      close,
    };
  } catch (err) {
    await media?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
}
