// The user directory file: HA1 hashes per algorithm, validation with key paths, atomic updates.
import t from 'tap';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ha1 } from '../../../lib/auth/digest-hash.js';
import { addUser, loadUserDirectory, parseUserDirectory, UserDirectoryError } from '../../../lib/auth/user-directory.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

t.test('add two users, reload, look up both algorithms', async (t) => {
  const file = join(makeTempDir(t), 'conf', 'users.json');
  await addUser(file, 'sipedge', 'alice', 'alice-pw');
  await addUser(file, 'sipedge', 'bob', 'bob-pw');
  const dir = await loadUserDirectory(file);
  t.equal(dir.realm, 'sipedge');
  t.equal(dir.missing, false);
  t.equal(dir.size, 2);
  t.equal(dir.lookup('alice', 'MD5'), ha1('MD5', 'alice', 'sipedge', 'alice-pw'));
  t.equal(dir.lookup('alice', 'SHA-256'), ha1('SHA-256', 'alice', 'sipedge', 'alice-pw'));
  t.equal(dir.lookup('bob', 'MD5'), ha1('MD5', 'bob', 'sipedge', 'bob-pw'));
  t.equal(dir.lookup('bob', 'SHA-256'), ha1('SHA-256', 'bob', 'sipedge', 'bob-pw'));
  t.equal(dir.lookup('carol', 'MD5'), undefined);
  t.equal(dir.lookup('Alice', 'MD5'), undefined, 'user names are case-sensitive');
  const text = await readFile(file, 'utf8');
  t.notMatch(text, /alice-pw|bob-pw/, 'no clear passwords in the file');
  t.equal((await stat(file)).mode & 0o077, 0, 'readable by the owner only');
  t.same(await readdir(join(file, '..')), ['users.json'], 'no temp file left behind');
});

t.test('adding an existing user replaces its hashes and keeps the others', async (t) => {
  const file = join(makeTempDir(t), 'users.json');
  await addUser(file, 'r', 'alice', 'old');
  await addUser(file, 'r', 'bob', 'b');
  await addUser(file, 'r', 'alice', 'new');
  const dir = await loadUserDirectory(file);
  t.equal(dir.lookup('alice', 'MD5'), ha1('MD5', 'alice', 'r', 'new'));
  t.equal(dir.lookup('bob', 'SHA-256'), ha1('SHA-256', 'bob', 'r', 'b'));
});

t.test('a realm other than the file\'s is refused', async (t) => {
  const file = join(makeTempDir(t), 'users.json');
  await addUser(file, 'r1', 'alice', 'pw');
  await t.rejects(addUser(file, 'r2', 'bob', 'pw'), { name: 'UserDirectoryError', message: /realm is 'r1', not 'r2'/ });
  t.equal((await loadUserDirectory(file)).lookup('bob', 'MD5'), undefined);
});

t.test('bad names and empty passwords are refused', async (t) => {
  const file = join(makeTempDir(t), 'users.json');
  await t.rejects(addUser(file, 'r', '', 'pw'), UserDirectoryError);
  await t.rejects(addUser(file, 'r', 'a:b', 'pw'), UserDirectoryError);
  await t.rejects(addUser(file, 'r', 'a', ''), UserDirectoryError);
  await t.rejects(addUser(file, '', 'a', 'pw'), UserDirectoryError);
});

t.test('a missing file is an empty directory flagged missing', async (t) => {
  const dir = await loadUserDirectory(join(makeTempDir(t), 'nope.json'));
  t.equal(dir.missing, true);
  t.equal(dir.realm, undefined);
  t.equal(dir.size, 0);
  t.equal(dir.lookup('alice', 'MD5'), undefined);
});

t.test('bad file content: the error names the key path', async (t) => {
  const md5 = 'a'.repeat(32);
  const cases: Array<[unknown, RegExp]> = [
    [[], /\(top level\): expected an object/],
    [{ users: {} }, /realm: expected a non-empty string/],
    [{ realm: 'r' }, /users: expected an object/],
    [{ realm: 'r', users: [], extra: 1 }, /extra: unknown key/],
    [{ realm: 'r', users: { alice: 'x' } }, /users\.alice: expected an object/],
    [{ realm: 'r', users: { alice: { ha1: { MD5: 'abc' } } } }, /users\.alice\.ha1\.MD5: expected 32 hex characters/],
    [{ realm: 'r', users: { alice: { ha1: { MD5: 'g'.repeat(32) } } } }, /users\.alice\.ha1\.MD5: expected 32 hex characters/],
    [{ realm: 'r', users: { alice: { ha1: { 'SHA-256': md5 } } } }, /users\.alice\.ha1\.SHA-256: expected 64 hex characters/],
    [{ realm: 'r', users: { alice: { ha1: { md5 } } } }, /users\.alice\.ha1\.md5: unknown algorithm/],
    [{ realm: 'r', users: { alice: { ha1: {} } } }, /users\.alice\.ha1: expected at least one hash/],
    [{ realm: 'r', users: { alice: { ha1: { MD5: md5 }, password: 'x' } } }, /users\.alice\.password: unknown key/],
    [{ realm: 'r', users: { 'a:b': { ha1: { MD5: md5 } } } }, /users\.a:b: /],
  ];
  for (const [doc, message] of cases) {
    t.throws(() => parseUserDirectory(JSON.stringify(doc), 'users.json'), { name: 'UserDirectoryError', message }, String(message));
  }
  t.throws(() => parseUserDirectory('{"realm": ', 'users.json'), { message: /^users\.json: invalid JSON/ });
});

t.test('loading a bad file rejects with the file name and key path', async (t) => {
  const file = join(makeTempDir(t), 'users.json');
  await writeFile(file, JSON.stringify({ realm: 'r', users: { alice: { ha1: { MD5: 'abc' } } } }));
  await t.rejects(loadUserDirectory(file), { message: `${file}: users.alice.ha1.MD5: expected 32 hex characters` });
  await t.rejects(addUser(file, 'r', 'bob', 'pw'), UserDirectoryError, 'a broken file is not overwritten');
});

t.test('upper-case hex is accepted and normalised', async (t) => {
  const dir = parseUserDirectory(JSON.stringify({ realm: 'r', users: { a: { ha1: { MD5: 'ABCDEF'.padEnd(32, '0') } } } }), 'x');
  t.equal(dir.lookup('a', 'MD5'), 'abcdef'.padEnd(32, '0'));
  t.equal(dir.lookup('a', 'SHA-256'), undefined);
});
