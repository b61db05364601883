/**
 * What the gradient rules refuse, each with the message a user reads (issue 14): the rules'
 * numerics are checked against PyTorch in grad-check.test.ts; these are the cases no PyTorch
 * fixture can hold because the training graph must not be built at all.
 */
import { describe, expect, it } from 'vitest';
import { buildModel, node, tensorInfo } from '../onnx/builder.ts';
import { floatTensor, int64Tensor } from '../onnx/tensor.ts';
import { buildTrainingGraph } from './training-graph.ts';

/** A model whose first layer is a trainable 1x1 conv over [N, 2, 4, 4] (or `input` as given), `body` after it, and a Gemm head of `features` -> 3. */
function model(body: ReturnType<typeof node>[], opts: { input?: (number | string | null)[]; features: number; last: string; extra?: ReturnType<typeof floatTensor>[]; opset?: number; first?: ReturnType<typeof node> }) {
  const input = opts.input ?? ['N', 2, 4, 4];
  const first = opts.first ?? node('Conv', ['input', 'w0'], ['a'], { kernel_shape: [1, 1] }, 'conv0');
  return buildModel({
    nodes: [first, ...body, node('Gemm', [opts.last, 'fc_w'], ['logits'], { transB: 1 }, 'head')],
    inputs: [tensorInfo('input', input)],
    outputs: [tensorInfo('logits', ['N', 3])],
    initializers: [floatTensor('w0', [3, 2, 1, 1], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), floatTensor('fc_w', [3, opts.features], new Array(3 * opts.features).fill(0.1)), ...(opts.extra ?? [])],
    opset: opts.opset ?? 13,
  });
}
const gapFlatten = (from: string) => [node('GlobalAveragePool', [from], ['gap']), node('Flatten', ['gap'], ['flat'], { axis: 1 })];

describe('training refuses what its gradient rules cannot do, saying which node and why', () => {
  it('a 1-D convolution', () => {
    const m = model([node('Flatten', ['a'], ['flat'], { axis: 1 })], {
      input: ['N', 2, 6],
      first: node('Conv', ['input', 'w1d'], ['a'], { kernel_shape: [3] }, 'conv1d'),
      features: 12,
      last: 'flat',
      extra: [floatTensor('w1d', [3, 2, 3], new Array(18).fill(0.1))],
    });
    expect(() => buildTrainingGraph(m)).toThrow('Training cannot go through Conv node "conv1d": only 2-D convolutions are supported.');
    // the kind of error the CLI and the UI report it as
    expect(() => buildTrainingGraph(m)).toThrow(expect.objectContaining({ code: 'unsupported' }));
  });

  it('a spatial size unknown at build time', () => {
    const m = model(gapFlatten('a'), { input: ['N', 2, 'H', 4], features: 3, last: 'flat' });
    expect(() => buildTrainingGraph(m)).toThrow(/Training cannot go through \w+ node "\w+": shape \[\?, 3, \?, 4\] has unknown dimensions besides the batch\./);
  });

  it('pooling: 1-D, ceil_mode and storage_order 1', () => {
    const oneD = model([node('MaxPool', ['a'], ['p'], { kernel_shape: [2], strides: [2] }, 'pool1d'), node('Flatten', ['p'], ['flat'], { axis: 1 })], {
      input: ['N', 2, 6],
      first: node('MatMul', ['input', 'mm'], ['a'], {}, 'mm'),
      features: 6,
      last: 'flat',
      extra: [floatTensor('mm', [6, 6], new Array(36).fill(0.1))],
    });
    expect(() => buildTrainingGraph(oneD)).toThrow('Training cannot go through MaxPool node "pool1d": only 2-D pooling is supported.');
    const avg1d = model([node('AveragePool', ['a'], ['p'], { kernel_shape: [2], strides: [2] }, 'avg1d'), node('Flatten', ['p'], ['flat'], { axis: 1 })], {
      input: ['N', 2, 6],
      first: node('MatMul', ['input', 'mm'], ['a'], {}, 'mm'),
      features: 6,
      last: 'flat',
      extra: [floatTensor('mm', [6, 6], new Array(36).fill(0.1))],
    });
    expect(() => buildTrainingGraph(avg1d)).toThrow('Training cannot go through AveragePool node "avg1d": only 2-D pooling is supported.');
    for (const op of ['MaxPool', 'AveragePool']) {
      const ceil = model([node(op, ['a'], ['p'], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, 'pool'), ...gapFlatten('p')], { features: 3, last: 'flat' });
      expect(() => buildTrainingGraph(ceil), op).toThrow(`Training cannot go through ${op} node "pool": ceil_mode is not supported.`);
      // ceil_mode 0 written out is accepted
      const floor = model([node(op, ['a'], ['p'], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 0 }, 'pool'), ...gapFlatten('p')], { features: 3, last: 'flat' });
      expect(() => buildTrainingGraph(floor), op).not.toThrow();
    }
    const order = model([node('MaxPool', ['a'], ['p'], { kernel_shape: [2, 2], storage_order: 1 }, 'pool'), ...gapFlatten('p')], { features: 3, last: 'flat' });
    expect(() => buildTrainingGraph(order)).toThrow('Training cannot go through MaxPool node "pool": storage_order 1 is not supported.');
    const rowMajor = model([node('MaxPool', ['a'], ['p'], { kernel_shape: [2, 2], storage_order: 0 }, 'pool'), ...gapFlatten('p')], { features: 3, last: 'flat' });
    expect(() => buildTrainingGraph(rowMajor)).not.toThrow();
  });

  it('a Clip whose limit is computed at run time', () => {
    const m = model([node('ReduceMin', ['input'], ['lo'], { keepdims: 0 }, 'lo'), node('Clip', ['a', 'lo'], ['c'], {}, 'clip'), ...gapFlatten('c')], { features: 3, last: 'flat' });
    expect(() => buildTrainingGraph(m)).toThrow('Training cannot go through Clip node "clip": its min/max must be constants.');
  });

  it('a MatMul whose second operand is not 2-D', () => {
    const m = buildModel({
      nodes: [node('MatMul', ['input', 'w3'], ['y'], {}, 'mm3'), node('Reshape', ['y', 'shape'], ['logits'], {}, 'reshape')],
      inputs: [tensorInfo('input', ['N', 4])],
      outputs: [tensorInfo('logits', ['N', 3])],
      initializers: [floatTensor('w3', [1, 4, 3], new Array(12).fill(0.1)), int64Tensor('shape', [2], [-1, 3])],
      opset: 13,
    });
    expect(() => buildTrainingGraph(m)).toThrow('Training cannot go through MatMul node "mm3": only a 2-D second operand is supported.');
  });

  it('a concatenation along the batch axis (axis 0 or -rank)', () => {
    for (const axis of [0, -4]) {
      const m = model([node('Concat', ['a', 'a'], ['c'], { axis }, 'cat'), ...gapFlatten('c')], { features: 3, last: 'flat' });
      expect(() => buildTrainingGraph(m), `axis ${axis}`).toThrow('Training cannot go through Concat node "cat": concatenation along the batch axis.');
    }
    // -3 is the channel axis of a rank-4 tensor: accepted
    const channels = model([node('Concat', ['a', 'a'], ['c'], { axis: -3 }, 'cat'), ...gapFlatten('c')], { features: 6, last: 'flat' });
    expect(() => buildTrainingGraph(channels)).not.toThrow();
  });

  it('BatchNormalization on a tensor without a channel axis (rank 1)', () => {
    const m = buildModel({
      opset: 13,
      inputs: [tensorInfo('input', ['N'])],
      outputs: [tensorInfo('logits', ['N', 3])],
      initializers: [...['g', 'be', 'mu', 'v'].map((n) => floatTensor(n, [1], [1])), int64Tensor('ax', [1], [1]), floatTensor('fc_w', [3, 1], [0.1, 0.2, 0.3])],
      nodes: [node('BatchNormalization', ['input', 'g', 'be', 'mu', 'v'], ['bn'], {}, 'bn'), node('Unsqueeze', ['bn', 'ax'], ['u'], {}, 'unsq'), node('Gemm', ['u', 'fc_w'], ['logits'], { transB: 1 }, 'head')],
    });
    expect(() => buildTrainingGraph(m)).toThrow('Training cannot go through BatchNormalization node "bn": input must have a channel axis.');
  });
});
