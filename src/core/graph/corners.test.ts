/**
 * Survivors of the graph mutation run (issue 14): refusals of window attributes no runtime
 * accepts, Conv consistency checks, broadcasting and Reshape with dynamic dims, and layer-view
 * corners (bias Add detection, joins through constants, defaults of non-window layers).
 * Expected values follow the ONNX operator definitions, worked by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import { buildModel, node, tensorInfo, type AttrValue } from '../onnx/builder.ts';
import { floatTensor, int64Tensor } from '../onnx/tensor.ts';
import { Graph } from './graph.ts';
import { analyzeModel } from './index.ts';
import { inferShapes } from './shapes.ts';

const weight = (name: string, dims: number[]) => floatTensor(name, dims, new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(0.1));
const conv = (attrs: Record<string, AttrValue>, x = [1, 2, 6, 6], w = [2, 2, 3, 3]) =>
  buildModel({ inputs: [tensorInfo('x', x)], outputs: [tensorInfo('y')], initializers: [weight('w', w)], nodes: [node('Conv', ['x', 'w'], ['y'], attrs, 'c')] });

describe('window attributes no runtime accepts are refused, naming the attribute', () => {
  it('strides, pads, kernel_shape', () => {
    expect(() => analyzeModel(conv({ strides: [0, 1] }))).toThrow(/attribute "strides" is \[0, 1\]; it needs 2 integers of at least 1/);
    expect(() => analyzeModel(conv({ pads: [1, 1, 1] }))).toThrow(/attribute "pads" is \[1, 1, 1\]; it needs 4 integers of at least 0/);
    expect(() => analyzeModel(conv({ pads: [-1, 0, 0, 0] }))).toThrow(/attribute "pads" is \[-1, 0, 0, 0\]; it needs 4 integers of at least 0/);
    expect(() => analyzeModel(conv({ dilations: [1, 0] }))).toThrow(/attribute "dilations" is \[1, 0\]; it needs 2 integers of at least 1/);
    expect(() => analyzeModel(conv({ kernel_shape: [3] }))).toThrow(/attribute "kernel_shape" is \[3\]; it needs 2 integers of at least 1/);
    const pool = buildModel({ inputs: [tensorInfo('x', [1, 2, 6])], outputs: [tensorInfo('y')], nodes: [node('MaxPool', ['x'], ['y'], { kernel_shape: [0] }, 'p')] });
    expect(() => analyzeModel(pool)).toThrow(/MaxPool node "p": attribute "kernel_shape" is \[0\]; it needs 1 integer of at least 1\./);
    // valid attributes pass: 6 + 0 - 3 + 1 = 4
    expect(analyzeModel(conv({ strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], kernel_shape: [3, 3] })).graph.shape('y')).toEqual([1, 2, 4, 4]);
  });

  it('Conv: ranks, group and channel counts must agree', () => {
    expect(() => analyzeModel(conv({}, [2, 6], [2, 2, 3, 3]))).toThrow(/Conv node "c": input rank 2 and weight rank 4 do not make a convolution/);
    expect(() => analyzeModel(conv({}, [1, 2, 6, 6], [2, 2, 3]))).toThrow(/input rank 4 and weight rank 3/);
    expect(() => analyzeModel(conv({ group: 0 }))).toThrow(/attribute "group" is 0; it must be an integer of at least 1/);
    expect(() => analyzeModel(conv({}, [1, 3, 6, 6], [4, 2, 1, 1]))).toThrow(/the input has 3 channels, but the weight expects 2 per group x group 1 = 2/);
    expect(() => analyzeModel(conv({ group: 2 }, [1, 6, 6, 6], [4, 2, 1, 1]))).toThrow(/the input has 6 channels, but the weight expects 2 per group x group 2 = 4/);
    // a dynamic channel count is not checked: [N, C, 6, 6] with group 2, weight [4, 2, 1, 1] -> [N, 4, 6, 6]
    expect(analyzeModel(conv({ group: 2 }, ['N', 'C', 6, 6] as unknown as number[], [4, 2, 1, 1])).graph.shape('y')).toEqual([null, 4, 6, 6]);
  });
});

describe('dynamic dims through broadcasting, Concat and Reshape', () => {
  const shapesOf = (inputs: Record<string, (number | string)[]>, nodes: ReturnType<typeof node>[], initializers = [] as ReturnType<typeof floatTensor>[]) => {
    const g = new Graph(buildModel({ inputs: Object.entries(inputs).map(([n, s]) => tensorInfo(n, s)), outputs: [tensorInfo('y')], initializers, nodes }));
    const problems = inferShapes(g);
    return { g, problems };
  };

  it('broadcasting: a dynamic dim meets 1 (stays dynamic), a number (the number) or nothing', () => {
    const { g } = shapesOf({ a: ['N', 4], b: [1, 4], c: [3, 4], d: [1, 'M'] }, [
      node('Add', ['a', 'b'], ['ab']), // [null, 4] + [1, 4] -> [null, 4]
      node('Add', ['b', 'a'], ['ba']), // [1, 4] + [null, 4] -> [null, 4]
      node('Add', ['c', 'a'], ['ca']), // [3, 4] + [null, 4] -> [3, 4] (the null must be 3 or 1)
      node('Add', ['c', 'd'], ['cd']), // [3, 4] + [1, null] -> [3, 4]
      node('Add', ['a', 'a'], ['y']),
    ]);
    expect([g.shape('ab'), g.shape('ba'), g.shape('ca'), g.shape('cd')]).toEqual([[null, 4], [null, 4], [3, 4], [3, 4]]);
    const bad = shapesOf({ a: [3, 4], b: [2, 4] }, [node('Add', ['a', 'b'], ['y'], {}, 'add')]);
    expect(bad.g.shape('y')).toBeUndefined();
    expect(bad.problems).toEqual([{ node: 'add', op: 'Add', message: 'cannot broadcast [[3,4],[2,4]]' }]);
  });

  it('Concat adds the axis when every input knows it; Reshape cancels one dynamic dim on each side', () => {
    const { g } = shapesOf({ a: ['N', 2, 5], b: ['N', 3, 5], x: ['N', 3, 4] }, [
      node('Concat', ['a', 'b'], ['c1'], { axis: 1 }), // [null, 5, 5]
      node('Concat', ['a', 'b'], ['c0'], { axis: 0 }), // [null, 2 vs 3 ...]: axis 0 unknown -> null
      node('Reshape', ['x', 'copyRest'], ['r1']), // [0, -1]: [null, 12]
      node('Reshape', ['x', 'fixed'], ['r2']), // [-1, 4]: the batch is folded in, unknown -> [null, 4]
      node('Reshape', ['x', 'all'], ['r3']), // [2, -1]: total unknown and no dynamic dim on the right -> [2, null]
      node('Relu', ['x'], ['y']),
    ], [int64Tensor('copyRest', [2], [0, -1]), int64Tensor('fixed', [2], [-1, 4]), int64Tensor('all', [2], [2, -1])] as never);
    expect(g.shape('c1')).toEqual([null, 5, 5]);
    expect(g.shape('c0')?.[0]).toBeNull();
    expect(g.shape('r1')).toEqual([null, 12]);
    expect(g.shape('r2')).toEqual([null, 4]);
    expect(g.shape('r3')).toEqual([2, null]);
    // a target computed at run time: the shape stays unknown and the problem is recorded
    const dyn = shapesOf({ x: [2, 3, 4], t: [2] }, [node('Reshape', ['x', 't'], ['y'], {}, 'r')]);
    expect(dyn.problems).toEqual([{ node: 'r', op: 'Reshape', message: 'Reshape target is not constant' }]);
  });
});

describe('layer view corners', () => {
  it('bias Add only when the MatMul output has one reader and the other operand is constant; MatMul of two activations', () => {
    const model = buildModel({
      inputs: [tensorInfo('x', [1, 4]), tensorInfo('z', [1, 3])],
      outputs: [tensorInfo('y1'), tensorInfo('y2'), tensorInfo('y3'), tensorInfo('y4')],
      initializers: [weight('w', [4, 3]), weight('b', [3])],
      nodes: [
        node('MatMul', ['x', 'w'], ['m1'], {}, 'actAdd'),
        node('Add', ['m1', 'z'], ['y1']), // both activations: not a bias
        node('MatMul', ['x', 'w'], ['m2'], {}, 'twoReaders'),
        node('Add', ['m2', 'b'], ['y2']),
        node('Relu', ['m2'], ['y3']), // m2 has two readers: the Add is not this layer's bias
        node('MatMul', ['x', 'z'], ['y4'], {}, 'twoActs'), // [1, 4] x [1, 3] is not even valid; no constant either way
      ],
    });
    const { layers } = analyzeModel(model);
    const by = Object.fromEntries(layers.map((l) => [l.name, l]));
    expect(by.actAdd).toMatchObject({ kind: 'fc', hasBias: false, params: 12 });
    expect(by.twoReaders).toMatchObject({ kind: 'fc', hasBias: false, params: 12 });
    expect(by.twoActs).toMatchObject({ kind: 'elementwise', reason: 'MatMul of two activations', params: 0, macs: 0 });
  });

  it('a join traced back through an op whose constant comes first; join defaults; ai.onnx domain; 1 x 3 kernels are not pointwise', () => {
    const model = buildModel({
      name: 'corner-model',
      inputs: [tensorInfo('x', [1, 2, 4, 4])],
      outputs: [tensorInfo('y')],
      initializers: [weight('w1', [2, 2, 1, 1]), weight('w2', [2, 2, 1, 3]), weight('k', [1, 2, 1, 1])],
      nodes: [
        node('Conv', ['x', 'w1'], ['a'], {}, 'one'),
        node('Conv', ['x', 'w2'], ['b'], { pads: [0, 1, 0, 1] }, 'wide'),
        node('Relu', ['b'], ['rb']),
        node('Mul', ['k', 'rb'], ['kb'], {}, 'scale'),
        node('Add', ['a', 'kb'], ['y'], {}, 'join'),
      ],
    });
    model.graph!.node[0].domain = 'ai.onnx';
    model.producerVersion = '1.2';
    const { layers, summary } = analyzeModel(model);
    const by = Object.fromEntries(layers.map((l) => [l.name, l]));
    expect(by.one.kind).toBe('pointwise');
    // 1 x 3 kernel, group 1: a standard conv (not every kernel dim is 1)
    expect(by.wide.kind).toBe('conv');
    expect(by.join).toMatchObject({ kind: 'elementwise', sources: ['one', 'wide'], kernel: [1, 1], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], groups: 1, hasBias: false, outputShape: [1, 2, 4, 4] });
    expect(by.scale).toBeUndefined();
    expect(summary).toMatchObject({ name: 'corner-model', producer: 'edgefold 1.2', layerCount: 3 });
    // an op of the default domain without a shape rule is unsupported and named as such
    const odd = buildModel({ inputs: [tensorInfo('x', [1, 2])], outputs: [tensorInfo('y', [1, 2])], nodes: [node('Hardmax', ['x'], ['y'], {}, 'h')] });
    expect(analyzeModel(odd).layers[0]).toMatchObject({ kind: 'unsupported', reason: 'operator Hardmax is not supported', kernel: [1, 1], pads: [0, 0, 0, 0], outputShape: [1, 2] });
    const unnamed = buildModel({ inputs: [tensorInfo('x', [1, 2])], outputs: [tensorInfo('y', [1, 2])], nodes: [node('Relu', ['x'], ['y'])] });
    unnamed.graph!.name = '';
    expect(analyzeModel(unnamed, 'file.onnx').summary.name).toBe('file');
  });
});
