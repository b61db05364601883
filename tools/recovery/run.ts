/**
 * Recovery table for docs/recovery-results.md: the default model compressed at a few prune ratios
 * and bit widths (applyConfig), then bias correction and a head re-fit (recoverCompressed), every
 * model measured on the complete Fashion-MNIST test set.
 *
 *   node --import tsx tools/recovery/run.ts [--engine wasm|native] [--train-per-class 500] [--train-from sample|calibration]
 *       [--reference pruned-float|original] [--mode sequential|all-at-once] [--limit N] [--json out.json] [--only p0.25-w4a4,...]
 *
 * Data (the test set is only ever measured on):
 * - calibration of activation ranges and bias correction: the bundled calibration split
 *   (1,000 training-set images, public/data);
 * - head re-fit: a stratified sample of the Fashion-MNIST training set (Debian's
 *   dataset-fashion-mnist), seed 1, disjoint from the calibration split; validation curves on
 *   the calibration split;
 * - accuracy: the 10,000 test images.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { applyConfig, calibrateConfig, type CompressionConfig } from '../../src/core/config/compression.ts';
import { loadDataset, parseIdx, validateManifest, type Dataset } from '../../src/core/eval/dataset.ts';
import { mulberry32, shuffleInPlace, subSeed } from '../../src/core/data/random.ts';
import { subset } from '../../src/core/data/prepare.ts';
import { decodeModel } from '../../src/core/onnx/model.ts';
import { ortBatchSource } from '../../src/core/quant/ort-calibration.ts';
import { localRecoveryEngines, recoverCompressed, type BiasReference, type RecoveryAccuracy } from '../../src/core/transfer/recover.ts';
import { loadOrt, type EngineName } from '../../src/cli/ort.ts';

const root = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'wasm' },
    'train-per-class': { type: 'string', default: '500' },
    /** 'sample': a training-set sample (default); 'calibration': the 1,000-image calibration split, as the app and `apply --recover` do with the bundled data. */
    'train-from': { type: 'string', default: 'sample' },
    limit: { type: 'string' },
    json: { type: 'string' },
    only: { type: 'string' },
    reference: { type: 'string', default: 'pruned-float' },
    mode: { type: 'string', default: 'sequential' },
  },
});
const engine = values.engine as EngineName;
const perClass = Number(values['train-per-class']);
const limit = values.limit ? Number(values.limit) : undefined;

const manifestPath = resolve(root, 'public/data/fmnist.json');
const manifest = validateManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
const read = async (rel: string) => new Uint8Array(readFileSync(resolve(root, 'public/data', rel)));
const test = await loadDataset(manifest, 'test', read);
const calibration = await loadDataset(manifest, 'calibration', read);

/** A stratified sample of the training set, leaving out the images of the calibration split. */
function trainingSample(): Dataset {
  const dir = '/usr/share/datasets/fashion-mnist';
  const images = parseIdx(new Uint8Array(readFileSync(`${dir}/train-images-idx3-ubyte.gz`)), 'train-images-idx3-ubyte.gz');
  const labels = parseIdx(new Uint8Array(readFileSync(`${dir}/train-labels-idx1-ubyte.gz`)), 'train-labels-idx1-ubyte.gz');
  const all: Dataset = { ...calibration, split: 'train', count: images.dims[0], pixels: images.data, labels: labels.data };
  // the calibration split's images, by content, so the sample is disjoint from it
  const key = (d: Dataset, i: number) => Buffer.from(d.pixels.subarray(i * 784, (i + 1) * 784)).toString('base64');
  const calibrationImages = new Set(Array.from({ length: calibration.count }, (_, i) => key(calibration, i)));
  const picks: number[] = [];
  for (let c = 0; c < manifest.classes.length; c++) {
    const idx = [];
    for (let i = 0; i < all.count; i++) if (all.labels[i] === c && !calibrationImages.has(key(all, i))) idx.push(i);
    shuffleInPlace(idx, mulberry32(subSeed(1, c)));
    picks.push(...idx.slice(0, perClass));
  }
  picks.sort((a, b) => a - b);
  return { ...subset(all, picks, 'train-sample'), name: 'Fashion-MNIST' };
}
const training = values['train-from'] === 'calibration' ? calibration : trainingSample();

const ort = await loadOrt(engine);
const floatBytes = new Uint8Array(readFileSync(resolve(root, 'public/models/dscnn-fmnist.onnx')));
const floatModel = decodeModel(floatBytes);
const inputShape: (number | null)[] = [null, 1, 28, 28];

const quant = (bits: number) => ({ weightBits: bits, activationBits: bits, granularity: 'per-channel' as const, scale: 'float' as const, rounding: 'half-even' as const });
const cases: { id: string; label: string; config: CompressionConfig }[] = [];
const grid: [number, number | null][] = [
  [0, 8], [0, 6], [0, 4],
  [0.25, null], [0.25, 8], [0.25, 4],
  [0.5, null], [0.5, 8],
];
for (const [ratio, bits] of grid) {
  cases.push({
    id: `p${ratio}-${bits ? `w${bits}a${bits}` : 'float'}`,
    label: `prune ${ratio * 100} %, ${bits ? `W${bits}/A${bits}` : 'float'}`,
    config: { version: 1, ...(ratio > 0 ? { prune: { criterion: 'l1' as const, ratio } } : {}), ...(bits ? { quant: quant(bits) } : {}) },
  });
}

const pct = (a?: RecoveryAccuracy) => (a ? (100 * a.top1).toFixed(2) : '-');
const delta = (a?: RecoveryAccuracy, b?: RecoveryAccuracy) => (a && b ? `${b.top1 >= a.top1 ? '+' : ''}${(100 * (b.top1 - a.top1)).toFixed(2)}` : '-');
const engines = localRecoveryEngines(ort, test, { limit });
const floatAccuracy = await engines.measure!(floatBytes);
console.log(`float model: ${pct(floatAccuracy)} % top-1 on ${floatAccuracy.images} test images (${engine})`);
console.log(`head re-fit data: ${training.count} images (${values['train-from'] === 'calibration' ? 'the calibration split' : `${perClass} per class from the training set`}); calibration ${calibration.count}; bias correction against the ${values.reference} model, ${values.mode}`);

const rows: Record<string, unknown>[] = [];
const lines = [
  '| design | params | compressed | + bias correction | Δ | + head re-fit | Δ | head re-fit alone | Δ |',
  '|---|---|---|---|---|---|---|---|---|',
];
for (const c of cases) {
  if (values.only && !values.only.split(',').includes(c.id)) continue;
  const t0 = performance.now();
  const calib = await calibrateConfig(floatModel, c.config, ortBatchSource(ort, calibration, inputShape, { batchSize: 100 }));
  const applied = applyConfig(floatModel, c.config, calib);
  const input = {
    floatBytes,
    compressedBytes: applied.bytes,
    config: c.config,
    quantReport: applied.report.quant,
    calibration,
    training,
    validation: calibration,
  };
  const biasCorrection = { reference: values.reference as BiasReference, mode: values.mode as 'sequential' | 'all-at-once' };
  const both = await recoverCompressed(engines, input, { steps: ['bias-correction', 'head-refit'], biasCorrection });
  // the head re-fit on its own (without bias correction first), to see what each step brings
  const refitOnly = await recoverCompressed({ ...engines, measure: undefined }, input, { steps: ['head-refit'] });
  const refitOnlyAccuracy = await engines.measure!(refitOnly.modelBytes);
  const [bc, refit] = both.steps;
  const row = {
    id: c.id,
    label: c.label,
    config: c.config,
    params: applied.report.after.params,
    compressed: both.compressed,
    biasCorrection: bc.accuracyAfter,
    biasCorrectionLayers: { corrected: bc.layersCorrected, skipped: bc.layersSkipped },
    meanShift: { before: bc.meanShiftBefore, after: bc.meanShiftAfter },
    headRefit: refit.accuracyAfter,
    headRefitIterations: refit.iterations,
    headRefitAlone: refitOnlyAccuracy,
    seconds: (performance.now() - t0) / 1000,
  };
  rows.push(row);
  const line = `| ${c.label} | ${row.params.toLocaleString('en-US')} | ${pct(both.compressed)} | ${pct(bc.accuracyAfter)} | ${delta(both.compressed, bc.accuracyAfter)} | ${pct(refit.accuracyAfter)} | ${delta(bc.accuracyAfter, refit.accuracyAfter)} | ${pct(refitOnlyAccuracy)} | ${delta(both.compressed, refitOnlyAccuracy)} |`;
  lines.push(line);
  console.log(`${line}   (${row.seconds.toFixed(0)} s; bias correction ${bc.layersCorrected} layers, mean |shift| ${bc.meanShiftBefore?.toFixed(4)} -> ${bc.meanShiftAfter?.toFixed(4)})`);
}
console.log(['', ...lines].join('\n'));
if (values.json) writeFileSync(values.json, JSON.stringify({ engine, float: floatAccuracy, trainingImages: training.count, rows }, null, 2) + '\n');
