/**
 * `npm run bench`: runs every tools/bench/*.bench.ts (each exports `run(): Promise<BenchSection>`)
 * and writes docs/benchmarks.md with the machine and the date. `npm run bench -- ort` runs only
 * the benches whose file name contains "ort"; `npm run bench -- ort --write` also replaces their
 * sections in docs/benchmarks.md (dated), leaving the others as they were.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import type { BenchSection } from './harness.ts';

const dir = import.meta.dirname;
const filter = process.argv.slice(2).find((a) => !a.startsWith('--'));
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
const today = new Date().toISOString().slice(0, 10);
const docPath = resolve(dir, '../../docs/benchmarks.md');
const render = (s: BenchSection) => `## ${s.title}\n\n${s.body}\n`;
if (!filter) {
  const doc = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${today}.`,
    `Machine: ${machine}.`,
    '',
    'Speed targets live here, never in timed unit tests. Each number is the median of repeated runs unless a section says otherwise.',
    '',
    ...sections.map(render),
  ].join('\n');
  writeFileSync(docPath, doc);
  console.log('wrote docs/benchmarks.md');
} else if (process.argv.includes('--write')) {
  // Re-run sections replace their namesakes in place (new ones are appended), each marked with its date.
  let doc = readFileSync(docPath, 'utf8');
  for (const section of sections) {
    const text = render({ ...section, body: `${section.body}\n\n(Re-run alone with \`npm run bench -- ${filter} --write\` on ${today}; machine: ${machine}.)` });
    const start = doc.indexOf(`## ${section.title}\n`);
    if (start < 0) {
      doc = `${doc.trimEnd()}\n\n${text}`;
      continue;
    }
    const next = doc.indexOf('\n## ', start + 1);
    doc = doc.slice(0, start) + text + (next < 0 ? '' : doc.slice(next + 1));
  }
  writeFileSync(docPath, doc);
  console.log(`updated ${sections.length} section(s) of docs/benchmarks.md`);
} else {
  console.log('(filtered run: docs/benchmarks.md not written; add --write to replace these sections)');
}
