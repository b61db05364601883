#!/usr/bin/env node
// Results of a Stryker run so far, from its event recorder (stryker.config.mjs writes one file per
// tested mutant to reports/mutation/<scope>.events/): a run stopped before its end writes no JSON
// report, but every mutant it tested is there. Counts as tools/mutation-summary.mjs counts them.
// Usage: node tools/mutation-events.mjs reports/mutation/prune.events [--survivors]
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const [dir, flag] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node tools/mutation-events.mjs <events directory> [--survivors]');
  process.exit(2);
}
const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0 };
const sources = new Map();
/** Per source file: [killed + timeout, valid] (a stopped run still gives a per-file table). */
const perFile = new Map();
const survivors = [];
const lines = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith('-onMutantTested.json')).sort()) {
  const m = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  if (m.status in counts) counts[m.status]++;
  else counts.other++;
  if (m.status in counts) {
    const rel = relative(process.cwd(), m.fileName);
    const r = perFile.get(rel) ?? [0, 0];
    r[0] += m.status === 'Killed' || m.status === 'Timeout' ? 1 : 0;
    r[1] += 1;
    perFile.set(rel, r);
  }
  if (m.status === 'Survived' || m.status === 'NoCoverage') {
    if (!sources.has(m.fileName)) sources.set(m.fileName, readFileSync(m.fileName, 'utf8').split('\n'));
    const line = m.location.start.line;
    survivors.push([relative(process.cwd(), m.fileName), line, `${m.status} ${m.mutatorName} -> ${JSON.stringify(m.replacement ?? '').slice(0, 80)} | ${sources.get(m.fileName)[line - 1].trim().slice(0, 110)}`]);
  }
  if (m.status !== 'NoCoverage' && m.status !== 'Ignored') lines.push(m.location.start.line);
}
const detected = counts.Killed + counts.Timeout;
const valid = detected + counts.Survived + counts.NoCoverage;
console.log('tested killed timeout survived nocov other  score');
console.log(
  [valid + counts.other, counts.Killed, counts.Timeout, counts.Survived, counts.NoCoverage, counts.other].map((n) => String(n).padStart(6)).join(' '),
  valid ? `${((100 * detected) / valid).toFixed(1)} %` : '-',
);
for (const [f, [d, v]] of [...perFile].sort(([a], [b]) => a.localeCompare(b))) console.log(`  ${f.padEnd(44)} ${String(v).padStart(5)} valid ${String(d).padStart(5)} detected ${((100 * d) / v).toFixed(1).padStart(5)} %`);
if (lines.length) console.log(`run mutants (not no-coverage) from line ${Math.min(...lines)} to ${Math.max(...lines)}`);
if (flag === '--survivors') for (const [f, l, s] of survivors.sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1])) console.log(`${f}:${l} ${s}`);
