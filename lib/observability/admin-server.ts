/**
 * The admin HTTP listener: Prometheus /metrics, a /health probe, and read-only JSON routes other parts add
 * (e.g. /bindings). Owns its socket and closes it on stop.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A read-only JSON route: query parameters in, a JSON-serialisable value out (rejections answer 503). */
export type JsonRoute = (query: URLSearchParams) => Promise<unknown>;

/**
 * More Prometheus text appended to the registry's on /metrics (e.g. the engine thread's registry). Its metric
 * names must not repeat the registry's. A rejection leaves that part out (the rest is still served).
 */
export type MetricsSource = () => Promise<string>;

export class AdminServer {
  private server?: Server;
  private readonly routes = new Map<string, JsonRoute>();
  private readonly metricsSources: MetricsSource[] = [];

  /** Appends another source's Prometheus text to /metrics. */
  addMetricsSource(source: MetricsSource): void {
    this.metricsSources.push(source);
  }

  /** Adds `GET <path>` answering JSON. */
  addJsonRoute(path: string, route: JsonRoute): void {
    this.routes.set(path, route);
  }

  constructor(
    private readonly registry: Registry,
    private readonly address: string,
    private readonly port: number,
    private readonly health: () => { ok: boolean; detail?: unknown } = () => ({ ok: true }),
    /** The node's own part of /metrics (default: the registry's text). */
    private readonly ownMetrics: () => Promise<string> = () => registry.metrics(),
  ) {}

  async start(): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/metrics') {
        this.metricsText().then(
          (text) => {
            res.writeHead(200, { 'content-type': this.registry.contentType });
            res.end(text);
          },
          (err: Error) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(err.message);
          },
        );
      } else if (req.method === 'GET' && req.url === '/health') {
        const h = this.health();
        res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify(h));
      } else if (req.method === 'GET' && this.routes.has(pathOf(req.url))) {
        const url = new URL(req.url ?? '/', 'http://admin');
        this.routes.get(url.pathname)!(url.searchParams).then(
          (value) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(value));
          },
          (err: Error) => {
            res.writeHead(503, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: err.message }));
          },
        );
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
      }
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  private async metricsText(): Promise<string> {
    const [own, ...extra] = await Promise.all([
      this.ownMetrics(),
      ...this.metricsSources.map((source) =>
        source().catch((err: unknown) => `# metrics source failed: ${oneLine((err as Error)?.message ?? String(err))}\n`),
      ),
    ]);
    let text = own;
    for (const part of extra) {
      if (part === '') continue;
      if (text !== '' && !text.endsWith('\n')) text += '\n';
      text += part;
    }
    return text;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}
