// Runs baresip, the real softphone, headless on loopback, registering through an outbound
// proxy (the system under test) over TLS by default. Foreground process, PID tracked.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary } from './binaries.js';
import { renderAccount, renderConfig, type BaresipTransport } from './baresip-config.js';
import { BaresipControl, stripAnsi, type BaresipEvent, type CommandResult } from './baresip-control.js';
import { freePort, waitForListening } from './ports.js';
import { startProcess, type ManagedProcess, type TeardownHost } from './processes.js';
import { makeTempDir } from './temp-dir.js';

export interface BaresipOptions {
  /** Port of the proxy/registrar every request is sent to. */
  proxyPort: number;
  proxyHost?: string;
  transport?: BaresipTransport;
  user?: string;
  /** Host part of the AOR (default 127.0.0.1). */
  domain?: string;
  password?: string;
  authUser?: string;
  /** REGISTER interval in seconds (default 60; 0 = never register). */
  regint?: number;
  /** Answer incoming calls automatically. */
  autoAnswer?: boolean;
  /** CA certificate file; baresip 1.0.x loads it but does not verify the server with it. */
  caFile?: string;
  /** PEM file with client certificate and key (mutual TLS). */
  certFile?: string;
  /** SIP listen port: 0 (default) = ephemeral. baresip 1.x puts TLS on listenPort+1. */
  listenPort?: number;
  /** Open the ctrl_tcp command socket (default true). */
  control?: boolean;
  /** -s: print every SIP message baresip sends and receives. */
  sipTrace?: boolean;
  /**
   * The only DNS server baresip may use (default 127.0.0.1:9, where nothing listens). Tests use
   * IP literals, so no query is expected; a test can point this at its own socket to check.
   */
  dnsServer?: string;
  extraConfig?: readonly string[];
  extraAccountParams?: readonly string[];
  readyTimeoutMs?: number;
}

export interface Baresip {
  readonly process: ManagedProcess;
  readonly configDir: string;
  /** user@domain, as baresip prints it. */
  readonly aor: string;
  /** ctrl_tcp client, when `control` is on. */
  readonly control: BaresipControl | null;
  /**
   * Resolves with the "... 200 OK ... binding" line once baresip reports a successful
   * registration; rejects at once when it reports a failure status, or on timeout.
   * `since` (from process.outputCursor()) ignores earlier registrations.
   */
  waitForRegistered(timeoutMs?: number, since?: number): Promise<string>;
  /** Resolves with baresip's failure line (e.g. "403 Forbidden"). */
  waitForRegistrationFailure(timeoutMs?: number, since?: number): Promise<string>;
  /** Runs a command over ctrl_tcp (throws if control is off). */
  command(command: string, params?: string, timeoutMs?: number): Promise<CommandResult>;
  waitForEvent(type: string, timeoutMs?: number, match?: (e: BaresipEvent) => boolean): Promise<BaresipEvent>;
  stop(): Promise<void>;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Starts baresip with a fresh config dir and waits until it says it is ready. */
export async function startBaresip(t: TeardownHost, opts: BaresipOptions): Promise<Baresip> {
  requireBinary('baresip');
  const transport = opts.transport ?? 'tls';
  const user = opts.user ?? 'alice';
  const domain = opts.domain ?? '127.0.0.1';
  const aor = `${user}@${domain}`;
  const useControl = opts.control ?? true;
  const dir = makeTempDir(t, 'sipedge-baresip-');
  const ctrlPort = useControl ? await freePort('tcp') : null;
  // Port 9 (discard) on loopback: nothing listens, so a stray DNS query fails fast and locally.
  const dnsServer = opts.dnsServer ?? '127.0.0.1:9';

  writeFileSync(
    join(dir, 'config'),
    renderConfig({
      listenPort: opts.listenPort ?? 0,
      caFile: opts.caFile,
      certFile: opts.certFile,
      ctrlPort,
      dnsServer,
      transport,
      extraLines: opts.extraConfig,
    }),
  );
  writeFileSync(
    join(dir, 'accounts'),
    renderAccount({
      user,
      domain,
      password: opts.password,
      authUser: opts.authUser,
      transport,
      proxyHost: opts.proxyHost ?? '127.0.0.1',
      proxyPort: opts.proxyPort,
      regint: opts.regint ?? 60,
      autoAnswer: opts.autoAnswer ?? false,
      extraParams: opts.extraAccountParams,
    }),
  );
  // An empty contacts file stops baresip writing its template (which names public addresses).
  writeFileSync(join(dir, 'contacts'), '');

  const args = ['-f', dir, ...(opts.sipTrace ? ['-s'] : [])];
  // HOME points into the temp dir so nothing is read from or written to the real ~/.baresip.
  const proc = startProcess(t, 'baresip', args, { cwd: dir, env: { HOME: dir } });
  const readyTimeout = opts.readyTimeoutMs ?? 10_000;
  let control: BaresipControl | null = null;
  try {
    await proc.waitForOutput(/baresip is ready\./, readyTimeout);
    if (ctrlPort !== null) {
      await waitForListening(ctrlPort, ['tcp'], {
        timeoutMs: readyTimeout,
        abortIf: () => (proc.exitInfo ? 'baresip exited' : null),
      });
      control = await BaresipControl.open(ctrlPort);
      const ctl = control;
      t.teardown(() => ctl.close());
    }
  } catch (e) {
    await proc.stop();
    throw e;
  }

  const aorPattern = escapeRegExp(aor);
  const transportToken = transport.toUpperCase();
  // Success: "alice@127.0.0.1: {0/TLS/v4} 200 OK (server) [1 binding]"
  // Failure: "reg: sip:alice@127.0.0.1: 403 Forbidden (...)" or a 3xx-6xx in the {..} form.
  const ok = `(?<ok>${aorPattern}: \\{\\d+/${transportToken}/v[46]\\} 2\\d\\d [^\\n]*)`;
  const fail =
    `(?<fail>reg: (?:sip:)?${aorPattern}: [^\\n]*|${aorPattern}: \\{\\d+/\\w+/v[46]\\} [3-6]\\d\\d [^\\n]*)`;
  const outcome = async (timeoutMs: number, since: number): Promise<{ ok?: string; fail?: string }> => {
    const m = await proc.waitForOutput(new RegExp(`${ok}|${fail}`), timeoutMs, { since });
    return { ok: m.groups?.ok, fail: m.groups?.fail };
  };
  const needControl = (): BaresipControl => {
    if (!control) throw new Error('baresip was started with control: false');
    return control;
  };

  return {
    process: proc,
    configDir: dir,
    aor,
    control,
    async waitForRegistered(timeoutMs = 10_000, since = 0) {
      const r = await outcome(timeoutMs, since);
      if (r.ok) return r.ok;
      throw new Error(`baresip registration failed: ${stripAnsi(r.fail ?? '')}`);
    },
    async waitForRegistrationFailure(timeoutMs = 10_000, since = 0) {
      const r = await outcome(timeoutMs, since);
      if (r.fail) return stripAnsi(r.fail);
      throw new Error(`baresip registered (${r.ok}) but a failure was expected`);
    },
    async command(command, params, timeoutMs) {
      return needControl().command(command, params, timeoutMs);
    },
    async waitForEvent(type, timeoutMs, match) {
      return needControl().waitForEvent(type, timeoutMs, match);
    },
    async stop() {
      control?.close();
      await proc.stop();
    },
  };
}
