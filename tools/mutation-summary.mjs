#!/usr/bin/env node
// Mutation score per folder and per file from Stryker's JSON report (reports/mutation/*.json).
// Usage: node tools/mutation-summary.mjs reports/mutation/hw.json [--survivors]
// Score = (killed + timed out) / (killed + timed out + survived + no coverage), as Stryker counts it;
// compile errors and ignored mutants are left out.
import { readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { countStatus, emptyTally, scoreOf } from './mutation-score.mjs';

const [file, flag] = process.argv.slice(2);
if (!file) {
  console.error('usage: node tools/mutation-summary.mjs <stryker json report> [--survivors]');
  process.exit(2);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const rows = new Map();
const add = (key, status) => rows.set(key, countStatus(rows.get(key) ?? emptyTally(), status));
const survivors = [];
for (const [path, f] of Object.entries(report.files)) {
  const rel = relative(process.cwd(), path) || path;
  for (const m of f.mutants) {
    add(`${dirname(rel)}/`, m.status);
    add(rel, m.status);
    add('total', m.status);
    if (flag === '--survivors' && (m.status === 'Survived' || m.status === 'NoCoverage')) {
      const line = f.source.split('\n')[m.location.start.line - 1] ?? '';
      survivors.push(`${rel}:${m.location.start.line} ${m.status} ${m.mutatorName} -> ${JSON.stringify(m.replacement ?? '')} | ${line.trim().slice(0, 140)}`);
    }
  }
}
const pct = (r) => scoreOf(r).score?.toFixed(1) ?? '-';
console.log('scope'.padEnd(52), 'mutants killed timeout survived nocov  score');
for (const [key, r] of [...rows].sort(([a], [b]) => (a === 'total' ? 1 : b === 'total' ? -1 : a.localeCompare(b)))) {
  const n = r.killed + r.timeout + r.survived + r.noCoverage;
  console.log(key.padEnd(52), String(n).padStart(7), String(r.killed).padStart(6), String(r.timeout).padStart(7), String(r.survived).padStart(8), String(r.noCoverage).padStart(5), pct(r).padStart(6));
}
if (survivors.length) console.log(`\n${survivors.join('\n')}`);
