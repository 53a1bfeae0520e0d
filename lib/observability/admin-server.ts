/**
 * The admin HTTP listener: Prometheus /metrics and a /health probe. Owns its
 * socket and closes it on stop.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export class AdminServer {
  private server?: Server;

  constructor(
    private readonly registry: Registry,
    private readonly address: string,
    private readonly port: number,
    private readonly health: () => { ok: boolean; detail?: unknown } = () => ({ ok: true }),
  ) {}

  async start(): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/metrics') {
        this.registry.metrics().then(
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

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
