// Where repository files live, whether this module runs from test/ (ts) or dist/test/ (compiled).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | null = null;

/** The repository root: the nearest ancestor whose package.json names 'sipedge'. */
export function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'sipedge') {
          cachedRoot = dir;
          return dir;
        }
      } catch {
        // unreadable package.json: keep climbing
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('repoRoot: no package.json named sipedge above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Absolute path of a SIPp scenario in test/scenarios (name with or without '.xml'). */
export function scenarioPath(name: string): string {
  const file = name.endsWith('.xml') ? name : `${name}.xml`;
  return join(repoRoot(), 'test', 'scenarios', file);
}
