// Opens many idle TCP or TLS connections to the node (from this process) to measure memory per connection.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export async function openIdleConnections(
  n: number,
  port: number,
  transport: 'tcp' | 'tls',
  ca?: string,
  batch = 200,
): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i += batch) {
    const round = Math.min(batch, n - i);
    const opened = await Promise.all(
      Array.from({ length: round }, () => new Promise<Socket>((resolve, reject) => {
        const s: Socket =
          transport === 'tcp'
            ? netConnect({ host: '127.0.0.1', port }, () => resolve(s))
            : tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => resolve(s));
        s.once('error', reject);
      })),
    );
    for (const s of opened) s.on('error', () => {});
    sockets.push(...opened);
  }
  return sockets;
}

export async function closeAll(sockets: Socket[]): Promise<void> {
  await Promise.all(sockets.map((s) => new Promise<void>((r) => {
    s.once('close', () => r());
    s.destroy();
  })));
}
