// `sipedge user add`: arguments, password from the environment or stdin, exit codes.
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ha1 } from '../../../lib/auth/digest-hash.js';
import { addUser, loadUserDirectory } from '../../../lib/auth/user-directory.js';
import { PASSWORD_ENV, runUserCommand, type CommandIo } from '../../../lib/cli/user-command.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

function fakeIo(env: Record<string, string> = {}, stdinLine = '') {
  const io = {
    stdout: '',
    stderr: '',
    stdinReads: 0,
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
    env,
    async readLine() {
      io.stdinReads++;
      return stdinLine;
    },
  };
  return io satisfies CommandIo;
}

t.test('adds a user with the password from the environment', async (t) => {
  const file = join(makeTempDir(t), 'users.json');
  const io = fakeIo({ [PASSWORD_ENV]: 'alice-pw' });
  t.equal(await runUserCommand(['add', 'alice', '--realm', 'sipedge', '--file', file], io), 0);
  t.equal(io.stdout, `user alice added to ${file}\n`);
  t.equal(io.stderr, '');
  t.equal(io.stdinReads, 0, 'stdin is not read when the variable is set');
  const dir = await loadUserDirectory(file);
  t.equal(dir.lookup('alice', 'SHA-256'), ha1('SHA-256', 'alice', 'sipedge', 'alice-pw'));
  t.equal(dir.lookup('alice', 'MD5'), ha1('MD5', 'alice', 'sipedge', 'alice-pw'));
});

t.test('reads the password from stdin when the variable is not set', async (t) => {
  const file = join(makeTempDir(t), 'users.json');
  const io = fakeIo({}, 'from-stdin');
  t.equal(await runUserCommand(['add', '--file', file, 'bob', '--realm', 'r'], io), 0);
  t.equal(io.stdinReads, 1);
  t.equal((await loadUserDirectory(file)).lookup('bob', 'MD5'), ha1('MD5', 'bob', 'r', 'from-stdin'));
});

t.test('bad arguments: exit 2 with the usage', async (t) => {
  const cases = [
    [],
    ['remove', 'alice', '--realm', 'r'],
    ['add'],
    ['add', 'alice'],
    ['add', 'alice', '--realm'],
    ['add', 'alice', '--realm', ''],
    ['add', 'alice', 'bob', '--realm', 'r'],
    ['add', 'alice', '--realm', 'r', '--password', 'x'],
  ];
  for (const argv of cases) {
    const io = fakeIo({ [PASSWORD_ENV]: 'pw' });
    t.equal(await runUserCommand(argv, io), 2, JSON.stringify(argv));
    t.match(io.stderr, /usage: sipedge user add <name> --realm <realm>/);
    t.equal(io.stdout, '');
  }
});

t.test('an empty password or another realm: exit 1 and the file unchanged', async (t) => {
  const file = join(makeTempDir(t), 'users.json');
  await addUser(file, 'r1', 'alice', 'pw');
  const before = await readFile(file, 'utf8');
  const empty = fakeIo({}, '');
  t.equal(await runUserCommand(['add', 'bob', '--realm', 'r1', '--file', file], empty), 1);
  t.match(empty.stderr, /no password/);
  const realm = fakeIo({ [PASSWORD_ENV]: 'pw' });
  t.equal(await runUserCommand(['add', 'bob', '--realm', 'r2', '--file', file], realm), 1);
  t.match(realm.stderr, /realm is 'r1', not 'r2'/);
  t.equal(await readFile(file, 'utf8'), before);
});

t.test('the sipedge command line: password on stdin, never in argv', async (t) => {
  const main = fileURLToPath(new URL('../../../lib/cli/main.js', import.meta.url));
  const file = join(makeTempDir(t), 'users.json');
  const run = (args: string[], stdin: string) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const env = { ...process.env };
      delete env[PASSWORD_ENV];
      const child = spawn(process.execPath, [main, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out, err }));
      child.stdin.end(stdin);
    });
  const ok = await run(['user', 'add', 'carol', '--realm', 'r', '--file', file], 'carol-pw\r\nsecond line\n');
  t.equal(ok.code, 0, ok.err);
  t.equal(ok.out, `user carol added to ${file}\n`);
  t.equal((await loadUserDirectory(file)).lookup('carol', 'SHA-256'), ha1('SHA-256', 'carol', 'r', 'carol-pw'), 'first line only');
  const bad = await run(['user', 'add'], '');
  t.equal(bad.code, 2);
  t.match(bad.err, /usage/);
});
