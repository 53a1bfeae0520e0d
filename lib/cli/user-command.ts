/**
 * `sipedge user add <name> --realm <realm> [--file config/users.json]`: adds or updates a digest user in the user
 * directory. The password comes from SIPEDGE_USER_PASSWORD or the first line of stdin, never from the command
 * line, so it does not show in `ps` or shell history.
 */
import { createInterface } from 'node:readline';
import { addUser, UserDirectoryError } from '../auth/user-directory.js';

export const DEFAULT_USERS_FILE = 'config/users.json';
export const PASSWORD_ENV = 'SIPEDGE_USER_PASSWORD';

const USAGE = `usage: sipedge user add <name> --realm <realm> [--file ${DEFAULT_USERS_FILE}]
  The password is read from ${PASSWORD_ENV}, or else from the first line of stdin.
`;

/** What the command touches outside itself (the process, or a test's stand-ins). */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** The first line of stdin without its line ending ('' at end of input). */
  readLine(): Promise<string>;
}

interface AddArgs {
  name: string;
  realm: string;
  file: string;
}

/** Runs `user ...` (argv: the words after `user`); resolves with the exit code: 0 done, 1 failed, 2 bad usage. */
export async function runUserCommand(argv: string[], io: CommandIo): Promise<number> {
  const args = parseAddArgs(argv);
  if (typeof args === 'string') {
    io.err(`sipedge: ${args}\n${USAGE}`);
    return 2;
  }
  const password = io.env[PASSWORD_ENV] ?? (await io.readLine());
  if (password === '') {
    io.err(`sipedge: no password (set ${PASSWORD_ENV} or give it on stdin)\n`);
    return 1;
  }
  try {
    await addUser(args.file, args.realm, args.name, password);
  } catch (err) {
    if (!(err instanceof UserDirectoryError) && !isFsError(err)) throw err;
    io.err(`sipedge: ${(err as Error).message}\n`);
    return 1;
  }
  io.out(`user ${args.name} added to ${args.file}\n`);
  return 0;
}

/** The parsed arguments of `add`, or what is wrong with them. */
function parseAddArgs(argv: string[]): AddArgs | string {
  if (argv[0] !== 'add') return argv[0] === undefined ? 'missing subcommand' : `unknown subcommand '${argv[0]}'`;
  let name: string | undefined;
  let realm: string | undefined;
  let file = DEFAULT_USERS_FILE;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--realm' || a === '--file') {
      const v = argv[++i];
      if (v === undefined || v === '') return `${a} needs a value`;
      if (a === '--realm') realm = v;
      else file = v;
    } else if (a.startsWith('-')) {
      return `unknown option '${a}'`;
    } else if (name === undefined) {
      name = a;
    } else {
      return `unexpected argument '${a}'`;
    }
  }
  if (name === undefined) return 'missing user name';
  if (realm === undefined) return 'missing --realm';
  return { name, realm, file };
}

function isFsError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

/** The real process: stdout, stderr, environment, and stdin read up to its first line. */
export function processIo(): CommandIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    readLine: () =>
      new Promise((resolve, reject) => {
        if (process.stdin.isTTY) process.stderr.write('password: ');
        const rl = createInterface({ input: process.stdin, terminal: false });
        let line = '';
        rl.once('line', (l) => {
          line = l;
          rl.close();
        });
        rl.once('close', () => resolve(line));
        process.stdin.once('error', reject);
      }),
  };
}
