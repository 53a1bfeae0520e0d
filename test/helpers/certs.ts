// Test PKI made with the openssl CLI: a throwaway CA and leaf certificates for loopback TLS.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireBinary } from './binaries.js';

const run = promisify(execFile);

export type KeyType = 'ec' | 'rsa';

export interface PemFiles {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

export interface TestCa extends PemFiles {
  dir: string;
}

export interface ServerCert extends PemFiles {
  /** Leaf followed by the CA certificate, for servers that send the chain. */
  chainPath: string;
  chainPem: string;
}

export interface CaOptions {
  commonName?: string;
  keyType?: KeyType;
  days?: number;
}

export interface LeafOptions {
  /** File name stem inside `dir` (default 'server'). */
  name?: string;
  commonName?: string;
  ips?: readonly string[];
  dnsNames?: readonly string[];
  keyType?: KeyType;
  days?: number;
}

function keyArgs(type: KeyType): string[] {
  // P-256 keys are generated instantly; RSA is offered for peers that want it.
  return type === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'] : ['-newkey', 'rsa:2048'];
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const bin = requireBinary('openssl');
  try {
    await run(bin, args, { cwd, timeout: 30_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${err.stderr ?? err.message}`);
  }
}

function readPems(certPath: string, keyPath: string): PemFiles {
  return { certPath, keyPath, certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
}

/** Self-signed CA (key + certificate) written into `dir`. */
export async function makeTestCa(dir: string, opts: CaOptions = {}): Promise<TestCa> {
  mkdirSync(dir, { recursive: true });
  const keyPath = join(dir, 'ca.key');
  const certPath = join(dir, 'ca.crt');
  await openssl(
    [
      'req', '-x509', ...keyArgs(opts.keyType ?? 'ec'), '-nodes',
      '-keyout', keyPath, '-out', certPath,
      '-days', String(opts.days ?? 3),
      '-subj', `/CN=${opts.commonName ?? 'sipedge test CA'}`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return { dir, ...readPems(certPath, keyPath) };
}

/**
 * Leaf certificate signed by `ca`, by default CN=localhost with
 * subjectAltName IP:127.0.0.1 and DNS:localhost, usable as TLS server and client.
 */
export async function makeServerCert(ca: TestCa, dir: string = ca.dir, opts: LeafOptions = {}): Promise<ServerCert> {
  mkdirSync(dir, { recursive: true });
  const name = opts.name ?? 'server';
  const keyPath = join(dir, `${name}.key`);
  const csrPath = join(dir, `${name}.csr`);
  const certPath = join(dir, `${name}.crt`);
  const extPath = join(dir, `${name}.ext`);
  const ips = opts.ips ?? ['127.0.0.1'];
  const dnsNames = opts.dnsNames ?? ['localhost'];
  const san = [...ips.map((ip) => `IP:${ip}`), ...dnsNames.map((d) => `DNS:${d}`)].join(',');
  writeFileSync(
    extPath,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      ...(san ? [`subjectAltName=${san}`] : []),
      '',
    ].join('\n'),
  );
  await openssl(
    ['req', '-new', ...keyArgs(opts.keyType ?? 'ec'), '-nodes', '-keyout', keyPath, '-out', csrPath,
      '-subj', `/CN=${opts.commonName ?? 'localhost'}`],
    dir,
  );
  // A random serial keeps certificates from different runs distinguishable.
  const serial = `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
  await openssl(
    ['x509', '-req', '-in', csrPath, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', serial,
      '-days', String(opts.days ?? 2), '-extfile', extPath, '-out', certPath],
    dir,
  );
  const pems = readPems(certPath, keyPath);
  const chainPath = join(dir, `${name}-chain.pem`);
  const chainPem = pems.certPem + ca.certPem;
  writeFileSync(chainPath, chainPem);
  return { ...pems, chainPath, chainPem };
}

/** A CA and a localhost server certificate in one call. */
export async function makeTestPki(dir: string): Promise<{ ca: TestCa; server: ServerCert }> {
  const ca = await makeTestCa(dir);
  const server = await makeServerCert(ca, dir);
  return { ca, server };
}
