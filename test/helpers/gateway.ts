// A full gateway node (embedded engine + registrar app) as a child process on free loopback ports, plus the
// device-side tools the registrar tests share: a stream client that answers digest challenges.
import { createHash } from 'node:crypto';
import type { Binding } from '../../lib/store/registration-store.js';
import { startNode, type RunningNode } from './node-process.js';
import type { TeardownHost } from './processes.js';
import { connect, type ConnectOptions, type SipStreamClient } from './sip-tls-client.js';
import { buildRequest, headerValues, randomToken, type HeaderList, type SipResponse } from './sip-message.js';

export interface GatewayNode extends RunningNode {
  /** GET /bindings?aor= on the node's admin port. */
  bindings(aor: string): Promise<Binding[]>;
}

export async function startGateway(t: TeardownHost, config: Record<string, unknown>, opts: { tls?: boolean } = {}): Promise<GatewayNode> {
  const cfg = { ...config, drachtio: { port: 0, ...(config['drachtio'] as object | undefined) } };
  const node = await startNode(t, { script: 'test/fixtures/gateway-node.js', config: cfg, tls: opts.tls });
  return {
    ...node,
    async bindings(aor) {
      const res = await fetch(`http://127.0.0.1:${node.adminPort}/bindings?aor=${encodeURIComponent(aor)}`);
      if (!res.ok) throw new Error(`/bindings answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as Binding[];
    },
  };
}

export interface Challenge {
  realm: string;
  nonce: string;
  algorithm: string;
  qop?: string;
  opaque?: string;
  stale: boolean;
}

/** The challenges of a 401/407 (one per header), written here independently of lib/auth. */
export function challengesOf(res: SipResponse): Challenge[] {
  const name = res.status === 407 ? 'proxy-authenticate' : 'www-authenticate';
  return headerValues(res, name).map((v) => {
    const params = new Map<string, string>();
    for (const m of v.replace(/^\s*Digest\s+/i, '').matchAll(/([\w-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^\s,]+)/g)) {
      params.set(m[1]!.toLowerCase(), m[3] ?? m[2]!);
    }
    return {
      realm: params.get('realm') ?? '',
      nonce: params.get('nonce') ?? '',
      algorithm: params.get('algorithm') ?? 'MD5',
      qop: params.get('qop'),
      opaque: params.get('opaque'),
      stale: (params.get('stale') ?? '').toLowerCase() === 'true',
    };
  });
}

function h(algorithm: string, text: string): string {
  return createHash(algorithm.toUpperCase() === 'SHA-256' ? 'sha256' : 'md5').update(text).digest('hex');
}

/** RFC 7616 3.4.1 with qop=auth: the Authorization value for one challenge. */
export function authorizationFor(c: Challenge, user: string, password: string, method: string, uri: string, nc = 1, cnonce = randomToken(8)): string {
  const ha1 = h(c.algorithm, `${user}:${c.realm}:${password}`);
  const ha2 = h(c.algorithm, `${method}:${uri}`);
  const ncHex = nc.toString(16).padStart(8, '0');
  const response = h(c.algorithm, `${ha1}:${c.nonce}:${ncHex}:${cnonce}:auth:${ha2}`);
  let v = `Digest username="${user}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", algorithm=${c.algorithm}, qop=auth, nc=${ncHex}, cnonce="${cnonce}"`;
  if (c.opaque !== undefined) v += `, opaque="${c.opaque}"`;
  return v;
}

/** A device on one TCP/TLS connection that sends REGISTERs with its own Call-ID and increasing CSeq. */
export class Device {
  readonly callId = `${randomToken()}@device`;
  private cseq = 0;

  private constructor(
    readonly client: SipStreamClient,
    readonly user: string,
    readonly host: string,
  ) {}

  static async connect(opts: ConnectOptions, user: string, host = '127.0.0.1'): Promise<Device> {
    return new Device(await connect(opts), user, host);
  }

  get contactUri(): string {
    const ctx = this.client.context;
    return `sip:${this.user}@${ctx.sentBy};transport=${ctx.transport.toLowerCase()}`;
  }

  /** One REGISTER; `uriHost` is the Request-URI host (default the node's address), headers are added. */
  register(o: { headers?: HeaderList; contact?: string | null; uriHost?: string; callId?: string; cseq?: number } = {}): Promise<SipResponse> {
    const uri = `sip:${o.uriHost ?? this.host}`;
    const cseq = o.cseq ?? ++this.cseq;
    return this.client.request((ctx) =>
      buildRequest({
        method: 'REGISTER',
        uri,
        transport: ctx.transport,
        sentBy: ctx.sentBy,
        from: `<sip:${this.user}@${this.host}>`,
        to: `<sip:${this.user}@${this.host}>`,
        callId: o.callId ?? this.callId,
        cseq,
        ...(o.contact === null ? {} : { contact: o.contact ?? `<${this.contactUri}>` }),
        headers: o.headers,
      }),
    );
  }

  /** REGISTER, answer the challenge of `algorithm` with `password`, return the final response. */
  async registerWithAuth(password: string, algorithm = 'MD5', extra: HeaderList = []): Promise<{ res: SipResponse; authorization?: string }> {
    const first = await this.register({ headers: extra });
    if (first.status !== 401) return { res: first };
    const c = challengesOf(first).find((x) => x.algorithm.toUpperCase() === algorithm.toUpperCase());
    if (c === undefined) throw new Error(`no ${algorithm} challenge in: ${headerValues(first, 'www-authenticate').join(' | ')}`);
    const authorization = authorizationFor(c, this.user, password, 'REGISTER', `sip:${this.host}`);
    const res = await this.register({ headers: [...extra, ['Authorization', authorization]] });
    return { res, authorization };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
