// The full-test-set accuracy check: minutes long, so it lives apart from quant.test.ts and is
// left out of mutation runs (vitest.mutation.config.ts); `npm test` still runs it.
import { dirname, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { DATA_MANIFEST, DEFAULT_MODEL, defaultModelMissing, readBytes } from '../../../test/fixtures.ts';
import { applyConfig, calibrateConfig, type CompressionConfig } from '../config/compression.ts';
import { loadDataset, validateManifest } from '../eval/dataset.ts';
import { evaluate } from '../eval/evaluate.ts';
import { createOrtRunner } from '../eval/ort-runner.ts';
import { decodeModel } from '../onnx/model.ts';
import { ortBatchSource } from './ort-calibration.ts';

ort.env.logLevel = 'error';

describe.skipIf(defaultModelMissing)('default model on Fashion-MNIST', () => {
  const manifest = () => validateManifest(JSON.parse(readFileSync(DATA_MANIFEST, 'utf8')));
  const read = async (p: string) => readBytes(resolve(dirname(DATA_MANIFEST), p));

  it('8-bit per-channel weights + 8-bit activations lose at most 0.5 pp top-1 on all 10,000 test images', async () => {
    const model = decodeModel(readBytes(DEFAULT_MODEL));
    const cfg: CompressionConfig = { version: 1, quant: { weightBits: 8, activationBits: 8, granularity: 'per-channel' } };
    const calibSplit = await loadDataset(manifest(), 'calibration', read);
    expect(calibSplit.count).toBe(1000);
    const calibration = await calibrateConfig(model, cfg, ortBatchSource(ort, calibSplit, [null, 1, 28, 28], { batchSize: 250 }));
    expect(calibration!.images).toBe(1000);
    const { bytes, report } = applyConfig(model, cfg, calibration);
    expect(report.quant!.layers.every((l) => l.activation?.bits === 8 && l.weightBits === 8)).toBe(true);
    const test = await loadDataset(manifest(), 'test', read);
    const top1 = async (b: Uint8Array) => {
      const runner = await createOrtRunner(ort, b);
      const r = await evaluate(runner, test, [null, 1, 28, 28], { batchSize: 500 });
      await runner.release();
      expect(r.n).toBe(10_000);
      return r.top1;
    };
    const [float, quant] = [await top1(readBytes(DEFAULT_MODEL)), await top1(bytes)];
    expect(float - quant).toBeLessThanOrEqual(0.005);
  }, 600_000); // two full test-set evaluations and a calibration: minutes on a busy 2-core machine
});
