/**
 * The layer view on small models whose parameters, MACs and window geometry are worked by hand
 * (the arithmetic is next to each number), so the expectations do not come from the layer view.
 */
import { describe, expect, it } from 'vitest';
import { buildModel, node, tensorInfo } from '../onnx/builder.ts';
import { floatTensor } from '../onnx/tensor.ts';
import { analyzeModel } from './index.ts';

const weight = (name: string, dims: number[]) => floatTensor(name, dims, new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(0.1));

describe('layer view, worked by hand', () => {
  it('grouped, strided, dilated and 1-D convolutions: params, MACs, window', () => {
    const model = buildModel({
      inputs: [tensorInfo('x', [1, 8, 9, 9]), tensorInfo('s', [1, 4, 20])],
      outputs: [tensorInfo('d'), tensorInfo('t')],
      initializers: [weight('wg', [12, 4, 3, 3]), weight('bg', [12]), weight('wd', [12, 1, 3, 3]), weight('w1', [6, 4, 5]), weight('b1', [6])],
      nodes: [
        // grouped, group 2: 8 -> 12, 3x3, stride 2, pads 1: out floor((9 + 2 - 3)/2) + 1 = 5
        node('Conv', ['x', 'wg', 'bg'], ['g'], { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] }, 'grouped'),
        // depthwise on 12 channels, dilation 2: span 5, pads [2, 1, 0, 1] -> H: 5 + 2 + 0 - 5 + 1 = 3, W: 5 + 1 + 1 - 5 + 1 = 3
        node('Conv', ['g', 'wd'], ['d'], { group: 12, dilations: [2, 2], pads: [2, 1, 0, 1] }, 'dw'),
        // 1-D conv 4 -> 6, kernel 5, stride 3 on 20: floor((20 - 5)/3) + 1 = 6
        node('Conv', ['s', 'w1', 'b1'], ['t'], { strides: [3] }, 'conv1d'),
      ],
    });
    const { layers, summary } = analyzeModel(model);
    const [grouped, dw, conv1d] = ['grouped', 'dw', 'conv1d'].map((n) => layers.find((l) => l.name === n)!);
    // params 12 x (8/2) x 9 + 12 = 432 + 12 = 444; MACs 12 x 25 pixels x 4 x 9 = 10,800
    expect(grouped).toMatchObject({ kind: 'grouped', groups: 2, params: 444, macs: 10_800, kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], hasBias: true });
    expect(grouped.outputShape).toEqual([1, 12, 5, 5]);
    // params 12 x 1 x 9 = 108; MACs 12 x 9 pixels x 1 x 9 = 972
    expect(dw).toMatchObject({ kind: 'depthwise', groups: 12, params: 108, macs: 972, dilation: [2, 2], pads: [2, 1, 0, 1], hasBias: false });
    expect(dw.outputShape).toEqual([1, 12, 3, 3]);
    // 1-D: shown as k x 1; params 6 x 4 x 5 + 6 = 126; MACs 6 x 6 x 4 x 5 = 720
    expect(conv1d).toMatchObject({ kind: 'conv', params: 126, macs: 720, kernel: [5, 1], stride: [3, 1], pads: [0, 0, 0, 0], dilation: [1, 1] });
    // totals: 444 + 108 + 126 = 678 params; 10,800 + 972 + 720 = 12,492 MACs; ops twice that
    expect(summary).toMatchObject({ params: 678, macs: 12_492, ops: 24_984, layerCount: 3, unsupportedOps: [] });
  });

  it('fully connected layers: Gemm transB, MatMul with the weight first or second, bias Add, 3-D rows', () => {
    const model = buildModel({
      inputs: [tensorInfo('x', [1, 6]), tensorInfo('seq', [1, 5, 6])],
      outputs: [tensorInfo('y'), tensorInfo('z'), tensorInfo('u'), tensorInfo('v')],
      initializers: [weight('wt', [4, 6]), weight('bt', [4]), weight('wm', [6, 3]), weight('bm', [3]), weight('wl', [2, 1])],
      nodes: [
        // Gemm transB: W [4, 6] is [out, in]: 6 x 4 + 4 = 28 params, 24 MACs
        node('Gemm', ['x', 'wt', 'bt'], ['y'], { transB: 1 }, 'gemm'),
        // MatMul on a sequence [1, 5, 6] x [6, 3] + bias: 5 rows x 6 x 3 = 90 MACs; 18 + 3 = 21 params
        node('MatMul', ['seq', 'wm'], ['mm'], {}, 'seqfc'),
        node('Add', ['mm', 'bm'], ['z'], {}, 'bias'),
        // MatMul without an Add after it: no bias
        node('MatMul', ['x', 'wm'], ['u'], {}, 'nobias'),
        // the constant on the left: [2, 1] x [1, 6] -> [2, 6]; W is [2, 1]: in 2, out 1 by the layer view's reading
        node('MatMul', ['wl', 'x'], ['v'], {}, 'left'),
      ],
    });
    const { layers } = analyzeModel(model);
    const by = Object.fromEntries(layers.map((l) => [l.name, l]));
    expect(by.gemm).toMatchObject({ kind: 'fc', params: 28, macs: 24, hasBias: true, inputShape: [1, 6], outputShape: [1, 4] });
    expect(by.seqfc).toMatchObject({ kind: 'fc', params: 21, macs: 90, hasBias: true, inputShape: [1, 5, 6], outputShape: [1, 5, 3] });
    expect(by.nobias).toMatchObject({ kind: 'fc', params: 18, macs: 18, hasBias: false, outputShape: [1, 3] });
    expect(by.left).toMatchObject({ kind: 'fc', inputShape: [1, 6] });
    expect(by.bias).toBeUndefined(); // one activation input: not a layer
  });

  it('pooling kinds, a join of two activations and where its inputs come from', () => {
    const model = buildModel({
      inputs: [tensorInfo('x', [1, 4, 8, 8])],
      outputs: [tensorInfo('y')],
      initializers: [weight('w', [4, 4, 1, 1])],
      nodes: [
        node('Conv', ['x', 'w'], ['c'], {}, 'pw'),
        node('Relu', ['c'], ['r'], {}, 'relu'),
        // max pool 3x3 stride 2 pads 1: (8 + 2 - 3)/2 + 1 = 4 (floor)
        node('MaxPool', ['r'], ['p'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'maxpool'),
        node('AveragePool', ['x'], ['a'], { kernel_shape: [2, 2], strides: [2, 2] }, 'avgpool'),
        node('Add', ['p', 'a'], ['s'], {}, 'join'),
        node('GlobalAveragePool', ['s'], ['g'], {}, 'gap'),
        node('Mul', ['g', 'g'], ['sq'], {}, 'square'),
        node('GlobalMaxPool', ['sq'], ['y'], {}, 'gmp'),
      ],
    });
    const { layers } = analyzeModel(model);
    const by = Object.fromEntries(layers.map((l) => [l.name, l]));
    expect(layers.map((l) => l.name).sort()).toEqual(['avgpool', 'gap', 'gmp', 'join', 'maxpool', 'pw', 'square']);
    expect(by.maxpool).toMatchObject({ kind: 'pool', poolType: 'max', kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], params: 0, macs: 0, outputShape: [1, 4, 4, 4] });
    expect(by.avgpool).toMatchObject({ poolType: 'avg', kernel: [2, 2], stride: [2, 2], outputShape: [1, 4, 4, 4] });
    // a global pool's window is the whole input: 4 x 4
    expect(by.gap).toMatchObject({ poolType: 'global-avg', kernel: [4, 4], outputShape: [1, 4, 1, 1] });
    expect(by.gmp).toMatchObject({ poolType: 'global-max', kernel: [1, 1] });
    // the Add joins the max pool (through nothing) and the average pool; the Relu is not a layer
    expect(by.join).toMatchObject({ kind: 'elementwise', sources: ['maxpool', 'avgpool'] });
    expect(by.square.sources).toEqual(['gap', 'gap']);
  });

  it('a join of a graph input and a layer through a Relu; a conv with run-time weights; a group that does not divide', () => {
    const model = buildModel({
      inputs: [tensorInfo('x', [1, 4, 3, 3]), tensorInfo('wdyn', [4, 4, 1, 1])],
      outputs: [tensorInfo('y'), tensorInfo('z')],
      initializers: [weight('w', [4, 4, 1, 1])],
      nodes: [
        node('Conv', ['x', 'w'], ['c'], {}, 'pw'),
        node('Relu', ['c'], ['r'], {}, 'relu'),
        node('Add', ['x', 'r'], ['y'], {}, 'join'),
        node('Conv', ['x', 'wdyn'], ['z'], {}, 'dynamic'),
      ],
    });
    const bad = buildModel({
      inputs: [tensorInfo('x', [1, 4, 3, 3])],
      outputs: [tensorInfo('q')],
      initializers: [weight('w6', [6, 1, 1, 1])],
      nodes: [node('Conv', ['x', 'w6'], ['q'], { group: 4 }, 'badgroup')],
    });
    // group 4 does not divide 6 output channels (onnxruntime refuses it too)
    expect(() => analyzeModel(bad)).toThrow(/group 4 does not divide its 6 output channels/);
    const { layers } = analyzeModel(model);
    const by = Object.fromEntries(layers.map((l) => [l.name, l]));
    expect(by.join.sources).toEqual([null, 'pw']);
    expect(by.dynamic).toMatchObject({ kind: 'unsupported', reason: 'weights are computed at run time, not constant', params: 0, macs: 0 });
  });

  it('a MatMul with a 1-D or batched constant is shown as unsupported, not counted as a [in, out] weight', () => {
    // before: w[1] of a 1-D weight is undefined, so the layer had NaN parameters and the whole model was refused
    const model = buildModel({
      inputs: [tensorInfo('x', [2, 3, 4])],
      outputs: [tensorInfo('v'), tensorInfo('b')],
      initializers: [weight('w1', [4]), weight('w3', [5, 4, 6])],
      nodes: [node('MatMul', ['x', 'w1'], ['v'], {}, 'vector'), node('MatMul', ['x', 'w3'], ['b'], {}, 'batched')],
    });
    // onnxruntime: [2, 3, 4] x [4] -> [2, 3]; [2, 3, 4] x [5, 4, 6] does not broadcast (2 vs 5), so only the first is checked for shape
    const { layers, graph } = analyzeModel(model);
    expect(graph.shape('v')).toEqual([2, 3]);
    expect(layers.map((l) => [l.name, l.kind, l.reason])).toEqual([
      ['vector', 'unsupported', 'MatMul with a 1-D constant operand is not a fully connected layer'],
      ['batched', 'unsupported', 'MatMul with a 3-D constant operand is not a fully connected layer'],
    ]);
  });
});
