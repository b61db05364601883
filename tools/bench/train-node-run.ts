/**
 * Child process of tools/bench/train.bench.ts: trains the default model with the real loop
 * (train(): generated graph on onnxruntime-node, AdamW in TypeScript), batch 128, no KD, no
 * augmentation, and prints images/s (steps after the first) and this process's peak RSS.
 *
 *   node --import tsx tools/bench/train-node-run.ts <threads> <steps>
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadDataset, validateManifest } from '../../src/core/eval/dataset.ts';
import type { OrtModule } from '../../src/core/eval/ort-runner.ts';
import { decodeModel } from '../../src/core/onnx/model.ts';
import { train } from '../../src/core/train/trainer.ts';

const threads = Number(process.argv[2] ?? 2);
const steps = Number(process.argv[3] ?? 10);
const root = resolve(import.meta.dirname, '../..');
const manifestPath = resolve(root, 'public/data/fmnist.json');
const data = await loadDataset(validateManifest(JSON.parse(readFileSync(manifestPath, 'utf8'))), 'train', async (p) => new Uint8Array(readFileSync(resolve(dirname(manifestPath), p))));
const model = decodeModel(new Uint8Array(readFileSync(resolve(root, 'public/models/dscnn-fmnist.onnx'))));
const result = await train({ ort: ort as unknown as OrtModule, sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 } }, model, data, {
  epochs: 1,
  batchSize: 128,
  limit: 128 * (steps + 1),
  lr: 1e-3,
  optimizer: { name: 'adamw', weightDecay: 1e-4 },
  seed: 1,
  augment: { pad: 0, flip: false },
});
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
console.log(JSON.stringify({ imagesPerSecond: result.imagesPerSecond, threads, steps: result.steps, peakRssMiB: hwm ? Number(hwm[1]) / 1024 : null }));
