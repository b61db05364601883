/**
 * Sensitivity sweep benchmark (Node): the full default sweep of the default model (every group x
 * 10 ratios + every layer x 6 weight widths, 1,000 test images) with the split-graph worker pool,
 * against a naive run (applyConfig + a new session + a full evaluation for every point), then the
 * predictor's error on 24 random configs, really applied and evaluated. Also writes
 * docs/sensitivity-results.md (the sweep tables and the predictor's error).
 *
 *   npm run bench -- sweep.bench   (this bench only; docs/benchmarks.md is written by a full `npm run bench`)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { applyConfig, type CompressionConfig } from '../../src/core/config/compression.ts';
import { loadDataset, validateManifest, type Dataset } from '../../src/core/eval/dataset.ts';
import { evaluate } from '../../src/core/eval/evaluate.ts';
import { createOrtRunner, type OrtModule } from '../../src/core/eval/ort-runner.ts';
import { loadModel } from '../../src/core/graph/index.ts';
import { decodeModel } from '../../src/core/onnx/model.ts';
import {
  SweepModel,
  allocate,
  planSweep,
  pointConfig,
  predictAccuracy,
  DEFAULT_BITS,
  DEFAULT_RATIOS,
  type SweepRequest,
  type SweepResult,
} from '../../src/core/sensitivity/index.ts';
import { runSensitivity, sweepTables } from '../../src/cli/commands/sensitivity.ts';
import { mulberry32 } from '../../src/core/data/random.ts';
import type { BenchSection } from './harness.ts';

const root = resolve(import.meta.dirname, '../..');
const IMAGES = 1000;
const CONFIGS = 24;
const REQUEST: SweepRequest = { prune: { ratios: [...DEFAULT_RATIOS] }, weightBits: { bits: [...DEFAULT_BITS] }, limit: IMAGES, batchSize: 100 };


async function data(split: string): Promise<Dataset> {
  const manifestPath = resolve(root, 'public/data/fmnist.json');
  const manifest = validateManifest(JSON.parse(readFileSync(manifestPath, 'utf8')));
  return loadDataset(manifest, split, async (p) => new Uint8Array(readFileSync(resolve(dirname(manifestPath), p))));
}

async function measure(ort: OrtModule, bytes: Uint8Array, test: Dataset, shape: (number | null)[]) {
  const runner = await createOrtRunner(ort, bytes);
  try {
    return await evaluate(runner, test, shape, { limit: IMAGES, batchSize: 100 });
  } finally {
    await runner.release();
  }
}

/** Random full configs in the range where a depthwise-separable net without fine-tuning still works. */
const REGIMES = {
  /** Every group pruned by one of these ratios, every layer's weights at one of these widths (3 configs in 4). */
  harsh: { ratios: [0, 0, 0.1, 0.1, 0.2, 0.3], bits: [3, 4, 5, 6, 8] },
  mild: { ratios: [0, 0, 0, 0, 0.1, 0.2], bits: [4, 5, 6, 8] },
} as const;

function randomConfig(rand: () => number, sweep: SweepResult, regime: keyof typeof REGIMES = 'harsh'): CompressionConfig {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const layers: NonNullable<CompressionConfig['layers']> = {};
  // Only the last group (256 channels) is robust to pruning without fine-tuning; the mild regime leaves the first three alone.
  for (const [i, g] of sweep.groups.entries()) {
    if (regime === 'mild' && i < 3) continue;
    const ratio = pick(REGIMES[regime].ratios);
    if (ratio > 0) layers[g.producers[0]] = { prune: { ratio } };
  }
  const quantize = rand() < 0.75;
  if (quantize) for (const l of sweep.layers) layers[l.name] = { ...(layers[l.name] ?? {}), weightBits: pick(REGIMES[regime].bits) };
  return { version: 1, prune: { criterion: 'l1', roundTo: 1 }, ...(quantize ? { quant: { weightBits: 8 } } : {}), layers };
}

const pct = (x: number) => (100 * x).toFixed(2);

export async function run(): Promise<BenchSection> {
  const modelPath = resolve(root, 'public/models/dscnn-fmnist.onnx');
  const bytes = new Uint8Array(readFileSync(modelPath));
  const test = await data('test');
  const shape = loadModel(bytes).summary.inputs[0].shape;
  const model = decodeModel(bytes);
  const sm = new SweepModel(model);
  const plan = planSweep(sm, REQUEST);
  const workers = availableParallelism();
  const load = loadavg()[0].toFixed(1);

  // 1. The engine: split graphs, shared prefixes, one session per curve for weight widths, a worker pool.
  const runPool = async (n: number) => {
    const t0 = performance.now();
    const result = await runSensitivity(bytes, 'dscnn-fmnist', test, REQUEST, { workers: n, engine: 'wasm' });
    return { result, seconds: (performance.now() - t0) / 1000 };
  };
  // SWEEP_BENCH_REUSE=1 reuses the last sweep (node_modules/.cache) and only rewrites docs/sensitivity-results.md.
  const reusePath = resolve(root, 'node_modules/.cache/edgefold-default-sweep.json');
  const reuse = process.env.SWEEP_BENCH_REUSE === '1' && existsSync(reusePath);
  const pooled: { result: SweepResult; seconds: number } = reuse ? JSON.parse(readFileSync(reusePath, 'utf8')) : await runPool(workers);
  if (!reuse) {
    mkdirSync(dirname(reusePath), { recursive: true });
    writeFileSync(reusePath, JSON.stringify({ ...pooled, load }));
  }
  const sweepLoad = reuse ? (JSON.parse(readFileSync(reusePath, 'utf8')) as { load: string }).load : load;
  console.log(`   engine, ${workers} workers: ${pooled.seconds.toFixed(1)} s${reuse ? ' (reused)' : ''}`);
  const web = (await import('onnxruntime-web')) as unknown as OrtModule & { env: { wasm: { numThreads?: number }; logLevel?: string } };
  web.env.wasm.numThreads = 1;
  web.env.logLevel = 'error';
  const sweep = pooled.result;
  const regimeRows: Record<string, { rows: string[]; mean: number; max: number }> = {};
  for (const regime of ['harsh', 'mild'] as const) {
    const rand = mulberry32(regime === 'harsh' ? 20240601 : 7);
    const rows: string[] = [];
    const errors: number[] = [];
    for (let i = 0; i < CONFIGS; i++) {
      const config = randomConfig(rand, sweep, regime);
      const predicted = predictAccuracy(sweep, config);
      const applied = applyConfig(model, config);
      const measured = await measure(web, applied.bytes, test, shape);
      const error = predicted.top1 - measured.top1;
      errors.push(Math.abs(error));
      const pruned = Object.values(config.layers ?? {}).filter((l) => l.prune).length;
      const bits = config.quant ? Object.values(config.layers ?? {}).map((l) => l.weightBits ?? 8) : [];
      rows.push(
        `| ${i + 1} | ${pruned} | ${bits.length ? `${Math.min(...bits)}-${Math.max(...bits)}` : 'float'} | ${(100 * (1 - applied.report.after.macs / applied.report.before.macs)).toFixed(1)} % | ${pct(predicted.top1)} | ${pct(measured.top1)} | ${(100 * error).toFixed(2)} |`,
      );
    }
    regimeRows[regime] = { rows, mean: errors.reduce((a, b) => a + b, 0) / errors.length, max: Math.max(...errors) };
    console.log(`   predictor (${regime}): mean |error| ${(100 * regimeRows[regime].mean).toFixed(2)} pp, max ${(100 * regimeRows[regime].max).toFixed(2)} pp`);
  }
  const meanError = regimeRows.harsh.mean;
  const maxError = regimeRows.harsh.max;

  // 4. Allocations, measured.
  const allocations: string[] = [];
  for (const [label, target, options] of [
    ['max drop 1 pp (prune + bits)', { maxDrop: 0.01 }, {}],
    ['max drop 1 pp (bits only)', { maxDrop: 0.01 }, { prune: false }],
    ['MACs <= 80 % (prune only)', { targetMacs: 0.8 * sweep.model.macs }, { bits: false }],
  ] as const) {
    const a = allocate(sweep, target, options);
    const applied = applyConfig(model, a.config);
    const measured = await measure(web, applied.bytes, test, shape);
    allocations.push(
      `| ${label} | ${a.met ? 'yes' : 'no'} | ${(applied.report.after.macs / 1e6).toFixed(2)} M | ${(applied.report.after.weightMemoryBits / 8 / 1024).toFixed(1)} KiB | ${pct(a.prediction.top1)} | ${pct(measured.top1)} |`,
    );
  }

  const points = plan.points.length;
  const distinct = plan.units.reduce((n, u) => n + u.points.length, 0);
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, load average ${sweepLoad} when the sweep started (the machine is shared)`;

  const resultsDoc = [
    '# Sensitivity results: default model',
    '',
    `Written by \`npm run bench -- sweep.bench\` (tools/bench/sweep.bench.ts) on ${new Date().toISOString().slice(0, 10)}.`,
    `Model \`public/models/dscnn-fmnist.onnx\`; the first ${IMAGES} Fashion-MNIST test images; onnxruntime-web (wasm) in Node;`,
    `prune: L1 filter norm, round to 1, one channel group at a time; weights: per-channel, float scale, round half to even, one layer at a time (BN folded first).`,
    'Top-1 in %. `edgefold sensitivity public/models/dscnn-fmnist.onnx` (same defaults) prints the same tables.',
    `Sweep time: ${pooled.seconds.toFixed(1)} s with ${workers} workers (machine: ${machine}).`,
    '',
    '```',
    sweepTables(sweep),
    '```',
    '',
    `## Predictor error (2 x ${CONFIGS} random full configs)`,
    '',
    `Each config is applied with \`applyConfig\` and evaluated on the same ${IMAGES} images. Prediction: \`predictAccuracy\`, the single-layer`,
    'top-1s (each linearly interpolated on its curve) combined in the log-odds of the accuracy above chance (`combineTop1`, docs/sensitivity.md).',
    '',
    `- **harsh** (every group pruned by a ratio from {0, 0, 0.1, 0.1, 0.2, 0.3}; in 3 configs of 4 every layer at a random width from {3, 4, 5, 6, 8}):`,
    `  **mean absolute error ${(100 * regimeRows.harsh.mean).toFixed(2)} pp, max ${(100 * regimeRows.harsh.max).toFixed(2)} pp**.`,
    `- **mild** (the first three groups untouched, the others from {0, 0, 0, 0, 0.1, 0.2}; widths from {4, 5, 6, 8}):`,
    `  **mean absolute error ${(100 * regimeRows.mild.mean).toFixed(2)} pp, max ${(100 * regimeRows.mild.max).toFixed(2)} pp**.`,
    '',
    'This model was trained without any pruning in mind and is not fine-tuned after pruning, so pruning a single early',
    'group by 10 % already costs up to 25 points, and drops of several groups compound. The log-odds rule compounds them too,',
    'but pairs of layers also interact in ways no single curve shows, so harsh configs still miss by several points.',
    'Where the drops are small (the regime an allocation targets) it is close.',
    '',
    ...(['harsh', 'mild'] as const).flatMap((regime) => [
      `### ${regime}`,
      '',
      '| config | groups pruned | weight bits | MACs removed | predicted top-1 | measured top-1 | predicted - measured (pp) |',
      '|---|---|---|---|---|---|---|',
      ...regimeRows[regime].rows,
      '',
    ]),
    '## Allocations from these curves, measured',
    '',
    '| target | met (predicted) | MACs | weight memory | predicted top-1 | measured top-1 |',
    '|---|---|---|---|---|---|',
    ...allocations,
    '',
  ].join('\n');
  writeFileSync(resolve(root, 'docs/sensitivity-results.md'), resultsDoc);
  console.log('   wrote docs/sensitivity-results.md');
  if (reuse) return { title: 'Sensitivity sweep (reused)', body: 'SWEEP_BENCH_REUSE=1: docs/sensitivity-results.md rewritten from the last sweep; no timings.' };

  // 5. Naive: every point is applyConfig + a new session + the whole model on every image, one at a time.
  const t0 = performance.now();
  let maxDiff = 0;
  for (const p of plan.points) {
    const config = pointConfig(sm, plan.settings, p);
    const r = await measure(web, applyConfig(model, config).bytes, test, shape);
    const fast = pooled.result.points.find((x) => x.modelKey === p.modelKey && x.kind === p.kind && x.target === p.target && x.value === p.value) ?? pooled.result.points[0];
    const m = p.modelKey === 'baseline' ? pooled.result.baseline : fast.metrics!;
    maxDiff = Math.max(maxDiff, Math.abs(m.top1 - r.top1), Math.abs(m.loss - r.loss));
  }
  const naiveSeconds = (performance.now() - t0) / 1000;
  console.log(`   naive: ${naiveSeconds.toFixed(1)} s, max |difference| ${maxDiff}`);

  const speedup = naiveSeconds / pooled.seconds;

  // 6. The engine on one worker, to separate the split-graph gain from the pool's.
  const single = process.env.SWEEP_BENCH_SKIP_SINGLE ? undefined : await runPool(1);
  if (single) console.log(`   engine, 1 worker: ${single.seconds.toFixed(1)} s`);

  return {
    title: 'Sensitivity sweep: full default sweep of the default model (Node, onnxruntime-web wasm)',
    body: [
      `${points} points (${sweep.groups.length} groups x ${DEFAULT_RATIOS.length} ratios + ${sweep.layers.length} layers x ${DEFAULT_BITS.length} weight widths), ${IMAGES} test images each; ${distinct} distinct models once ratio 0 (the baseline) is shared.`,
      `Machine: ${machine}. This is Node, not headless Chromium (see docs/sensitivity.md for the browser).`,
      '',
      '| run | seconds | images/s (points x images / s) | vs naive |',
      '|---|---|---|---|',
      `| naive: applyConfig + new session + whole model, per point, 1 thread | ${naiveSeconds.toFixed(1)} | ${((points * IMAGES) / naiveSeconds).toFixed(0)} | 1.0x |`,
      ...(single ? [`| engine, 1 worker (split graph, shared prefix, weight feeds, dedup) | ${single.seconds.toFixed(1)} | ${((points * IMAGES) / single.seconds).toFixed(0)} | ${(naiveSeconds / single.seconds).toFixed(1)}x |`] : []),
      `| engine, ${workers} workers | ${pooled.seconds.toFixed(1)} | ${((points * IMAGES) / pooled.seconds).toFixed(0)} | ${speedup.toFixed(1)}x |`,
      '',
      `Targets: under 60 s (aim 20 s): ${pooled.seconds < 60 ? 'met' : 'NOT met'} (${pooled.seconds.toFixed(1)} s). At least 3x faster than naive on the same cores: ${
        single ? `${naiveSeconds / single.seconds >= 3 ? 'met' : 'NOT met'} (1 worker vs the 1-thread naive run: ${(naiveSeconds / single.seconds).toFixed(1)}x)` : 'not measured (SWEEP_BENCH_SKIP_SINGLE)'
      }. The ${workers}-worker row uses ${workers} cores against this naive run's one, so its ${speedup.toFixed(1)}x is not that comparison; the browser section runs naive on 2 threads too.`,
      `Largest |difference| in top-1 or loss between a naive point and the same engine point: ${maxDiff} (the engine's numbers are the naive numbers).`,
      `Predictor on ${CONFIGS} harsh random configs: mean |error| ${(100 * meanError).toFixed(2)} pp, max ${(100 * maxError).toFixed(2)} pp; on ${CONFIGS} mild ones ${(100 * regimeRows.mild.mean).toFixed(2)} / ${(100 * regimeRows.mild.max).toFixed(2)} pp (docs/sensitivity-results.md).`,
    ].join('\n'),
  };
}
