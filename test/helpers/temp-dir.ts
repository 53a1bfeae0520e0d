// Per-test scratch directories, removed when the test ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TeardownHost } from './processes.js';

/** Creates a fresh directory under the OS temp dir and removes it in `t.teardown`. */
export function makeTempDir(t: TeardownHost, prefix = 'sipedge-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Set SIPEDGE_KEEP_TEST_FILES=1 to inspect logs and configs after a failing run.
  t.teardown(() => {
    if (!process.env.SIPEDGE_KEEP_TEST_FILES) rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
