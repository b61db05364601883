/**
 * `npm run bench`: runs every tools/bench/*.bench.ts (each exports `run(): Promise<BenchSection>`)
 * and writes docs/benchmarks.md with the machine and the date. `npm run bench -- ort` runs only
 * the benches whose file name contains "ort".
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import type { BenchSection } from './harness.ts';

const dir = import.meta.dirname;
const filter = process.argv[2];
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter)))
  .sort();

const sections: BenchSection[] = [];
for (const file of files) {
  console.log(`== ${file}`);
  const mod = (await import(resolve(dir, file))) as { run?: () => Promise<BenchSection> };
  if (typeof mod.run !== 'function') {
    console.log(`   (no run() export, skipped)`);
    continue;
  }
  const section = await mod.run();
  console.log(section.body);
  sections.push(section);
}

const cpu = cpus();
const machine = `${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
const doc = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.`,
  `Machine: ${machine}.`,
  '',
  'Speed targets live here, never in timed unit tests. Each number is the median of repeated runs unless a section says otherwise.',
  '',
  ...sections.flatMap((s) => [`## ${s.title}`, '', s.body, '']),
].join('\n');
if (!filter) {
  writeFileSync(resolve(dir, '../../docs/benchmarks.md'), doc);
  console.log('wrote docs/benchmarks.md');
} else {
  console.log('(filtered run: docs/benchmarks.md not written)');
}
