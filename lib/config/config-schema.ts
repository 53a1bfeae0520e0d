/**
 * The one config schema of a sipedge node, with vendor-recommended defaults
 * (1200 s TCP/TLS idle timeout, 5060/5061, TLS 1.2 minimum). Times an operator
 * sets are in seconds; the engine works in milliseconds internally.
 */
import type { FieldSchema } from './schema-validator.js';

const listener = (port: number, withIdle: boolean): FieldSchema => ({
  type: 'object',
  fields: {
    enabled: { type: 'boolean', default: true },
    address: { type: 'string', default: '127.0.0.1', nonEmpty: true },
    port: { type: 'number', default: port, integer: true, min: 0, max: 65535 },
    ...(withIdle ? { idleTimeoutS: { type: 'number', default: 1200, min: 0.1, max: 86400 } } : {}),
  },
});

export const configSchema: FieldSchema = {
  type: 'object',
  fields: {
    node: {
      type: 'object',
      fields: {
        id: { type: 'string', default: 'sipedge-1', nonEmpty: true },
        // Processes running the gateway app against this node's embedded engine (drachtio round-robins new
        // requests across them): the node process itself plus appProcesses - 1 child processes.
        appProcesses: { type: 'number', default: 1, integer: true, min: 1, max: 64 },
      },
    },
    log: {
      type: 'object',
      fields: {
        level: { type: 'string', default: 'info', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
      },
    },
    admin: {
      type: 'object',
      fields: {
        enabled: { type: 'boolean', default: true },
        address: { type: 'string', default: '127.0.0.1', nonEmpty: true },
        port: { type: 'number', default: 9090, integer: true, min: 0, max: 65535 },
      },
    },
    sip: {
      type: 'object',
      fields: {
        udp: listener(5060, false),
        tcp: listener(5060, true),
        tls: {
          type: 'object',
          fields: {
            enabled: { type: 'boolean', default: false },
            address: { type: 'string', default: '127.0.0.1', nonEmpty: true },
            port: { type: 'number', default: 5061, integer: true, min: 0, max: 65535 },
            idleTimeoutS: { type: 'number', default: 1200, min: 0.1, max: 86400 },
            keyFile: { type: 'string', optional: true },
            certFile: { type: 'string', optional: true },
            caFile: { type: 'string', optional: true },
            minVersion: { type: 'string', default: 'TLSv1.2', enum: ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] },
            verifyPeer: { type: 'boolean', default: true },
          },
        },
        limits: {
          type: 'object',
          fields: {
            maxMessageBytes: { type: 'number', default: 65535, integer: true, min: 1024, max: 16 * 1024 * 1024 },
            maxHeaders: { type: 'number', default: 256, integer: true, min: 8, max: 10000 },
            maxConnections: { type: 'number', default: 10000, integer: true, min: 1 },
            maxConnectionsPerIp: { type: 'number', default: 1000, integer: true, min: 1 },
            messageReceiveTimeoutS: { type: 'number', default: 10, min: 0.1, max: 3600 },
            maxWriteBacklogBytes: { type: 'number', default: 4 * 1024 * 1024, integer: true, min: 65536 },
            connectTimeoutS: { type: 'number', default: 10, min: 0.1, max: 300 },
          },
        },
        // DSCP of SIP signalling (24 = CS3, the vendor default; 0 leaves packets unmarked). Needs the native
        // helper built by `npm run build` (native/sockopt); without it the node warns and sends unmarked.
        dscp: { type: 'number', default: 24, integer: true, min: 0, max: 63 },
        timers: {
          type: 'object',
          fields: {
            t1Ms: { type: 'number', default: 500, integer: true, min: 10, max: 60000 },
            t2Ms: { type: 'number', default: 4000, integer: true, min: 10, max: 600000 },
            t4Ms: { type: 'number', default: 5000, integer: true, min: 10, max: 600000 },
          },
        },
        overload: {
          type: 'object',
          fields: {
            maxPendingRequests: { type: 'number', default: 5000, integer: true, min: 1 },
            maxEventLoopLagMs: { type: 'number', default: 200, min: 1 },
            // The srf app's thread: GC pauses of a few hundred ms are normal there and calls still complete, so
            // new requests are shed only past this lag (lib/app/app-overload.ts).
            appMaxEventLoopLagMs: { type: 'number', default: 1000, min: 1 },
            retryAfterS: { type: 'number', default: 5, integer: true, min: 0 },
          },
        },
      },
    },
    registrar: {
      type: 'object',
      fields: {
        // Request-URI hosts this node answers for (cluster FQDN, every member's name); the node's own SIP
        // addresses are always added. Other hosts get foreignHostStatus.
        allowedUriNames: { type: 'string[]', default: ['localhost'] },
        foreignHostStatus: { type: 'number', default: 404, integer: true, min: 403, max: 404 },
        minExpiresS: { type: 'number', default: 60, integer: true, min: 1 },
        maxExpiresS: { type: 'number', default: 3600, integer: true, min: 1 },
        defaultExpiresS: { type: 'number', default: 3600, integer: true, min: 1 },
        maxContactsPerAor: { type: 'number', default: 10, integer: true, min: 1, max: 1000 },
        onConnectionClose: { type: 'string', default: 'remove', enum: ['remove', 'unreachable'] },
        // Embedded engine only: a device connection whose bindings all ended is closed once no call uses it.
        closeConnectionsWithoutBindings: { type: 'boolean', default: true },
        connectionCheckIntervalS: { type: 'number', default: 30, min: 0.1, max: 3600 },
        retryAfterS: { type: 'number', default: 30, integer: true, min: 1 },
      },
    },
    auth: {
      type: 'object',
      fields: {
        enabled: { type: 'boolean', default: true },
        realm: { type: 'string', default: 'sipedge', nonEmpty: true },
        // Signs nonces; the same on every node so that any node verifies a nonce another issued.
        nonceSecret: { type: 'string', default: 'sipedge-change-me', nonEmpty: true },
        nonceLifetimeS: { type: 'number', default: 300, integer: true, min: 1, max: 86400 },
        algorithms: { type: 'string[]', default: ['SHA-256', 'MD5'] },
        // RFC 7616 3.4.4: offer userhash=true in challenges (hashed user names are accepted either way).
        userhash: { type: 'boolean', default: false },
        usersFile: { type: 'string', default: 'config/users.json', nonEmpty: true },
        methods: { type: 'string[]', default: ['REGISTER', 'INVITE', 'SUBSCRIBE', 'MESSAGE', 'REFER', 'PUBLISH', 'NOTIFY'] },
        throttle: {
          type: 'object',
          fields: {
            maxFailures: { type: 'number', default: 10, integer: true, min: 1 },
            windowS: { type: 'number', default: 60, integer: true, min: 1 },
          },
        },
      },
    },
    store: {
      type: 'object',
      fields: {
        type: { type: 'string', default: 'memory', enum: ['memory', 'redis'] },
        redis: {
          type: 'object',
          fields: {
            host: { type: 'string', default: '127.0.0.1', nonEmpty: true },
            port: { type: 'number', default: 6379, integer: true, min: 1, max: 65535 },
            password: { type: 'string', optional: true },
            db: { type: 'number', default: 0, integer: true, min: 0 },
            keyPrefix: { type: 'string', default: 'sipedge:' },
            // Sentinel: "host:port" entries plus the master name; Cluster: "host:port" seed nodes.
            sentinels: { type: 'string[]', default: [] },
            sentinelName: { type: 'string', default: 'mymaster', nonEmpty: true },
            clusterNodes: { type: 'string[]', default: [] },
            commandTimeoutMs: { type: 'number', default: 1000, integer: true, min: 10 },
          },
        },
      },
    },
    callServers: {
      type: 'object',
      fields: {
        // 0: no probing (every server stays 'unknown' and is tried in priority/weight order).
        probeIntervalS: { type: 'number', default: 30, min: 0, max: 3600 },
        probeTimeoutS: { type: 'number', default: 5, min: 0.1, max: 300 },
        // One string per server: "sip:pbx1.example.com:5060;transport=tcp;priority=10;weight=60" (lib/callservers).
        servers: { type: 'string[]', default: [] },
        // Where requests from call servers come from: "ip" or "ip:port" entries. Empty: the call servers' own
        // hosts (IP literals, and host names resolved at start), any port. A request from anywhere else is a
        // device's and must authenticate.
        trustedSources: { type: 'string[]', default: [] },
        // How long a new call may ring (at a call server or at devices) before the gateway gives up.
        ringTimeoutS: { type: 'number', default: 120, min: 1, max: 3600 },
        // A call server that sends no response at all within this time is skipped: the request goes to the
        // next one (RFC 3263 failover without waiting for the 32 s transaction timeout).
        failoverTimeoutS: { type: 'number', default: 3, min: 0.1, max: 32 },
      },
    },
    cluster: {
      type: 'object',
      fields: {
        // Peer nodes that own device connections: "nodeId=sip:host:port;transport=tcp". A call for a device
        // registered on a peer goes through that peer (which must list this node in callServers.trustedSources).
        peers: { type: 'string[]', default: [] },
      },
    },
    media: {
      type: 'object',
      fields: {
        // rtpengine ng control addresses ("host:port", UDP). Empty: no anchoring, SDP passes unchanged.
        rtpengines: { type: 'string[]', default: [] },
        ngTimeoutMs: { type: 'number', default: 1000, integer: true, min: 10, max: 60000 },
        pingIntervalS: { type: 'number', default: 5, min: 0.1, max: 3600 },
        // Devices on these networks (CIDR) that are not behind NAT bypass rtpengine (SDP unchanged).
        localNetworks: { type: 'string[]', default: [] },
        // Call recording requested: media is always anchored (no bypass) and rtpengine records.
        recording: { type: 'boolean', default: false },
        // What devices are offered: 'offer' SRTP but accept RTP (RFC 8643 OSRTP: RTP/AVP with a=crypto),
        // 'require' SRTP (RTP/SAVP), or 'off' (plain RTP).
        deviceSrtp: { type: 'string', default: 'offer', enum: ['offer', 'require', 'off'] },
        // Users (AOR user parts) whose devices get plain RTP ("AVP only device").
        avpOnlyUsers: { type: 'string[]', default: [] },
        // DSCP of relayed media (46 = EF), sent to rtpengine as the call's TOS.
        dscp: { type: 'number', default: 46, integer: true, min: 0, max: 63 },
        // UDP port range for relayed media; applied when the node launches rtpengine itself (media.launch).
        portMin: { type: 'number', default: 20000, integer: true, min: 1024, max: 65535 },
        portMax: { type: 'number', default: 31000, integer: true, min: 1024, max: 65535 },
        // Start a local rtpengine-daemon (userspace) with the settings above and use it.
        launch: {
          type: 'object',
          fields: {
            enabled: { type: 'boolean', default: false },
            binary: { type: 'string', default: 'rtpengine', nonEmpty: true },
            interface: { type: 'string', default: '127.0.0.1', nonEmpty: true },
            ngPort: { type: 'number', default: 22222, integer: true, min: 1, max: 65535 },
          },
        },
      },
    },
    drachtio: {
      type: 'object',
      fields: {
        mode: { type: 'string', default: 'embedded', enum: ['embedded', 'external'] },
        host: { type: 'string', default: '127.0.0.1', nonEmpty: true },
        port: { type: 'number', default: 9022, integer: true, min: 0, max: 65535 },
        secret: { type: 'string', default: 'cymru', nonEmpty: true },
        connectTimeoutS: { type: 'number', default: 10, min: 0.1, max: 3600 },
        // Embedded mode: run the engine in its own worker thread (its own core) rather than on the app's thread.
        engineThread: { type: 'boolean', default: true },
      },
    },
  },
};

export interface ListenerConfig {
  enabled: boolean;
  address: string;
  port: number;
}

export interface SipedgeConfig {
  node: { id: string; appProcesses: number };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  admin: ListenerConfig;
  sip: {
    udp: ListenerConfig;
    tcp: ListenerConfig & { idleTimeoutS: number };
    tls: ListenerConfig & {
      idleTimeoutS: number;
      keyFile?: string;
      certFile?: string;
      caFile?: string;
      minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
      verifyPeer: boolean;
    };
    limits: {
      maxMessageBytes: number;
      maxHeaders: number;
      maxConnections: number;
      maxConnectionsPerIp: number;
      messageReceiveTimeoutS: number;
      maxWriteBacklogBytes: number;
      connectTimeoutS: number;
    };
    dscp: number;
    timers: { t1Ms: number; t2Ms: number; t4Ms: number };
    overload: { maxPendingRequests: number; maxEventLoopLagMs: number; appMaxEventLoopLagMs: number; retryAfterS: number };
  };
  registrar: RegistrarConfig;
  auth: AuthConfig;
  store: StoreConfig;
  callServers: CallServersConfig;
  cluster: { peers: string[] };
  media: MediaConfig;
  drachtio: { mode: 'embedded' | 'external'; host: string; port: number; secret: string; connectTimeoutS: number; engineThread: boolean };
}

export interface RegistrarConfig {
  allowedUriNames: string[];
  foreignHostStatus: number;
  minExpiresS: number;
  maxExpiresS: number;
  defaultExpiresS: number;
  maxContactsPerAor: number;
  onConnectionClose: 'remove' | 'unreachable';
  closeConnectionsWithoutBindings: boolean;
  connectionCheckIntervalS: number;
  retryAfterS: number;
}

export interface AuthConfig {
  enabled: boolean;
  realm: string;
  nonceSecret: string;
  nonceLifetimeS: number;
  /** 'SHA-256' and/or 'MD5', in the order the challenges are offered (RFC 8760: preferred first). */
  algorithms: string[];
  /** Offer userhash=true in challenges (RFC 7616 3.4.4). */
  userhash: boolean;
  usersFile: string;
  methods: string[];
  throttle: { maxFailures: number; windowS: number };
}

export interface RedisStoreConfig {
  host: string;
  port: number;
  password?: string;
  db: number;
  keyPrefix: string;
  sentinels: string[];
  sentinelName: string;
  clusterNodes: string[];
  commandTimeoutMs: number;
}

export interface StoreConfig {
  type: 'memory' | 'redis';
  redis: RedisStoreConfig;
}

export interface CallServersConfig {
  probeIntervalS: number;
  probeTimeoutS: number;
  /** Unparsed entries; lib/callservers/call-server-config.ts parses and checks them at start. */
  servers: string[];
  trustedSources: string[];
  ringTimeoutS: number;
  failoverTimeoutS: number;
}

export interface MediaConfig {
  rtpengines: string[];
  ngTimeoutMs: number;
  pingIntervalS: number;
  localNetworks: string[];
  recording: boolean;
  deviceSrtp: 'offer' | 'require' | 'off';
  avpOnlyUsers: string[];
  dscp: number;
  portMin: number;
  portMax: number;
  launch: { enabled: boolean; binary: string; interface: string; ngPort: number };
}
