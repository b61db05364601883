/**
 * Helpers shared by the prune and quant tests (not used by the app): a seeded random source, a
 * small residual + BatchNormalization + Concat model, and an onnxruntime comparison.
 */
import type * as Ort from 'onnxruntime-web';
import { buildModel, node, tensorInfo } from '../onnx/builder.ts';
import type { ModelProto } from '../onnx/model.ts';
import { floatTensor } from '../onnx/tensor.ts';
import { mulberry32 } from '../data/random.ts';

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1) (the project's one, in src/core/data/random.ts). */
export const seeded = mulberry32;

export const randomValues = (rand: () => number, n: number, scale = 1, offset = 0): number[] =>
  Array.from({ length: n }, () => (rand() * 2 - 1) * scale + offset);

/**
 * x[N,3,8,8] -> Conv3x3(8)+BN+Relu = r1 -> depthwise3x3+BN+Relu -> Conv1x1(8)+BN -> Add(r1, .)
 * -> Relu -> Mul(per-channel constant) -> two Conv1x1(6) sharing one bias initializer, each + Relu
 * -> Concat(axis 1) -> Conv1x1(16) + Relu -> GlobalAveragePool -> Flatten -> Gemm(10, transB).
 * Channel groups: the residual ties the stem conv and the block's pointwise conv (8 channels);
 * the two 6-channel branches occupy channels 0-5 and 6-11 of the Concat; 16 feed the FC rows.
 */
export function residualModel(seed = 7, gammas?: { stem?: number[] }): ModelProto {
  const r = seeded(seed);
  const w = (name: string, dims: number[], scale = 0.5) => floatTensor(name, dims, randomValues(r, dims.reduce((a, b) => a * b, 1), scale));
  const bn = (prefix: string, c: number, gamma?: number[]) => [
    floatTensor(`${prefix}.gamma`, [c], gamma ?? randomValues(r, c, 0.4, 1)),
    floatTensor(`${prefix}.beta`, [c], randomValues(r, c, 0.2)),
    floatTensor(`${prefix}.mean`, [c], randomValues(r, c, 0.2)),
    floatTensor(`${prefix}.var`, [c], randomValues(r, c, 0.3, 1)),
  ];
  const bnNode = (prefix: string, x: string, y: string) =>
    node('BatchNormalization', [x, `${prefix}.gamma`, `${prefix}.beta`, `${prefix}.mean`, `${prefix}.var`], [y], { epsilon: { float: 1e-5 } }, prefix);
  return buildModel({
    name: 'residual-bn',
    inputs: [tensorInfo('x', ['N', 3, 8, 8])],
    outputs: [tensorInfo('y', ['N', 10])],
    initializers: [
      w('stem.w', [8, 3, 3, 3]),
      w('stem.b', [8], 0.1),
      ...bn('stem.bn', 8, gammas?.stem),
      w('dw.w', [8, 1, 3, 3]),
      w('dw.b', [8], 0.1),
      ...bn('dw.bn', 8),
      w('pw.w', [8, 8, 1, 1]),
      ...bn('pw.bn', 8),
      floatTensor('scale', [1, 8, 1, 1], randomValues(r, 8, 0.3, 1)),
      w('left.w', [6, 8, 1, 1]),
      w('right.w', [6, 8, 1, 1]),
      w('shared.b', [6], 0.1),
      w('mix.w', [16, 12, 1, 1]),
      w('mix.b', [16], 0.1),
      w('fc.w', [10, 16]),
      w('fc.b', [10], 0.1),
    ],
    valueInfo: [tensorInfo('r1', ['N', 8, 8, 8]), tensorInfo('cat', ['N', 12, 8, 8]), tensorInfo('flat', ['N', 16])],
    nodes: [
      node('Conv', ['x', 'stem.w', 'stem.b'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'stem'),
      bnNode('stem.bn', 'c1', 'b1'),
      node('Relu', ['b1'], ['r1']),
      node('Conv', ['r1', 'dw.w', 'dw.b'], ['d1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 }, 'dw'),
      bnNode('dw.bn', 'd1', 'bd'),
      node('Relu', ['bd'], ['rd']),
      node('Conv', ['rd', 'pw.w'], ['p1'], { kernel_shape: [1, 1] }, 'pw'),
      bnNode('pw.bn', 'p1', 'bp'),
      node('Add', ['r1', 'bp'], ['a1'], {}, 'residual'),
      node('Relu', ['a1'], ['ra']),
      node('Mul', ['ra', 'scale'], ['s1'], {}, 'channel_scale'),
      node('Conv', ['s1', 'left.w', 'shared.b'], ['l1'], { kernel_shape: [1, 1] }, 'left'),
      node('Relu', ['l1'], ['lr']),
      node('Conv', ['s1', 'right.w', 'shared.b'], ['q1'], { kernel_shape: [1, 1] }, 'right'),
      node('Relu', ['q1'], ['qr']),
      node('Concat', ['lr', 'qr'], ['cat'], { axis: 1 }, 'concat'),
      node('Conv', ['cat', 'mix.w', 'mix.b'], ['m1'], { kernel_shape: [1, 1] }, 'mix'),
      node('Relu', ['m1'], ['mr']),
      node('GlobalAveragePool', ['mr'], ['gap']),
      node('Flatten', ['gap'], ['flat'], { axis: 1 }),
      node('Gemm', ['flat', 'fc.w', 'fc.b'], ['y'], { transB: 1 }, 'fc'),
    ],
  });
}

/** Runs a model once in onnxruntime on the given input; returns every output. */
export async function runOnce(
  ort: typeof Ort,
  bytes: Uint8Array,
  input: Float32Array,
  dims: number[],
  level: 'disabled' | 'basic' | 'extended' | 'all' = 'all',
): Promise<Record<string, Float32Array>> {
  ort.env.logLevel = 'error';
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, graphOptimizationLevel: level });
  try {
    const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, dims) });
    return Object.fromEntries(session.outputNames.map((n) => [n, result[n].data as Float32Array]));
  } finally {
    await session.release();
  }
}

/** Largest |a - b| relative to the largest |b| (1 when b is all zero). */
export function maxRelativeDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

/** A calibration BatchSource over fixed input batches, run in onnxruntime (optimizations off: exact float semantics). */
export function arrayBatchSource(ort: typeof Ort, batches: Float32Array[], dims: number[]) {
  return async function* (bytes: Uint8Array, outputs: string[]) {
    ort.env.logLevel = 'error';
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
    try {
      const inputName = session.inputNames[0];
      const fetch = outputs.filter((o) => o !== inputName);
      for (const batch of batches) {
        const result = await session.run({ [inputName]: new ort.Tensor('float32', batch, dims) }, fetch);
        const values = { [inputName]: batch, ...Object.fromEntries(fetch.map((n) => [n, result[n].data as Float32Array])) };
        yield { count: dims[0], values };
      }
    } finally {
      await session.release();
    }
  };
}

/** arrayBatchSource that counts the passes over the model it starts (a calibration reads the images twice). */
export function countingBatchSource(ort: typeof Ort, batches: Float32Array[], dims: number[]) {
  const source = arrayBatchSource(ort, batches, dims);
  const counted = {
    passes: 0,
    source: (bytes: Uint8Array, outputs: string[]) => {
      counted.passes++;
      return source(bytes, outputs);
    },
  };
  return counted;
}
