// The node's V8 flags have one source (package.json "start"); every other way the project starts a node says the
// same, so benchmarks and production run alike.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeStartFlags } from '../../helpers/node-flags.js';
import { repoRoot } from '../../helpers/paths.js';

t.test('npm start gives the node its V8 flags', async (t) => {
  const flags = nodeStartFlags();
  t.ok(flags.length > 0, 'at least one flag');
  for (const f of flags) t.match(f, /^--[a-z][\w-]*(=\S+)?$/, `${f} is a flag`);
});

t.test('docker-compose and docs/configuration.md run the node with the same flags', async (t) => {
  const flags = nodeStartFlags().join(' ');
  const compose = readFileSync(join(repoRoot(), 'docker-compose.yml'), 'utf8');
  t.ok(compose.includes(`node ${flags} dist/lib/cli/main.js start`), `docker-compose.yml runs node ${flags}`);
  const docs = readFileSync(join(repoRoot(), 'docs', 'configuration.md'), 'utf8');
  t.ok(docs.includes(`node ${flags} bin/sipedge.js start`), `docs/configuration.md tells operators node ${flags}`);
});
