import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, defaultModelMissing, readBytes } from '../../../test/fixtures.ts';
import { EdgefoldError } from '../errors.ts';
import { loadModel } from '../graph/index.ts';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/model.ts';
import { arrayBatchSource, randomValues, residualModel, runOnce, seeded } from '../prune/testing.ts';
import { applyConfig, calibrateConfig, calibrationPlan, parseCompressionConfig, type CompressionConfig } from './compression.ts';

ort.env.logLevel = 'error';

/** The EdgefoldError a call throws (fails the test when it does not throw one). */
function rejection(fn: () => unknown): EdgefoldError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EdgefoldError);
    return error as EdgefoldError;
  }
  throw new Error('expected the call to throw');
}

const expectRejected = (fn: () => unknown, field: string, message: RegExp) => {
  const error = rejection(fn);
  expect(error.code).toBe('bad-input');
  expect(error.field).toBe(field);
  expect(error.message).toMatch(message);
  expect(error.message).toContain(field); // the message names the field too
};

describe('compression config: shape', () => {
  it('accepts a full config and keeps only what was given', () => {
    const input = {
      version: 1,
      prune: { criterion: 'bn-gamma', ratio: 0.25, roundTo: 8 },
      quant: { weightBits: 6, activationBits: 8, granularity: 'per-tensor', scale: 'po2', rounding: 'floor', format: 'float', calibration: { method: 'mse', images: 500 } },
      layers: { stem: { prune: { keep: 4 }, weightBits: 8, activationBits: null }, dw: { quantize: false } },
    };
    expect(parseCompressionConfig(input)).toEqual(input);
    expect(parseCompressionConfig({ version: 1 })).toEqual({ version: 1 });
  });

  it('reads the compression part of a deployment config, ignoring the hardware part', () => {
    const config = parseCompressionConfig({ version: 1, compression: { version: 1, prune: { ratio: 0.5 } }, hardware: { layers: {} }, device: 'xc7z020' });
    expect(config).toEqual({ version: 1, prune: { ratio: 0.5 } });
    expectRejected(() => parseCompressionConfig({ compression: { version: 1, prune: { ratio: 2 } } }), 'compression.prune.ratio', /from 0 up to \(not including\) 1/);
  });

  it('rejects bad values with a message naming the field', () => {
    expectRejected(() => parseCompressionConfig({}), 'version', /must be 1/);
    expectRejected(() => parseCompressionConfig({ version: 2 }), 'version', /must be 1/);
    expectRejected(() => parseCompressionConfig({ version: 1, pruning: {} }), 'pruning', /not a known setting/);
    expectRejected(() => parseCompressionConfig({ version: 1, prune: { ratio: 1 } }), 'prune.ratio', /cannot be emptied/);
    expectRejected(() => parseCompressionConfig({ version: 1, prune: { ratio: -0.1 } }), 'prune.ratio', /from 0 up to/);
    expectRejected(() => parseCompressionConfig({ version: 1, prune: { ratio: '0.5' } }), 'prune.ratio', /got "0.5"/);
    expectRejected(() => parseCompressionConfig({ version: 1, prune: { roundTo: 0 } }), 'prune.roundTo', /from 1 to 4096/);
    expectRejected(() => parseCompressionConfig({ version: 1, prune: { criterion: 'fpgm' } }), 'prune.criterion', /"l1", "l2", "bn-gamma"/);
    expectRejected(() => parseCompressionConfig({ version: 1, quant: { weightBits: 1 } }), 'quant.weightBits', /from 2 to 16/);
    expectRejected(() => parseCompressionConfig({ version: 1, quant: { weightBits: 17 } }), 'quant.weightBits', /from 2 to 16/);
    expectRejected(() => parseCompressionConfig({ version: 1, quant: { weightBits: 7.5 } }), 'quant.weightBits', /integer/);
    expectRejected(() => parseCompressionConfig({ version: 1, quant: { activationBits: 32 } }), 'quant.activationBits', /from 2 to 16 \(or null for float\)/);
    expectRejected(() => parseCompressionConfig({ version: 1, quant: { format: 'int4' } }), 'quant.format', /"float", "qcdq", "int8-qdq"/);
    expectRejected(() => parseCompressionConfig({ version: 1, quant: { calibration: { percentile: 30 } } }), 'quant.calibration.percentile', /above 50/);
    expectRejected(() => parseCompressionConfig({ version: 1, layers: { stem: { prune: { keep: 0 } } } }), 'layers.stem.prune.keep', /cannot leave a channel group empty/);
    expectRejected(() => parseCompressionConfig({ version: 1, layers: { stem: { prune: { ratio: 1 } } } }), 'layers.stem.prune.ratio', /cannot be emptied/);
    expectRejected(() => parseCompressionConfig({ version: 1, layers: { stem: { prune: { ratio: 0.5, keep: 2 } } } }), 'layers.stem.prune', /both ratio and keep/);
    expectRejected(() => parseCompressionConfig({ version: 1, layers: { stem: { weightbits: 4 } } }), 'layers.stem.weightbits', /not a known setting/);
    expectRejected(() => parseCompressionConfig({ version: 1, layers: { stem: { weightBits: 20 } } }), 'layers.stem.weightBits', /from 2 to 16/);
  });
});

describe('compression config: against a model', () => {
  const model = residualModel();

  it('rejects unknown layers, unprunable or over-full groups, conflicts and misplaced settings', () => {
    expectRejected(() => applyConfig(model, { version: 1, layers: { nope: { prune: { ratio: 0.5 } } } }), 'layers.nope', /no layer "nope" \(its conv\/FC layers are: stem, dw, pw, left, right, mix, fc\)/);
    expectRejected(() => applyConfig(model, { version: 1, layers: { stem: { prune: { keep: 9 } } } }), 'layers.stem.prune.keep', /has only 8 output channels/);
    expectRejected(() => applyConfig(model, { version: 1, layers: { fc: { prune: { ratio: 0.5 } } } }), 'layers.fc.prune', /cannot be pruned: it reaches the graph output "y"/);
    expectRejected(
      () => applyConfig(model, { version: 1, layers: { stem: { prune: { ratio: 0.5 } }, dw: { prune: { ratio: 0.25 } } } }),
      'layers.dw.prune',
      /conflicts with layers.stem.prune: both layers' output channels are one group \("stem"\)/,
    );
    expectRejected(() => applyConfig(model, { version: 1, quant: {}, layers: { gap: { weightBits: 4 } } }), 'layers.gap', /is a pool layer and has no weights/);
    expectRejected(() => applyConfig(model, { version: 1, layers: { stem: { weightBits: 4 } } }), 'layers.stem', /no "quant" section/);
    // The same request on two members of one group is fine.
    expect(() => applyConfig(model, { version: 1, layers: { stem: { prune: { ratio: 0.5 } }, pw: { prune: { ratio: 0.5 } } } })).not.toThrow();
  });

  it('never modifies the input model', () => {
    const before = encodeModel(model);
    applyConfig(model, { version: 1, prune: { ratio: 0.5 }, quant: { weightBits: 4 } });
    expect(encodeModel(model)).toEqual(before);
  });

  it('prunes, folds BN and quantizes in one call; the result runs and the report adds up', async () => {
    const cfg: CompressionConfig = {
      version: 1,
      prune: { ratio: 0.25, criterion: 'bn-gamma' },
      quant: { weightBits: 6, activationBits: 8, scale: 'po2' },
      layers: { mix: { prune: { keep: 10 }, weightBits: 4 }, fc: { quantize: false } },
    };
    const rand = seeded(12);
    const batches = [Float32Array.from(randomValues(rand, 4 * 192, 2)), Float32Array.from(randomValues(rand, 4 * 192, 2))];
    const calibration = await calibrateConfig(model, cfg, arrayBatchSource(ort, batches, [4, 3, 8, 8]));
    expect(calibration!.images).toBe(8);
    expect(Object.keys(calibration!.tensors)).toEqual(['x', 'r1', 'rd', 's1', 'cat']);
    const { bytes, report } = applyConfig(model, cfg, calibration);
    expect(report.prune.groups.map((g) => [g.group, g.kept, g.criterion])).toEqual([
      ['stem', 6, 'bn-gamma'],
      ['left', 5, 'l1'], // no BN in these groups: L1
      ['right', 5, 'l1'],
      ['mix', 10, 'l1'],
    ]);
    expect(report.batchNorm!.folded).toHaveLength(3);
    expect(report.quant!.layers.map((l) => `${l.layer}:${l.weightBits}`)).toEqual(['stem:6', 'dw:6', 'pw:6', 'left:6', 'right:6', 'mix:4']);
    expect(report.after.params).toBe(loadModel(bytes).summary.params);
    expect(report.after.bytes).toBe(bytes.byteLength);
    // Quantized layers at their widths (biases 32-bit), the float FC (10 x 10 + 10) at 32 bits.
    const quantBits = report.quant!.layers.reduce((n, l) => n + l.weightMemoryBits, 0);
    expect(report.after.weightMemoryBits).toBe(quantBits + 110 * 32);
    expect(report.quant!.layers.find((l) => l.layer === 'mix')!.weightMemoryBits).toBe(10 * 10 * 4 + 10 * 32);
    const out = await runOnce(ort, bytes, batches[0], [4, 3, 8, 8]);
    expect(out.y).toHaveLength(40);
    expect(out.y.every(Number.isFinite)).toBe(true);
    // Statistics gathered for another pruning do not fit.
    expectRejected(() => applyConfig(model, { ...cfg, prune: { ratio: 0.5 } }, calibration), 'calibration', /different pruning/);
  });

  it('needs no calibration when activations stay float', () => {
    expect(calibrationPlan(model, { version: 1, quant: { weightBits: 8 } }).taps).toEqual([]);
  });
});

describe.skipIf(defaultModelMissing)('compression config on the default model', () => {
  it('params and MACs of the result equal what the plan predicted; the file shrinks', () => {
    const model: ModelProto = decodeModel(readBytes(DEFAULT_MODEL));
    const { bytes, report } = applyConfig(model, { version: 1, prune: { ratio: 0.25, roundTo: 8 } });
    const loaded = loadModel(bytes);
    expect({ params: loaded.summary.params, macs: loaded.summary.macs }).toEqual(report.predicted);
    expect(report.after).toMatchObject(report.predicted);
    expect(report.after.bytes).toBeLessThan(report.before.bytes * 0.65);
    expect(report.prune.groups.map((g) => g.kept)).toEqual([16, 40, 72, 72, 144, 144, 192]);
    expect(report.prune.notPrunable.map((g) => g.group)).toEqual(['input', '/fc/Gemm']);
  });
});
