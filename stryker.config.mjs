// Mutation testing of the core's formulas and rules (issue 14; docs/testing.md).
// `npm run mutation` (niced) mutates everything in scope; MUTATION_SCOPE=hw (or quant, graph,
// prune, sensitivity, train; several comma-separated) runs those folders, with their own
// incremental file and reports under reports/mutation/.
// @ts-check
import { resolve } from 'node:path';

/** Where formulas and rules live, per folder. Left out: type-only files, barrels, device and data
 * tables, onnxruntime glue (ort-calibration), test helpers (hw/fixtures.ts, prune/testing.ts). */
const SCOPE = {
  // hardware engines, pipeline, power, memory, folding rules (not the autoFold search, not config parsing)
  hw: ['src/core/hw/engines/*.ts', 'src/core/hw/{pipeline,power,memory,folding,layers}.ts'],
  // quantizers, calibration, BN folding
  quant: ['src/core/quant/{quantize,calibrate,fold,grid}.ts'],
  // shape rules and window geometry (not the inference loop and constant folding of shapes.ts) and the layer view
  graph: ['src/core/graph/{shape-rules,layers,layer}.ts'],
  // pruning groups, importance and surgery
  prune: ['src/core/prune/{groups,importance,surgery,plan,slice,mask}.ts'],
  // part of a folder's scope, for a run that would not finish in one sitting (same folder's tests)
  'prune-groups': ['src/core/prune/groups.ts'],
  // sweep cache keys, point keys, predictor and allocator
  sensitivity: ['src/core/sensitivity/{cache,points,predictor,allocator}.ts'],
  // retraining: the gradient rules, loss, optimizers, schedule, augmentation and QAT quantizers
  // (not the training loop, session and export plumbing, exercised only by whole retraining runs)
  train: ['src/core/train/backward/*.ts', '!src/core/train/backward/index.ts', 'src/core/train/{loss,optimizer,schedule,augment,qat}.ts'],
};
const scopes = (process.env.MUTATION_SCOPE ?? '').split(',').filter(Boolean);
for (const s of scopes) if (!Object.hasOwn(SCOPE, s)) throw new Error(`MUTATION_SCOPE=${s}: use one or more of ${Object.keys(SCOPE).join(', ')} (comma-separated)`);
const files = scopes.length ? scopes.flatMap((s) => SCOPE[/** @type {keyof SCOPE} */ (s)]) : Object.values(SCOPE).flat();
const name = scopes.length ? scopes.join('+') : 'all';
// Tests run in a copy under .stryker-tmp/, where test/fixtures.ts's relative ../shared path misses.
// Scopes other than hw run without the third-party models (UltraFace alone costs 1.6 s per mutant;
// each folder has small fixtures of its own for what they check): their tests skip, saying why.
// MUTATION_THIRD_PARTY=1 keeps them.
const thirdParty = process.env.MUTATION_THIRD_PARTY === '1' || scopes.length === 0 || scopes.includes('hw');
process.env.EDGEFOLD_THIRD_PARTY_DIR ??= thirdParty
  ? resolve(import.meta.dirname, '../shared/fixtures/third_party')
  : resolve(import.meta.dirname, '.stryker-no-third-party');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  plugins: ['@stryker-mutator/vitest-runner'],
  coverageAnalysis: 'perTest',
  mutate: [...files, '!src/**/*.test.ts'],
  incremental: true,
  incrementalFile: `reports/mutation/${name}.incremental.json`,
  // event-recorder: one file per tested mutant, so a run stopped before its end still has results
  // (node tools/mutation-events.mjs reports/mutation/<scope>.events)
  reporters: ['clear-text', 'progress-append-only', 'html', 'json', 'event-recorder'],
  eventReporter: { baseDir: `reports/mutation/${name}.events` },
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  concurrency: 1,
  timeoutMS: 30_000,
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignoreStatic: true,
};
export default config;
