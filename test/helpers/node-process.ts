// Runs a sipedge node (the answering-engine fixture by default) as a child process on free loopback ports,
// waits for its READY line and gives back its addresses; stopped by PID at teardown.
import { join } from 'node:path';
import { repoRoot } from './paths.js';
import { freePort } from './ports.js';
import { sumMetric } from './metrics-text.js';
import { startProcess, type ManagedProcess, type TeardownHost } from './processes.js';

export interface NodeAddresses {
  udp?: { address: string; port: number };
  tcp?: { address: string; port: number };
  tls?: { address: string; port: number };
  admin?: { address: string; port: number };
}

export interface RunningNode {
  proc: ManagedProcess;
  addresses: NodeAddresses;
  sipPort: number;
  tlsPort?: number;
  adminPort: number;
  /** Text of GET /metrics. */
  metrics(): Promise<string>;
  /** Sum of a metric's samples whose labels contain every given label=value. */
  metricValue(name: string, labels?: Record<string, string>): Promise<number>;
}

export interface NodeOptions {
  /** Config overrides (JSON); ports and addresses are filled in with free loopback ports unless given. */
  config?: Record<string, unknown>;
  /** Script under dist/ to run (default: the answering-engine fixture). */
  script?: string;
  tls?: boolean;
  /** Extra arguments for node itself (e.g. --expose-gc). */
  nodeArgs?: string[];
}

export async function startNode(t: TeardownHost, opts: NodeOptions = {}): Promise<RunningNode> {
  const sipPort = await freePort('both');
  const tlsPort = opts.tls ? await freePort('tcp') : undefined;
  const cfg = (opts.config ?? {}) as { sip?: Record<string, Record<string, unknown>>; [k: string]: unknown };
  const sip = cfg.sip ?? {};
  const config = {
    log: { level: 'warn' },
    ...cfg,
    admin: { port: 0, ...(cfg.admin as object | undefined) },
    sip: {
      ...sip,
      udp: { port: sipPort, ...sip.udp },
      tcp: { port: sipPort, ...sip.tcp },
      tls: opts.tls ? { enabled: true, port: tlsPort, ...sip.tls } : { enabled: false, ...sip.tls },
    },
  };
  const script = join(repoRoot(), 'dist', opts.script ?? 'test/fixtures/answering-engine.js');
  const proc = startProcess(t, process.execPath, [...(opts.nodeArgs ?? []), script, JSON.stringify(config)]);
  const m = await proc.waitForOutput(/READY (\{.*\})\n/, 20000);
  const addresses = JSON.parse(m[1]!) as NodeAddresses;
  const adminPort = addresses.admin?.port ?? 0;
  const metrics = async () => {
    const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
    return res.text();
  };
  return {
    proc,
    addresses,
    sipPort,
    tlsPort,
    adminPort,
    metrics,
    async metricValue(name, labels = {}) {
      return sumMetric(await metrics(), name, labels);
    },
  };
}
