/**
 * The user directory: digest users of one realm, stored as HA1 hashes only (RFC 7616 5.2 allows a server to keep
 * H(username:realm:password) instead of the password), one per algorithm. File format (default config/users.json):
 *
 *   { "realm": "sipedge", "users": { "alice": { "ha1": { "MD5": "<32 hex>", "SHA-256": "<64 hex>" } } } }
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DIGEST_ALGORITHMS, HEX_LENGTH, ha1, hashHex, type DigestAlgorithm } from './digest-hash.js';

export type Ha1Hashes = Partial<Record<DigestAlgorithm, string>>;

/** A user file that cannot be used; the message names the file and the offending key path. */
export class UserDirectoryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserDirectoryError';
  }
}

export class UserDirectory {
  private readonly users: ReadonlyMap<string, Ha1Hashes>;
  /** `algorithm:realm` -> hashed user name -> user (userOfHash). */
  private readonly hashed = new Map<string, Map<string, string>>();

  /**
   * @param realm the realm the HA1 values were computed for; undefined for an empty directory without a file
   * @param missing true when the file did not exist (the node starts, but every digest fails)
   */
  constructor(
    readonly realm: string | undefined,
    users: ReadonlyMap<string, Ha1Hashes>,
    readonly missing = false,
  ) {
    this.users = new Map(users);
  }

  get size(): number {
    return this.users.size;
  }

  /** The user's HA1 for `algorithm` (lower-case hex), or undefined when the user or that hash is unknown. */
  lookup(user: string, algorithm: DigestAlgorithm): string | undefined {
    return this.users.get(user)?.[algorithm];
  }

  /** RFC 7616 3.4.4: the user whose H(user ":" realm) under `algorithm` is `userhash` (hex, any case), if any. */
  userOfHash(userhash: string, algorithm: DigestAlgorithm, realm: string): string | undefined {
    return this.userHashes(algorithm, realm).get(userhash.toLowerCase());
  }

  /**
   * The hashed-name table of one algorithm and realm, built on first use (one hash per user): call it at start
   * when devices are told they may hash, so that the first hashed request does not pay for it.
   */
  userHashes(algorithm: DigestAlgorithm, realm: string): ReadonlyMap<string, string> {
    const key = `${algorithm}:${realm}`;
    let table = this.hashed.get(key);
    if (table === undefined) {
      table = new Map();
      for (const user of this.users.keys()) table.set(hashHex(algorithm, `${user}:${realm}`), user);
      this.hashed.set(key, table);
    }
    return table;
  }

  userNames(): string[] {
    return [...this.users.keys()];
  }

  /** A copy of every HA1 the user has (empty for an unknown user). */
  hashesOf(user: string): Ha1Hashes {
    return { ...this.users.get(user) };
  }
}

/** Validates the file's JSON text; errors read `<source>: <key path>: <what is wrong>`. */
export function parseUserDirectory(text: string, source: string): UserDirectory {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UserDirectoryError(`${source}: invalid JSON: ${(err as Error).message}`, { cause: err });
  }
  const fail = (path: string, what: string): never => {
    throw new UserDirectoryError(`${source}: ${path}: ${what}`);
  };
  if (!isObject(doc)) return fail('(top level)', 'expected an object');
  for (const key of Object.keys(doc)) if (key !== 'realm' && key !== 'users') fail(key, 'unknown key');
  if (typeof doc.realm !== 'string' || doc.realm === '') fail('realm', 'expected a non-empty string');
  const realm = doc.realm as string;
  if (!isObject(doc.users)) return fail('users', 'expected an object');
  const users = new Map<string, Ha1Hashes>();
  for (const [name, entry] of Object.entries(doc.users)) {
    const at = `users.${name}`;
    const nameProblem = userNameProblem(name);
    if (nameProblem !== undefined) fail(at, nameProblem);
    if (!isObject(entry)) return fail(at, 'expected an object');
    for (const key of Object.keys(entry)) if (key !== 'ha1') fail(`${at}.${key}`, 'unknown key');
    if (!isObject(entry.ha1)) return fail(`${at}.ha1`, 'expected an object');
    const hashes: Ha1Hashes = {};
    for (const [alg, hex] of Object.entries(entry.ha1)) {
      const algorithm = DIGEST_ALGORITHMS.find((a) => a === alg);
      if (algorithm === undefined) fail(`${at}.ha1.${alg}`, `unknown algorithm (use ${DIGEST_ALGORITHMS.join(' or ')})`);
      const len = HEX_LENGTH[algorithm!];
      if (typeof hex !== 'string' || hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) {
        fail(`${at}.ha1.${alg}`, `expected ${len} hex characters`);
      }
      hashes[algorithm!] = (hex as string).toLowerCase();
    }
    if (Object.keys(hashes).length === 0) fail(`${at}.ha1`, 'expected at least one hash');
    users.set(name, hashes);
  }
  return new UserDirectory(realm, users);
}

/** Reads and validates the user file. A missing file is not an error: an empty directory with `missing` set. */
export async function loadUserDirectory(path: string): Promise<UserDirectory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new UserDirectory(undefined, new Map(), true);
    throw new UserDirectoryError(`${path}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  return parseUserDirectory(text, path);
}

/**
 * Adds or replaces a user in the file (created when missing) with both HA1 hashes computed from the password,
 * which is not stored. Refuses a realm other than the file's: its other HA1 values would not match. The new file
 * is written beside the old one and renamed over it, so a running node never reads a half-written file.
 */
export async function addUser(file: string, realm: string, user: string, password: string): Promise<void> {
  if (realm === '') throw new UserDirectoryError('realm must not be empty');
  const nameProblem = userNameProblem(user);
  if (nameProblem !== undefined) throw new UserDirectoryError(`user name '${user}': ${nameProblem}`);
  if (password === '') throw new UserDirectoryError('password must not be empty');
  const current = await loadUserDirectory(file);
  if (current.realm !== undefined && current.realm !== realm) {
    throw new UserDirectoryError(`${file}: realm is '${current.realm}', not '${realm}' (one realm per file)`);
  }
  const users: Record<string, { ha1: Ha1Hashes }> = {};
  // Every other user is kept with exactly the hashes it had.
  for (const name of current.userNames()) users[name] = { ha1: current.hashesOf(name) };
  users[user] = { ha1: Object.fromEntries(DIGEST_ALGORITHMS.map((a) => [a, ha1(a, user, realm, password)])) };
  const text = `${JSON.stringify({ realm, users }, null, 2)}\n`;
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    // Owner-only: HA1 values are password-equivalent for this realm (RFC 7616 5.2).
    await writeFile(temp, text, { mode: 0o600 });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Why a name cannot be a user (undefined: it can). The colon would make H(user:realm:password) ambiguous. */
function userNameProblem(name: string): string | undefined {
  if (name === '') return 'user name must not be empty';
  if (/[\x00-\x1f\x7f:"]/.test(name)) return 'user name must not contain control characters, ":" or \'"\'';
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
