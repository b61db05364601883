/**
 * The long fuzz run (the CI run in test/fuzz/fuzz.test.ts is a bounded slice of it):
 *   node --import tsx tools/fuzz.ts [--seed N] [--models N] [--datasets N] [--configs N]
 * Defaults: 15,000 model cases (split over the default and third-party models), 3,000 dataset and
 * 3,000 config cases = 21,000. Prints the counts docs/limits.md quotes and exits 1 on any failure.
 */
import { parseArgs } from 'node:util';
import { peakRssBytes, runFuzz } from '../test/fuzz/harness.ts';

const { values } = parseArgs({ options: { seed: { type: 'string' }, models: { type: 'string' }, datasets: { type: 'string' }, configs: { type: 'string' } } });
const options = {
  seed: Number(values.seed ?? 16),
  modelCases: Number(values.models ?? 15_000),
  datasetCases: Number(values.datasets ?? 3_000),
  configCases: Number(values.configs ?? 3_000),
};
const started = performance.now();
const stats = await runFuzz({ ...options, onProgress: (done, total) => done % 1000 === 0 && console.error(`fuzz: ${done}/${total}`) });
const seconds = (performance.now() - started) / 1000;
console.log(`seed ${options.seed}: ${stats.cases} cases in ${seconds.toFixed(0)} s; ${stats.accepted} accepted, ${stats.refused} refused, ${stats.failures.length} failures`);
console.log(`slowest case ${stats.slowestMs.toFixed(0)} ms (${stats.slowest}); peak RSS ${(peakRssBytes() / 2 ** 20).toFixed(0)} MiB`);
console.log('| target | cases | accepted | refused |\n|---|---:|---:|---:|');
for (const [target, c] of Object.entries(stats.byTarget)) console.log(`| ${target} | ${c.cases} | ${c.accepted} | ${c.refused} |`);
for (const f of stats.failures.slice(0, 50)) console.log(`FAIL ${f.target} seed ${f.seed} (${f.kind}): ${f.error}`);
process.exitCode = stats.failures.length ? 1 : 0;
