// Mutants per file and line before a Stryker run (issue 14): instruments the files the way Stryker
// does (same mutators, ignoreStatic not applied) and prints counts, so a scope can be sized.
// node tools/count-mutants.mjs src/core/prune/*.ts [--lines]
import { readFileSync } from 'node:fs';
import { Instrumenter } from '@stryker-mutator/instrumenter';

const args = process.argv.slice(2);
const byLine = args.includes('--lines');
const files = args.filter((a) => !a.startsWith('--') && !a.endsWith('.test.ts'));
const logger = { isDebugEnabled: () => false, isTraceEnabled: () => false, debug() {}, trace() {}, info() {}, warn() {}, error() {}, fatal() {} };
const instrumenter = new Instrumenter(/** @type {any} */ (logger));
let total = 0;
for (const name of files) {
  const result = await instrumenter.instrument([{ name, content: readFileSync(name, 'utf8'), mutate: true }], {
    plugins: null, excludedMutations: [], ignorers: [], noHeader: false,
  });
  total += result.mutants.length;
  console.log(`${String(result.mutants.length).padStart(5)}  ${name}`);
  if (byLine) {
    const lines = new Map();
    for (const m of result.mutants) lines.set(m.location.start.line, (lines.get(m.location.start.line) ?? 0) + 1);
    console.log('       ' + [...lines].sort((a, b) => a[0] - b[0]).map(([l, n]) => `${l}:${n}`).join(' '));
  }
}
console.log(`${String(total).padStart(5)}  total`);
