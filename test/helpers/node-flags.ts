// The V8 flags a node runs with in production, read from package.json's "start" script (the one source), so that
// benchmarks run the node as `npm start` does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

const START = /\bnode((?:\s+--[\w-]+(?:=\S+)?)*)\s+dist\/lib\/cli\/main\.js start\b/;

/** The `--flags` between `node` and `dist/lib/cli/main.js start` in package.json's "start" script. */
export function nodeStartFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const m = START.exec(pkg.scripts?.start ?? '');
  if (!m) throw new Error('package.json "start" does not run `node [--flags] dist/lib/cli/main.js start`');
  return m[1]!.trim().split(/\s+/).filter((f) => f !== '');
}
