// Client for baresip's ctrl_tcp module: netstring-framed JSON commands and events on loopback.
// Lets a test drive the softphone (dial, hangup, accept) and watch its events.
import { connect, type Socket } from 'node:net';

export interface BaresipEvent {
  type: string;
  class?: string;
  accountaor?: string;
  param?: string;
  peeruri?: string;
  id?: string;
  [key: string]: unknown;
}

export interface CommandResult {
  ok: boolean;
  data: string;
}

/** Splits netstrings ("<len>:<payload>,") out of a byte stream. */
export class NetstringReader {
  private buf = Buffer.alloc(0);
  push(chunk: Buffer): string[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: string[] = [];
    for (;;) {
      const colon = this.buf.indexOf(':');
      if (colon < 0) break;
      const len = Number(this.buf.subarray(0, colon).toString('latin1'));
      if (!Number.isInteger(len) || len < 0) throw new Error('bad netstring length');
      if (this.buf.length < colon + 1 + len + 1) break;
      out.push(this.buf.subarray(colon + 1, colon + 1 + len).toString('utf8'));
      this.buf = this.buf.subarray(colon + 1 + len + 1); // drop the trailing ','
    }
    return out;
  }
}

export function netstring(payload: string): string {
  return `${Buffer.byteLength(payload)}:${payload},`;
}

/** Strips ANSI colour sequences baresip puts in its text. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

export class BaresipControl {
  readonly events: BaresipEvent[] = [];
  private readonly pending = new Map<string, { resolve: (r: CommandResult) => void; reject: (e: Error) => void }>();
  private readonly eventWaiters = new Set<() => void>();
  private nextToken = 1;

  private constructor(private readonly socket: Socket) {
    const reader = new NetstringReader();
    socket.on('data', (chunk: Buffer) => {
      for (const text of reader.push(chunk)) this.onMessage(text);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('baresip control connection closed'));
      this.pending.clear();
    });
  }

  static open(port: number, timeoutMs = 5000): Promise<BaresipControl> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`baresip ctrl_tcp on port ${port}: connect timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new BaresipControl(socket));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`baresip ctrl_tcp on port ${port}: ${e.message}`));
      });
    });
  }

  private onMessage(text: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (msg.response === true && typeof msg.token === 'string') {
      const p = this.pending.get(msg.token);
      this.pending.delete(msg.token);
      p?.resolve({ ok: msg.ok === true, data: stripAnsi(String(msg.data ?? '')) });
    } else if (msg.event === true && typeof msg.type === 'string') {
      this.events.push(msg as BaresipEvent);
      for (const w of [...this.eventWaiters]) w();
    }
  }

  /** Runs a baresip command (e.g. 'dial', 'hangup', 'accept', 'reginfo'). */
  command(command: string, params = '', timeoutMs = 5000): Promise<CommandResult> {
    const token = `t${this.nextToken++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new Error(`baresip command '${command}' got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(netstring(JSON.stringify({ command, params, token })));
    });
  }

  /** First event (already received or future) of `type` that also satisfies `match`. */
  waitForEvent(type: string, timeoutMs = 10_000, match: (e: BaresipEvent) => boolean = () => true): Promise<BaresipEvent> {
    const find = (): BaresipEvent | undefined => this.events.find((e) => e.type === type && match(e));
    const now = find();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const e = find();
        if (!e) return;
        this.eventWaiters.delete(check);
        clearTimeout(timer);
        resolve(e);
      };
      const timer = setTimeout(() => {
        this.eventWaiters.delete(check);
        const seen = this.events.map((e) => e.type).join(', ') || 'none';
        reject(new Error(`no baresip event ${type} within ${timeoutMs} ms (seen: ${seen})`));
      }, timeoutMs);
      this.eventWaiters.add(check);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
