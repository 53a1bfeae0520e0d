import t from 'tap';
import { BRANCH_COOKIE, generateBranch, generateCallId, generateTag, parseVia } from '../../../lib/engine/messages/index.js';

t.test('branches carry the magic cookie and are unique', async (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 20000; i++) seen.add(generateBranch());
  t.equal(seen.size, 20000);
  const b = generateBranch();
  t.ok(b.startsWith(BRANCH_COOKIE));
  t.ok(b.length > BRANCH_COOKIE.length + 8, 'more than the cookie');
  t.equal(parseVia(`SIP/2.0/UDP h;branch=${b}`).branch, b, 'usable as a Via branch token');
});

t.test('tags and Call-IDs are random tokens', async (t) => {
  const tags = new Set<string>();
  for (let i = 0; i < 5000; i++) tags.add(generateTag());
  t.equal(tags.size, 5000, 'no repeats (pool refills correctly)');
  t.match(generateTag(), /^[0-9a-f]{16}$/, '64 random bits');
  t.match(generateCallId(), /^[0-9a-f]{32}$/, '128 random bits');
  t.match(generateCallId('host.example.com'), /^[0-9a-f]{32}@host\.example\.com$/);
  t.not(generateCallId(), generateCallId());
});
