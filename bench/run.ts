// `npm run bench`: runs the SIPp-driven benchmarks on loopback and writes their figures into
// docs/benchmarks.md (between per-section markers, so the prose around them stays as written).
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../test/helpers/paths.js';
import { benchCalls } from './calls.js';
import { benchDrachtio } from './drachtio.js';
import { benchEngineCore, type Row } from './engine-core.js';
import { benchRegistrar } from './registrar.js';
import { cpuJiffies, cpuReferenceMs, stealPercent } from './lib/cpu-reference.js';

const sections: Record<string, (log: (s: string) => void) => Promise<Row[]>> = {
  'engine-core': benchEngineCore,
  drachtio: benchDrachtio,
  registrar: benchRegistrar,
  calls: benchCalls,
};

function table(rows: Row[]): string {
  const lines = ['| measurement | result | target |', '|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.what} | ${r.value} | ${r.target ?? ''} |`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const docPath = join(repoRoot(), 'docs', 'benchmarks.md');
  let doc = await readFile(docPath, 'utf8');
  for (const [name, run] of Object.entries(sections)) {
    if (only.length && !only.includes(name)) continue;
    process.stdout.write(`== ${name}\n`);
    const refBefore = cpuReferenceMs();
    const jiffies = cpuJiffies();
    const rows = await run((s) => process.stdout.write(`  ${s}\n`));
    const steal = stealPercent(jiffies, cpuJiffies());
    const refAfter = cpuReferenceMs();
    const stamp =
      `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}, SIPp on the same machine; ` +
      `CPU reference ${refBefore} ms before, ${refAfter} ms after (bench/lib/cpu-reference.ts; lower is faster), CPU steal ${steal} %.`;
    const block = `<!-- bench:${name}:start -->\n${stamp}\n\n${table(rows)}\n<!-- bench:${name}:end -->`;
    const re = new RegExp(`<!-- bench:${name}:start -->[\\s\\S]*?<!-- bench:${name}:end -->`);
    doc = re.test(doc) ? doc.replace(re, block) : `${doc.trimEnd()}\n\n${block}\n`;
    process.stdout.write(`${table(rows)}\n`);
  }
  await writeFile(docPath, doc);
  process.stdout.write(`figures written to ${docPath}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
