import { describe, expect, it } from 'vitest';
import { KWS, ULTRAFACE, readBytes, thirdPartyMissing } from '../../../test/fixtures.ts';
import { buildModel, node, tensorInfo } from '../onnx/builder.ts';
import { decodeModel, encodeModel } from '../onnx/model.ts';
import { floatTensor, int64Tensor } from '../onnx/tensor.ts';
import { analyzeModel, loadModel } from './index.ts';

const zeros = (n: number) => new Array<number>(n).fill(0);
const convWeight = (name: string, dims: number[]) => floatTensor(name, dims, zeros(dims.reduce((a, b) => a * b, 1)));

describe('shape inference', () => {
  it('handles Conv strides, pads, dilations, groups and every auto_pad mode', () => {
    const model = buildModel({
      inputs: [tensorInfo('x', ['batch', 8, 15, 15])],
      outputs: [tensorInfo('d', [])],
      initializers: [convWeight('w1', [16, 8, 3, 3]), convWeight('w2', [16, 1, 3, 3]), convWeight('w3', [4, 16, 5, 5]), convWeight('w4', [4, 4, 3, 3])],
      nodes: [
        node('Conv', ['x', 'w1'], ['a'], { strides: [2, 2], pads: [1, 1, 1, 1] }), // (15+2-3)/2+1 = 8
        node('Conv', ['a', 'w2'], ['b'], { group: 16, auto_pad: 'SAME_UPPER', strides: [2, 2] }), // ceil(8/2) = 4
        node('Conv', ['b', 'w3'], ['c'], { auto_pad: 'SAME_LOWER', dilations: [1, 1] }), // 4
        node('Conv', ['c', 'w4'], ['d'], { auto_pad: 'VALID', dilations: [1, 1] }), // 4-3+1 = 2
      ],
    });
    const { graph } = analyzeModel(model);
    expect(graph.shape('a')).toEqual([null, 16, 8, 8]);
    expect(graph.shape('b')).toEqual([null, 16, 4, 4]);
    expect(graph.shape('c')).toEqual([null, 4, 4, 4]);
    expect(graph.shape('d')).toEqual([null, 4, 2, 2]);
  });

  it('broadcasting keeps a dynamic batch dimension dynamic', () => {
    const model = buildModel({
      inputs: [tensorInfo('a', ['N', 4, 2, 2]), tensorInfo('b', ['N', 4, 2, 2]), tensorInfo('c', [4, 1, 1])],
      outputs: [tensorInfo('z')],
      nodes: [node('Add', ['a', 'b'], ['s']), node('Mul', ['s', 'c'], ['z'])],
    });
    const { graph } = analyzeModel(model);
    expect(graph.shape('s')).toEqual([null, 4, 2, 2]);
    expect(graph.shape('z')).toEqual([null, 4, 2, 2]);
  });

  it('handles dilation and ceil_mode pooling', () => {
    const model = buildModel({
      inputs: [tensorInfo('x', [1, 2, 10, 10])],
      outputs: [tensorInfo('p', [])],
      initializers: [convWeight('w', [2, 2, 3, 3])],
      nodes: [
        node('Conv', ['x', 'w'], ['c'], { dilations: [2, 2] }), // 10 - 2*2 = 6
        node('MaxPool', ['c'], ['p'], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }), // ceil((6-2)/2)+1 = 3
      ],
    });
    const { graph } = analyzeModel(model);
    expect(graph.shape('c')).toEqual([1, 2, 6, 6]);
    expect(graph.shape('p')).toEqual([1, 2, 3, 3]);
  });

  it('follows NHWC input through Transpose, and Shape->Gather->Concat->Reshape with a dynamic batch', () => {
    const model = buildModel({
      inputs: [tensorInfo('x', ['N', 6, 6, 3])],
      outputs: [tensorInfo('y', [])],
      initializers: [
        convWeight('w', [4, 3, 3, 3]),
        int64Tensor('zero', [], [0]),
        int64Tensor('minus1', [1], [-1]),
        floatTensor('fcw', [64, 5], zeros(320)),
        floatTensor('fcb', [5], zeros(5)),
      ],
      nodes: [
        node('Transpose', ['x'], ['t'], { perm: [0, 3, 1, 2] }),
        node('Conv', ['t', 'w'], ['c'], { pads: [0, 0, 0, 0] }),
        node('Shape', ['c'], ['s']),
        node('Gather', ['s', 'zero'], ['n'], { axis: 0 }),
        node('Unsqueeze', ['n'], ['n1'], { axes: [0] }),
        node('Concat', ['n1', 'minus1'], ['target'], { axis: 0 }),
        node('Reshape', ['c', 'target'], ['r']),
        node('Gemm', ['r', 'fcw', 'fcb'], ['y']),
      ],
      opset: 11,
    });
    const { graph, layers, shapeProblems } = analyzeModel(model);
    expect(shapeProblems).toEqual([]);
    expect(graph.shape('t')).toEqual([null, 3, 6, 6]);
    expect(graph.shape('r')).toEqual([null, 64]);
    expect(graph.shape('y')).toEqual([null, 5]);
    expect(layers.map((l) => l.kind)).toEqual(['conv', 'fc']);
  });

  it('Flatten, GlobalAveragePool, MatMul + bias Add, Concat, Pad', () => {
    const model = buildModel({
      inputs: [tensorInfo('x', [2, 3, 4, 4])],
      outputs: [tensorInfo('z', [])],
      initializers: [floatTensor('m', [6, 7], zeros(42)), floatTensor('b', [7], zeros(7)), int64Tensor('pads', [8], [0, 0, 1, 1, 0, 0, 1, 1])],
      nodes: [
        node('Pad', ['x', 'pads'], ['p']), // opset 13 pads as an input
        node('GlobalAveragePool', ['p'], ['g']),
        node('Concat', ['g', 'g'], ['cat'], { axis: 1 }),
        node('Flatten', ['cat'], ['f']),
        node('MatMul', ['f', 'm'], ['mm']),
        node('Add', ['mm', 'b'], ['z']),
      ],
    });
    const { graph, layers } = analyzeModel(model);
    expect(graph.shape('p')).toEqual([2, 3, 6, 6]);
    expect(graph.shape('cat')).toEqual([2, 6, 1, 1]);
    expect(graph.shape('f')).toEqual([2, 6]);
    expect(graph.shape('z')).toEqual([2, 7]);
    const fc = layers.find((l) => l.kind === 'fc')!;
    expect(fc).toMatchObject({ hasBias: true, params: 6 * 7 + 7, macs: 6 * 7 });
    expect(layers.map((l) => l.kind)).toEqual(['pool', 'fc']);
  });
});

describe('layer kinds', () => {
  const convModel = (cin: number, cout: number, group: number, k: number) =>
    buildModel({
      inputs: [tensorInfo('x', [1, cin, 8, 8])],
      outputs: [tensorInfo('y', [])],
      initializers: [convWeight('w', [cout, cin / group, k, k])],
      nodes: [node('Conv', ['x', 'w'], ['y'], { group, pads: [k >> 1, k >> 1, k >> 1, k >> 1] })],
    });
  const kindOf = (cin: number, cout: number, group: number, k: number) => analyzeModel(convModel(cin, cout, group, k)).layers[0].kind;

  it('classifies standard, pointwise, depthwise and grouped convolutions', () => {
    expect(kindOf(8, 16, 1, 3)).toBe('conv');
    expect(kindOf(8, 16, 1, 1)).toBe('pointwise');
    expect(kindOf(8, 8, 8, 3)).toBe('depthwise');
    expect(kindOf(8, 16, 8, 3)).toBe('depthwise'); // channel multiplier 2
    expect(kindOf(8, 16, 2, 3)).toBe('grouped');
  });

  it('does not call a one-output-channel conv depthwise unless group equals its input channels', () => {
    expect(kindOf(8, 1, 1, 3)).toBe('conv');
    expect(kindOf(1, 1, 1, 3)).toBe('conv');
  });
});

describe('unsupported operators', () => {
  it('still loads, shows the layer as unsupported with its op, and keeps shapes after it from value_info', () => {
    const model = buildModel({
      inputs: [tensorInfo('x', [1, 4, 8, 8])],
      outputs: [tensorInfo('y', [1, 4, 8, 8])],
      valueInfo: [tensorInfo('u', [1, 4, 8, 8])],
      initializers: [convWeight('w', [4, 4, 1, 1])],
      nodes: [node('MysteryOp', ['x'], ['u']), node('Conv', ['u', 'w'], ['y'])],
    });
    model.graph!.node[0].domain = 'com.example';
    const loaded = loadModel(encodeModel(model), 'mystery.onnx');
    expect(loaded.layers[0]).toMatchObject({ kind: 'unsupported', op: 'MysteryOp' });
    expect(loaded.layers[0].reason).toMatch(/com.example.MysteryOp is not supported/);
    expect(loaded.summary.unsupportedOps).toEqual(['MysteryOp']);
    expect(loaded.layers[1]).toMatchObject({ kind: 'pointwise', params: 16, macs: 4 * 4 * 64 });
  });

  it('records a shape problem instead of throwing when nothing declares the shape', () => {
    const model = buildModel({
      inputs: [tensorInfo('x', [1, 4])],
      outputs: [tensorInfo('y')],
      nodes: [node('NotAnOnnxOp', ['x'], ['y'])],
    });
    const loaded = analyzeModel(decodeModel(encodeModel(model)));
    expect(loaded.shapeProblems).toEqual([{ node: 'y', op: 'NotAnOnnxOp', message: 'no shape rule for NotAnOnnxOp' }]);
    expect(loaded.layers[0].kind).toBe('unsupported');
  });

  it('rejects a graph with a cycle', () => {
    const model = buildModel({
      inputs: [tensorInfo('x', [1])],
      outputs: [tensorInfo('b', [1])],
      nodes: [node('Add', ['x', 'b'], ['a']), node('Relu', ['a'], ['b'])],
    });
    expect(() => loadModel(encodeModel(model))).toThrow(/cycle/);
  });
});

describe.skipIf(thirdPartyMissing)('third-party models: params and MACs computed by hand', () => {
  it('MLPerf Tiny KWS DS-CNN (int8 weights behind DequantizeLinear, NHWC input)', () => {
    const { layers, summary } = loadModel(readBytes(KWS), 'kws.onnx');
    // conv 10x4 stride 2 on 1x49x10 -> 64x25x5: params 64*1*10*4 + 64 = 2,624; MACs 64*25*5*1*10*4 = 320,000
    expect(layers[0]).toMatchObject({ kind: 'conv', params: 2624, macs: 320_000, kernel: [10, 4], stride: [2, 2] });
    expect(layers[0].outputShape).toEqual([1, 64, 25, 5]);
    // depthwise 3x3: 64*9 + 64 = 640 params; 64*25*5*9 = 72,000 MACs
    expect(layers[1]).toMatchObject({ kind: 'depthwise', groups: 64, params: 640, macs: 72_000 });
    // pointwise 64->64: 64*64 + 64 = 4,160 params; 64*64*125 = 512,000 MACs
    expect(layers[2]).toMatchObject({ kind: 'pointwise', params: 4160, macs: 512_000 });
    // FC 64->12: 768 + 12 = 780 params, 768 MACs
    expect(layers.at(-1)).toMatchObject({ kind: 'fc', params: 780, macs: 768 });
    expect(layers.filter((l) => l.kind === 'depthwise')).toHaveLength(4);
    expect(layers.filter((l) => l.op === 'Conv')).toHaveLength(9);
    // totals: 2,624 + 4*640 + 4*4,160 + 780 = 22,604; 320,000 + 4*72,000 + 4*512,000 + 768 = 2,656,768
    expect(summary).toMatchObject({ params: 22_604, macs: 2_656_768, ops: 5_313_536, opset: 13 });
    expect(summary.inputs[0].shape).toEqual([1, 49, 10, 1]);
    expect(summary.outputs[0].shape).toEqual([1, 12]);
  });

  it('UltraFace slim 320 (opset 9, initializers listed as inputs)', () => {
    const { layers, summary, graph } = loadModel(readBytes(ULTRAFACE), 'ultraface.onnx');
    expect(graph.inputs.map((i) => i.name)).toEqual(['input']);
    expect(layers.filter((l) => l.op === 'Conv')).toHaveLength(42);
    expect(layers.filter((l) => l.kind === 'depthwise')).toHaveLength(19);
    // stem: 3x3 stride 2, 3->16 on 240x320 -> 120x160: 16*3*9 + 16 = 448 params; 16*120*160*27 = 8,294,400 MACs
    expect(layers[0]).toMatchObject({ kind: 'conv', params: 448, macs: 8_294_400 });
    // every Conv has weight + bias initializers and BN is folded, so params = all float initializer elements
    const floatElements = [...graph.initializers.values()]
      .filter((t) => t.dataType === 1)
      .reduce((n, t) => n + t.dims.reduce((a, d) => a * Number(d), 1), 0);
    expect(summary.params).toBe(floatElements);
    expect(summary.params).toBe(257_916);
    expect(summary.outputs.map((o) => o.shape)).toEqual([
      [1, 4420, 2],
      [1, 4420, 4],
    ]);
  });
});
