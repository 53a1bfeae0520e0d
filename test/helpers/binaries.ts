// Locating the external programs the tests drive. A missing one must fail the test with a
// message saying what to install, never skip it silently.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Debian package that ships each binary the harness knows about. */
export const DEBIAN_PACKAGE_OF: Readonly<Record<string, string>> = {
  sipp: 'sip-tester',
  baresip: 'baresip',
  openssl: 'openssl',
  'redis-server': 'redis-server',
  'redis-cli': 'redis-tools',
  rtpengine: 'rtpengine-daemon',
};

export class MissingBinaryError extends Error {
  constructor(
    readonly binary: string,
    readonly debianPackage: string,
  ) {
    super(
      `required binary '${binary}' was not found on PATH; install the Debian package '${debianPackage}' ` +
        `(apt-get install -y ${debianPackage}, or run scripts/ensure-test-deps.sh as root)`,
    );
    this.name = 'MissingBinaryError';
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Full path of `name` (looked up on PATH unless it already contains a slash), or null. */
export function findBinary(name: string): string | null {
  if (name.includes('/')) return isExecutable(name) ? name : null;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/** Full path of `name`; throws MissingBinaryError naming the binary and its package. */
export function requireBinary(name: string, debianPackage?: string): string {
  const found = findBinary(name);
  if (found) return found;
  const base = name.split('/').pop() ?? name;
  throw new MissingBinaryError(name, debianPackage ?? DEBIAN_PACKAGE_OF[base] ?? base);
}
