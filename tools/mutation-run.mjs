#!/usr/bin/env node
// `npm run mutation`: the whole mutation scope (issue 14), one Stryker run per folder in turn, each
// with its own incremental file, so a rerun only tests what changed. Prints each folder's wall
// time, load average and score, and writes reports/mutation/summary.json.
// MUTATION_SCOPE=hw,quant limits the folders; other arguments go to `stryker run`
// (e.g. `npm run mutation -- --concurrency 2`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { countStatus, emptyTally, scoreOf } from './mutation-score.mjs';

const FOLDERS = ['hw', 'quant', 'graph', 'prune', 'sensitivity', 'train'];
const requested = (process.env.MUTATION_SCOPE ?? '').split(',').filter(Boolean);
const folders = requested.length ? requested : FOLDERS;
const strykerArgs = process.argv.slice(2);

/** A folder's tally and score from its Stryker JSON report. */
function score(reportPath) {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  const tally = emptyTally();
  for (const file of Object.values(report.files)) for (const m of file.mutants) countStatus(tally, m.status);
  const { valid, score } = scoreOf(tally);
  return { ...tally, valid, score };
}

const rows = [];
let failed = false;
for (const folder of folders) {
  const load = loadavg()[0];
  const start = Date.now();
  console.log(`\n=== mutation: ${folder} (load average ${load.toFixed(1)}) ===`);
  const run = spawnSync('nice', ['-n', '19', 'npx', 'stryker', 'run', ...strykerArgs], {
    stdio: 'inherit',
    env: { ...process.env, MUTATION_SCOPE: folder },
  });
  const seconds = (Date.now() - start) / 1000;
  const reportPath = `reports/mutation/${folder}.json`;
  const row = { folder, seconds, loadAtStart: load, loadAtEnd: loadavg()[0], exitCode: run.status };
  if (run.status === 0 && existsSync(reportPath)) Object.assign(row, score(reportPath));
  else failed = true;
  rows.push(row);
}

const fmt = (s) => `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
const total = { valid: 0, detected: 0, seconds: 0 };
console.log('\nfolder        mutants  score    wall time      load start/end');
for (const r of rows) {
  total.seconds += r.seconds;
  if (r.valid) {
    total.valid += r.valid;
    total.detected += r.killed + r.timeout;
  }
  const pct = r.score == null ? 'failed' : `${r.score.toFixed(1)} %`;
  console.log(`${r.folder.padEnd(12)} ${String(r.valid ?? '-').padStart(8)}  ${pct.padStart(7)}  ${fmt(r.seconds).padEnd(14)} ${r.loadAtStart.toFixed(1)} / ${r.loadAtEnd.toFixed(1)}`);
}
const totalScore = total.valid ? (100 * total.detected) / total.valid : null;
console.log(`${'all'.padEnd(12)} ${String(total.valid).padStart(8)}  ${totalScore == null ? '-' : `${totalScore.toFixed(1)} %`}  ${fmt(total.seconds)}`);
mkdirSync('reports/mutation', { recursive: true });
writeFileSync(
  'reports/mutation/summary.json',
  `${JSON.stringify({ finished: new Date().toISOString(), strykerArgs, folders: rows, total: { ...total, score: totalScore } }, null, 1)}\n`,
);
process.exit(failed ? 1 : 0);
