/**
 * Reconstruction table for docs/recovery-results.md: the default model pruned (L1, uniform ratio
 * of every group, optionally quantized), reconstructed layer by layer on the bundled calibration
 * split (1,000 training-set images), measured on the complete Fashion-MNIST test set.
 *
 *   node --import tsx tools/recovery/reconstruct.ts [--ratios 0.25,0.5] [--bits 8] [--ridge 1e-3]
 *       [--engine wasm|native] [--limit N] [--calib N] [--steps reconstruct,bias-correction,head-refit] [--json out.json]
 *
 * Later steps (with --steps) learn from the same calibration split (the head re-fit too, as the
 * app and `edgefold apply --recover` do with the bundled data).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { applyConfig, calibrateConfig, type CompressionConfig } from '../../src/core/config/compression.ts';
import { loadDataset, validateManifest } from '../../src/core/eval/dataset.ts';
import { decodeModel } from '../../src/core/onnx/model.ts';
import { ortBatchSource } from '../../src/core/quant/ort-calibration.ts';
import { localRecoveryEngines, recoverCompressed, type RecoveryAccuracy, type RecoveryStepName } from '../../src/core/transfer/recover.ts';
import { loadOrt, type EngineName } from '../../src/cli/ort.ts';

const root = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'wasm' },
    ratios: { type: 'string', default: '0.25,0.5' },
    bits: { type: 'string' },
    ridge: { type: 'string' },
    limit: { type: 'string' },
    calib: { type: 'string' },
    json: { type: 'string' },
    steps: { type: 'string', default: 'reconstruct' },
  },
});
const engine = values.engine as EngineName;
const limit = values.limit ? Number(values.limit) : undefined;
const ridge = values.ridge ? Number(values.ridge) : undefined;

const manifestPath = resolve(root, 'public/data/fmnist.json');
const manifest = validateManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
const read = async (rel: string) => new Uint8Array(readFileSync(resolve(root, 'public/data', rel)));
const test = await loadDataset(manifest, 'test', read);
const calibration = await loadDataset(manifest, 'calibration', read);

const ort = await loadOrt(engine);
const floatBytes = new Uint8Array(readFileSync(resolve(root, 'public/models/dscnn-fmnist.onnx')));
const floatModel = decodeModel(floatBytes);
const bits = values.bits ? Number(values.bits) : null;
const engines = localRecoveryEngines(ort, test, { limit });
const pct = (a?: RecoveryAccuracy) => (a ? (100 * a.top1).toFixed(2) : '-');

const rows: Record<string, unknown>[] = [];
for (const ratio of values.ratios!.split(',').map(Number)) {
  const config: CompressionConfig = {
    version: 1,
    prune: { criterion: 'l1', ratio },
    ...(bits ? { quant: { weightBits: bits, activationBits: bits, granularity: 'per-channel', scale: 'float', rounding: 'half-even' } } : {}),
  };
  const calib = bits ? await calibrateConfig(floatModel, config, ortBatchSource(ort, calibration, [null, 1, 28, 28], { batchSize: 100 })) : undefined;
  const applied = applyConfig(floatModel, config, calib);
  const result = await recoverCompressed(
    engines,
    { floatBytes, compressedBytes: applied.bytes, config, quantReport: applied.report.quant, calibration, training: calibration },
    { steps: values.steps!.split(',') as RecoveryStepName[], reconstruct: { ridge, limit: values.calib ? Number(values.calib) : undefined } },
  );
  for (const s of result.steps.slice(1)) console.log(`   then ${s.step}: ${pct(s.accuracyAfter)} %`);
  const step = result.steps[0];
  const row = {
    ratio,
    bits,
    ridge: step.ridge,
    compressed: result.compressed,
    reconstructed: step.accuracyAfter,
    steps: result.steps.map((s) => ({ step: s.step, accuracyAfter: s.accuracyAfter, computeSeconds: s.computeSeconds })),
    reconstructSeconds: step.computeSeconds,
    stepSeconds: step.seconds,
    layers: result.reconstruction,
  };
  rows.push(row);
  console.log(
    `prune ${ratio * 100} %${bits ? ` W${bits}A${bits}` : ', float'}: ${pct(result.compressed)} -> ${pct(step.accuracyAfter)} % on ${step.accuracyAfter?.images} test images; ` +
      `reconstruction ${step.computeSeconds?.toFixed(1)} s (${engine}), ${step.layersReconstructed} layers, ridge ${step.ridge}`,
  );
  for (const l of result.reconstruction ?? []) {
    console.log(`   ${l.layer.padEnd(34)} in ${l.inputs}/${l.floatInputs} out ${l.outputs}  rel. error ${l.errorBefore?.toFixed(4)} -> ${l.errorAfter?.toFixed(4)}${l.reason ? `  (${l.reason})` : ''}`);
  }
}
if (values.json) writeFileSync(values.json, JSON.stringify({ engine, rows }, null, 2) + '\n');
