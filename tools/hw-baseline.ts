/**
 * Writes the estimates of test/hw-scenarios.ts to src/core/hw/testdata/estimate-baseline.json,
 * with the commit they were computed at. Run it on the code whose numbers are the reference
 * (issue 17: main at 695a0f6, before the engine-contract refactor); baseline.test.ts then checks
 * that later code gives the same numbers.
 * Run: node --import tsx tools/hw-baseline.ts
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { digestEstimate, encodeNumbers, hwScenarios, runScenario, scenarioModels } from '../test/hw-scenarios.ts';

const root = resolve(import.meta.dirname, '..');
const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src/core'], { cwd: root, encoding: 'utf8' }).trim() !== '';
const models = scenarioModels();
const results: Record<string, unknown> = {};
const missing = Object.keys(models).filter((m) => models[m] === null);
for (const s of hwScenarios()) {
  const layers = models[s.model];
  if (!layers) continue;
  const { folding, estimate } = runScenario(s, layers);
  results[s.id] = { folding, ...digestEstimate(estimate) };
}
const out = {
  note: 'Estimates computed by tools/hw-baseline.ts; the reference for src/core/hw/baseline.test.ts.',
  commit: dirty ? `${commit} (src/core modified)` : commit,
  computedAt: new Date().toISOString().slice(0, 10),
  missingModels: missing,
  results,
};
const path = resolve(root, 'src/core/hw/testdata/estimate-baseline.json');
// One scenario per line, so that a diff shows which scenarios moved.
const head = JSON.stringify({ ...out, results: undefined }, null, 1).replace(/\n}$/, '');
const lines = Object.entries(results).map(([id, r]) => `  ${JSON.stringify(id)}: ${JSON.stringify(r, encodeNumbers)}`);
writeFileSync(path, `${head},\n "results": {\n${lines.join(',\n')}\n }\n}\n`);
console.log(`${Object.keys(results).length} scenarios at ${out.commit} -> ${path}${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`);
