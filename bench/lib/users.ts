// Device users for the benches: the HA1 file `sipedge user add` would write, for many users at once, and the
// SIPp injection rows that register them (`[authentication username=.. password=..]`).
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';

/** Writes users u1..u<count> to `file` (HA1 only, RFC 7616 3.4.2); returns one SIPp injection row per user. */
export function writeBenchUsers(file: string, count: number, realm: string): Array<[string, string]> {
  const users: Record<string, { ha1: Record<string, string> }> = {};
  const rows: Array<[string, string]> = [];
  for (let i = 1; i <= count; i++) {
    const user = `u${i}`;
    const password = `pw-${i}-secret`;
    const ha1 = (alg: 'md5' | 'sha256') => createHash(alg).update(`${user}:${realm}:${password}`).digest('hex');
    users[user] = { ha1: { MD5: ha1('md5'), 'SHA-256': ha1('sha256') } };
    rows.push([user, `[authentication username=${user} password=${password}]`]);
  }
  writeFileSync(file, JSON.stringify({ realm, users }));
  return rows;
}
