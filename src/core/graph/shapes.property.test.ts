/**
 * Shape inference against onnxruntime (issue 14): random Conv / MaxPool / AveragePool
 * configurations (strides, pads, dilations, auto_pad, ceil_mode, groups) are built as one-node
 * models and run; the output shape onnxruntime produces is the expected value. The pads the
 * layer view reports for SAME_UPPER / SAME_LOWER are checked by values: the same conv with those
 * pads written out explicitly must give onnxruntime's auto_pad outputs.
 */
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildModel, node, tensorInfo, type AttrValue } from '../onnx/builder.ts';
import { encodeModel } from '../onnx/model.ts';
import { floatTensor } from '../onnx/tensor.ts';
import { randomValues, seeded } from '../prune/testing.ts';
import { analyzeModel } from './index.ts';

ort.env.logLevel = 'error';

/** Mutation runs (MUTATION_SCOPE set) test every surviving mutant with the whole property: fewer cases there. */
const mutationRun = Boolean(process.env.MUTATION_SCOPE);

interface Case {
  op: 'Conv' | 'MaxPool' | 'AveragePool';
  channels: number;
  groups: number;
  outPerGroup: number;
  size: [number, number];
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  pads: [number, number, number, number];
  autoPad: 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
  ceilMode: 0 | 1;
}

function model(c: Case, pads?: number[]) {
  const attrs: Record<string, AttrValue> = { kernel_shape: c.kernel, strides: c.strides };
  if (c.autoPad !== 'NOTSET' && !pads) attrs.auto_pad = c.autoPad;
  else attrs.pads = pads ?? c.pads;
  if (c.op !== 'AveragePool') attrs.dilations = c.dilations;
  if (c.op !== 'Conv') attrs.ceil_mode = c.ceilMode;
  const initializers = [];
  const inputs = ['x'];
  if (c.op === 'Conv') {
    attrs.group = c.groups;
    const dims = [c.groups * c.outPerGroup, c.channels / c.groups, ...c.kernel];
    const n = dims.reduce((a, b) => a * b, 1);
    initializers.push(floatTensor('w', dims, randomValues(seeded(n), n, 1)));
    inputs.push('w');
  }
  return buildModel({
    inputs: [tensorInfo('x', [1, c.channels, ...c.size])],
    outputs: [tensorInfo('y')],
    initializers,
    nodes: [node(c.op, inputs, ['y'], attrs)],
  });
}

async function runOrt(bytes: Uint8Array, c: Case): Promise<{ dims: number[]; data: Float32Array }> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const n = c.channels * c.size[0] * c.size[1];
    const x = new ort.Tensor('float32', Float32Array.from(randomValues(seeded(7), n, 1)), [1, c.channels, ...c.size]);
    const y = (await session.run({ x })).y;
    return { dims: y.dims.map(Number), data: y.data as Float32Array };
  } finally {
    await session.release();
  }
}

const pair = (min: number, max: number) => fc.tuple(fc.integer({ min, max }), fc.integer({ min, max }));

/** Configurations onnxruntime accepts: pooling pads below the kernel, an output of at least one pixel. */
const caseArb: fc.Arbitrary<Case> = fc
  .record({
    op: fc.constantFrom('Conv' as const, 'MaxPool' as const, 'AveragePool' as const),
    groups: fc.constantFrom(1, 2, 3),
    perGroup: fc.integer({ min: 1, max: 2 }),
    outPerGroup: fc.integer({ min: 1, max: 2 }),
    size: pair(3, 11),
    kernel: pair(1, 4),
    strides: pair(1, 3),
    dilations: pair(1, 2),
    pads: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
    autoPad: fc.constantFrom('NOTSET' as const, 'NOTSET' as const, 'SAME_UPPER' as const, 'SAME_LOWER' as const, 'VALID' as const),
    ceilMode: fc.constantFrom(0 as const, 1 as const),
  })
  .map((r) => {
    const groups = r.op === 'Conv' ? r.groups : 1;
    // AveragePool has no dilations before opset 19; onnxruntime refuses dilated SAME padding
    const same = r.autoPad === 'SAME_UPPER' || r.autoPad === 'SAME_LOWER';
    const dilations: [number, number] = r.op === 'AveragePool' || same ? [1, 1] : r.dilations;
    // pooling: every pad smaller than the kernel (ONNX); conv: any
    const pads = r.pads.map((p, i) => (r.op === 'Conv' ? p : Math.min(p, r.kernel[i % 2] - 1))) as Case['pads'];
    return { op: r.op, channels: groups * r.perGroup, groups, outPerGroup: r.outPerGroup, size: r.size, kernel: r.kernel, strides: r.strides, dilations, pads, autoPad: r.autoPad, ceilMode: r.ceilMode };
  })
  .filter((c) =>
    [0, 1].every((i) => {
      const span = c.dilations[i] * (c.kernel[i] - 1) + 1;
      const padded = c.autoPad === 'NOTSET' ? c.size[i] + c.pads[i] + c.pads[i + 2] : c.size[i];
      if (c.autoPad === 'SAME_UPPER' || c.autoPad === 'SAME_LOWER') {
        // onnxruntime rejects a SAME window that needs negative padding (ONNX clamps it to 0)
        return (Math.ceil(c.size[i] / c.strides[i]) - 1) * c.strides[i] + span >= c.size[i];
      }
      return padded >= span;
    }),
  );

describe('shape inference vs onnxruntime (fast-check, fixed seed)', () => {
  it('Conv and pooling output shapes equal the shapes onnxruntime produces', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const m = model(c);
        const { graph, layers } = analyzeModel(m);
        const expected = (await runOrt(encodeModel(m), c)).dims;
        expect(graph.shape('y')).toEqual(expected);
        expect(layers[0].outputShape).toEqual(expected);
      }),
      { seed: 14, numRuns: mutationRun ? 80 : 300 },
    );
  }, 120_000);

  it('SAME_UPPER / SAME_LOWER: the reported pads, written out, give the same values as auto_pad', async () => {
    const same = caseArb.filter((c) => c.autoPad === 'SAME_UPPER' || c.autoPad === 'SAME_LOWER');
    await fc.assert(
      fc.asyncProperty(same, async (c) => {
        const { layers } = analyzeModel(model(c));
        const pads = layers[0].pads;
        const [auto, explicit] = [await runOrt(encodeModel(model(c)), c), await runOrt(encodeModel(model(c, pads)), c)];
        expect(explicit.dims).toEqual(auto.dims);
        expect(Array.from(explicit.data)).toEqual(Array.from(auto.data));
      }),
      { seed: 15, numRuns: mutationRun ? 20 : 60 },
    );
  }, 120_000);

  it('hand cases: the odd total pad goes to the end for SAME_UPPER and to the start for SAME_LOWER', () => {
    // 6 wide, kernel 4, stride 1: out 6, total pad (6-1)*1 + 4 - 6 = 3 -> UPPER [1 | 2], LOWER [2 | 1]
    const base: Case = { op: 'Conv', channels: 1, groups: 1, outPerGroup: 1, size: [6, 6], kernel: [4, 4], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'SAME_UPPER', ceilMode: 0 };
    expect(analyzeModel(model(base)).layers[0].pads).toEqual([1, 1, 2, 2]);
    expect(analyzeModel(model({ ...base, autoPad: 'SAME_LOWER' })).layers[0].pads).toEqual([2, 2, 1, 1]);
    // 7 wide, kernel 3, stride 2: out ceil(7/2) = 4, total (4-1)*2 + 3 - 7 = 2 -> [1 | 1] either way
    expect(analyzeModel(model({ ...base, size: [7, 7], kernel: [3, 3], strides: [2, 2] })).layers[0].pads).toEqual([1, 1, 1, 1]);
    // 8 wide, kernel 2, stride 2: out 4, total 3*2 + 2 - 8 = 0
    expect(analyzeModel(model({ ...base, size: [8, 8], kernel: [2, 2], strides: [2, 2], autoPad: 'SAME_LOWER' })).layers[0].pads).toEqual([0, 0, 0, 0]);
  });

  it('hand cases: ceil_mode where the stride does not divide evenly', () => {
    const pool: Case = { op: 'MaxPool', channels: 1, groups: 1, outPerGroup: 1, size: [7, 7], kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', ceilMode: 1 };
    // (7 - 2)/2 + 1 = 3.5: floor -> 3, ceil -> 4
    expect(analyzeModel(model(pool)).graph.shape('y')).toEqual([1, 1, 4, 4]);
    expect(analyzeModel(model({ ...pool, ceilMode: 0 })).graph.shape('y')).toEqual([1, 1, 3, 3]);
    // 8 wide, kernel 3, stride 3: (8 - 3)/3 + 1 = 2.67 -> ceil 3, floor 2
    expect(analyzeModel(model({ ...pool, size: [8, 8], kernel: [3, 3], strides: [3, 3] })).graph.shape('y')).toEqual([1, 1, 3, 3]);
    // 3 wide, pads 1 | 1, kernel 2, stride 2: ceil((3 + 2 - 2)/2) + 1 = 3, but the third window would
    // start at 2*2 = 4 = 3 + 1, inside the end padding, so it is dropped -> 2 (ONNX, onnxruntime, PyTorch)
    expect(analyzeModel(model({ ...pool, size: [3, 3], pads: [1, 1, 1, 1] })).graph.shape('y')).toEqual([1, 1, 2, 2]);
    // VALID with ceil_mode (onnxruntime): 3 wide, kernel 1, stride 3 -> ceil(2/3) + 1 = 2, second window starts at 3: dropped -> 1
    expect(analyzeModel(model({ ...pool, size: [3, 3], kernel: [1, 1], strides: [3, 3], autoPad: 'VALID' })).graph.shape('y')).toEqual([1, 1, 1, 1]);
    // VALID with ceil_mode: 3 wide, kernel 2, stride 2 -> ceil(1/2) + 1 = 2 (the last window runs past the end)
    expect(analyzeModel(model({ ...pool, size: [3, 3], autoPad: 'VALID' })).graph.shape('y')).toEqual([1, 1, 2, 2]);
  });
});
