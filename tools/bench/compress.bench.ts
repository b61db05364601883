/**
 * Compression timings: `applyConfig` on the default model (public/models/dscnn-fmnist.onnx) for a
 * pruning-only, a quantization-only and a combined config. Calibration statistics for the
 * combined config are gathered once beforehand (on 200 calibration images; their values do not
 * affect the timing). Target (issue 3): applyConfig well under 100 ms.
 * Run: node --import tsx tools/bench/compress.bench.ts   (or through tools/bench/run.ts)
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { applyConfig, calibrateConfig, type CompressionConfig } from '../../src/core/config/compression.ts';
import { loadDataset, validateManifest } from '../../src/core/eval/dataset.ts';
import { decodeModel } from '../../src/core/onnx/model.ts';
import { ortBatchSource } from '../../src/core/quant/ort-calibration.ts';
import { time, timingTable, type BenchSection } from './harness.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const modelPath = resolve(root, 'public/models/dscnn-fmnist.onnx');
const manifestPath = resolve(root, 'public/data/fmnist.json');

const CONFIGS: [string, CompressionConfig][] = [
  ['prune 25 %, round to 8', { version: 1, prune: { ratio: 0.25, roundTo: 8 } }],
  ['W8 per-channel (weights only)', { version: 1, quant: { weightBits: 8 } }],
  ['prune 25 % + W8A8 po2 (calibrated)', { version: 1, prune: { ratio: 0.25, roundTo: 8 }, quant: { weightBits: 8, activationBits: 8, scale: 'po2' } }],
  ['W8A8 int8-qdq export (calibrated)', { version: 1, quant: { weightBits: 8, activationBits: 8, format: 'int8-qdq' } }],
];

export async function run(): Promise<BenchSection> {
  if (!existsSync(modelPath) || !existsSync(manifestPath)) {
    return { title: 'Compression (applyConfig)', body: `skipped: ${modelPath} or ${manifestPath} is missing.` };
  }
  ort.env.logLevel = 'error';
  const model = decodeModel(new Uint8Array(readFileSync(modelPath)), 'dscnn-fmnist.onnx');
  const manifest = validateManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
  const calib = await loadDataset(manifest, 'calibration', async (p) => new Uint8Array(readFileSync(resolve(dirname(manifestPath), p))));
  const timings = [];
  for (const [name, config] of CONFIGS) {
    const calibration = await calibrateConfig(model, config, ortBatchSource(ort, calib, [null, 1, 28, 28], { limit: 200, batchSize: 100 }));
    timings.push(await time(`applyConfig: ${name}`, () => applyConfig(model, config, calibration), { runs: 20, warmup: 3 }));
  }
  const body = [
    'applyConfig on the default model (129,594 params, 14 conv/FC layers), synchronous, in-process; returns the encoded ONNX bytes and the report.',
    '',
    timingTable(timings, (t) => (t.medianMs < 100 ? 'well under 100 ms: met' : 'under 100 ms: MISSED')),
  ].join('\n');
  return { title: 'Compression (applyConfig)', body };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const section = await run();
  console.log(`## ${section.title}\n\n${section.body}`);
}
