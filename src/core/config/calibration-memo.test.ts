import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../onnx/model.ts';
import { arrayBatchSource, countingBatchSource, randomValues, residualModel, seeded } from '../prune/testing.ts';
import { CalibrationMemo } from './calibration-memo.ts';
import { calibrateConfig, type CompressionConfig } from './compression.ts';

ort.env.logLevel = 'error';

const model = residualModel();
const modelBytes = encodeModel(model);
const rand = seeded(7);
const batches = [Float32Array.from(randomValues(rand, 4 * 192, 2)), Float32Array.from(randomValues(rand, 4 * 192, 2))];
const config: CompressionConfig = { version: 1, prune: { ratio: 0.25 }, quant: { weightBits: 6, activationBits: 8 } };

/** The real batch source over the test batches, counting the passes over the model it starts. */
const countingSource = () => countingBatchSource(ort, batches, [4, 3, 8, 8]);

describe('calibration statistics reused within a worker', () => {
  it('gathers once per model, pruning and data; the reused statistics are the ones calibrateConfig gathers', async () => {
    const memo = new CalibrationMemo();
    const counted = countingSource();
    const request = { model, modelBytes, dataId: 'calib', config, source: counted.source };
    const first = await memo.calibrate(request);
    expect(counted.passes).toBe(2); // calibration reads the images twice (ranges, then histograms)
    expect(first).toEqual(await calibrateConfig(model, config, arrayBatchSource(ort, batches, [4, 3, 8, 8])));
    // The same design again (another request's copy of the bytes, other weight bits): no new pass.
    expect(await memo.calibrate({ ...request, modelBytes: modelBytes.slice(), config: { ...config, quant: { ...config.quant, weightBits: 4 } } })).toEqual(first);
    expect(counted.passes).toBe(2);
    // Another pruning, other data, data without an identity: gathered again.
    await memo.calibrate({ ...request, config: { ...config, prune: { ratio: 0.5 } } });
    expect(counted.passes).toBe(4);
    await memo.calibrate({ ...request, dataId: 'other' });
    expect(counted.passes).toBe(6);
    await memo.calibrate({ ...request, dataId: null });
    await memo.calibrate({ ...request, dataId: null });
    expect(counted.passes).toBe(10);
    // Weights only: nothing to gather.
    expect(await memo.calibrate({ ...request, config: { version: 1, quant: { weightBits: 4, activationBits: null } } })).toBeUndefined();
  });

  it('shares a gathering in progress; when its owner is cancelled, the waiter gathers for itself', async () => {
    const memo = new CalibrationMemo();
    const counted = countingSource();
    const request = { model, modelBytes, dataId: 'calib', config, source: counted.source };
    const [a, b] = await Promise.all([memo.calibrate(request), memo.calibrate(request)]);
    expect(b).toBe(a);
    expect(counted.passes).toBe(2);

    const other = { ...request, config: { ...config, prune: { ratio: 0.5 } } };
    const owner = new AbortController();
    const owned = memo.calibrate({ ...other, signal: owner.signal });
    const waiting = memo.calibrate(other);
    owner.abort();
    await expect(owned).rejects.toThrow();
    const stats = await waiting;
    expect(stats?.images).toBe(8);
    expect(stats).toEqual(await memo.calibrate(other)); // and kept for the next one
  });
});
