/**
 * The app's Verilog export calibrates through the evaluator worker's CalibrationMemo: the
 * statistics a measurement of the design gathered (with the accelerator's extra tensors) build the
 * same integer network as a calibration of its own, and no pass over the images runs again.
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { tinyModel } from '../../../test/rtl-models.ts';
import { CalibrationMemo } from '../config/calibration-memo.ts';
import type { CompressionConfig } from '../config/compression.ts';
import { decodeModel } from '../onnx/model.ts';
import { arrayBatchSource, countingBatchSource, randomValues, seeded } from '../prune/testing.ts';
import { acceleratorExtraTaps, buildIntegerDesign, integerDesignFromCalibration } from './build.ts';

ort.env.logLevel = 'error';

const modelBytes = tinyModel(8);
const model = decodeModel(modelBytes);
const rand = seeded(5);
const batches = [Float32Array.from(randomValues(rand, 4 * 64, 2)), Float32Array.from(randomValues(rand, 4 * 64, 2))];
const dims = [4, 1, 8, 8];
const config: CompressionConfig = { version: 1, quant: { weightBits: 6, activationBits: 6 } };

const countingSource = () => countingBatchSource(ort, batches, dims);

describe('accelerator calibration through the memo', () => {
  it("reuses a measurement's statistics: no new pass, the same integer network as its own calibration", async () => {
    const own = await buildIntegerDesign(model, config, arrayBatchSource(ort, batches, dims));
    const memo = new CalibrationMemo();
    const counted = countingSource();
    const request = { model, modelBytes, dataId: 'calib', config, source: counted.source, extraTaps: acceleratorExtraTaps };
    // The measurement (the worker's compress) gathers once, with the accelerator's tensors.
    const measured = await memo.calibrate(request);
    expect(counted.passes).toBe(2);
    expect(Object.keys(measured!.tensors)).toEqual(expect.arrayContaining(acceleratorExtraTaps(model)));
    // The export, other weight bits of the same pruning included: nothing gathered again.
    const exported = await memo.calibrate({ ...request, modelBytes: modelBytes.slice() });
    expect(counted.passes).toBe(2);
    const design = integerDesignFromCalibration(model, config, exported);
    expect(design.net).toEqual(own.net);
    expect(design.calibrationImages).toBe(own.calibrationImages);
  });

  it('statistics gathered without the extra tensors are completed once, then serve both kinds of request', async () => {
    const memo = new CalibrationMemo();
    const counted = countingSource();
    const plain = { model, modelBytes, dataId: 'calib', config, source: counted.source };
    const withoutExtras = await memo.calibrate(plain);
    expect(counted.passes).toBe(2);
    expect(() => integerDesignFromCalibration(model, config, withoutExtras)).toThrow(/no calibration statistics \(calibrate integerTaps too\)/);
    const complete = await memo.calibrate({ ...plain, extraTaps: acceleratorExtraTaps });
    expect(counted.passes).toBe(4);
    await memo.calibrate(plain);
    await memo.calibrate({ ...plain, extraTaps: acceleratorExtraTaps });
    expect(counted.passes).toBe(4);
    // The config's own tensors are unchanged by gathering more of them.
    for (const [tensor, stats] of Object.entries(withoutExtras!.tensors)) expect(complete!.tensors[tensor]).toEqual(stats);
  });

  it('refuses a design whose activations stay float', () => {
    expect(() => integerDesignFromCalibration(model, { version: 1, quant: { weightBits: 4, activationBits: null } }, undefined)).toThrow(/needs a quantized design/);
  });
});
