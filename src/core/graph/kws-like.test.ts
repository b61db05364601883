/**
 * In-project stand-in for the checks only the third-party KWS fixture made (issue 14): an NHWC
 * input behind a Transpose, int8 weights behind DequantizeLinear, a depthwise conv, a grouped
 * conv (group 2) and a MatMul + bias Add FC, built here with the model builder. Params and MACs
 * are worked out by hand; onnxruntime runs the model to confirm the shapes.
 */
import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { hwLayersFromLayerView } from '../hw/layers.ts';
import { buildModel, node, tensorInfo } from '../onnx/builder.ts';
import { encodeModel } from '../onnx/model.ts';
import { DataType, floatTensor, int64Tensor } from '../onnx/tensor.ts';
import { randomValues, seeded } from '../prune/testing.ts';
import { analyzeModel } from './index.ts';

ort.env.logLevel = 'error';

const int8Tensor = (name: string, dims: number[], values: number[]) =>
  create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType: DataType.INT8, rawData: new Uint8Array(Int8Array.from(values).buffer) });

function kwsLike() {
  const r = seeded(12);
  const ints = (n: number) => Array.from({ length: n }, () => Math.round(r() * 254 - 127));
  const w = (name: string, dims: number[]) => floatTensor(name, dims, randomValues(r, dims.reduce((a, b) => a * b, 1), 0.3));
  return buildModel({
    inputs: [tensorInfo('input', [1, 49, 10, 1])],
    outputs: [tensorInfo('logits', [1, 12])],
    initializers: [
      int8Tensor('conv0.wq', [8, 1, 10, 4], ints(320)),
      floatTensor('conv0.scale', [], [0.01]),
      int8Tensor('conv0.zp', [], [0]),
      w('conv0.b', [8]),
      w('dw.w', [8, 1, 3, 3]),
      w('dw.b', [8]),
      w('grouped.w', [16, 4, 3, 3]),
      w('grouped.b', [16]),
      w('pw.w', [8, 16, 1, 1]),
      w('pw.b', [8]),
      int64Tensor('flat.shape', [2], [-1, 8]),
      w('fc.w', [8, 12]),
      w('fc.b', [12]),
    ],
    nodes: [
      node('Transpose', ['input'], ['nchw'], { perm: [0, 3, 1, 2] }),
      node('DequantizeLinear', ['conv0.wq', 'conv0.scale', 'conv0.zp'], ['conv0.w']),
      // 49 x 10, kernel 10 x 4, stride 2, pads [4, 1 | 5, 2]: floor((49 + 9 - 10)/2) + 1 = 25, floor((10 + 3 - 4)/2) + 1 = 5
      node('Conv', ['nchw', 'conv0.w', 'conv0.b'], ['c0'], { kernel_shape: [10, 4], strides: [2, 2], pads: [4, 1, 5, 2] }, 'conv0'),
      node('Relu', ['c0'], ['r0']),
      node('Conv', ['r0', 'dw.w', 'dw.b'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 }, 'dw'),
      node('Relu', ['c1'], ['r1']),
      node('Conv', ['r1', 'grouped.w', 'grouped.b'], ['c2'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 2 }, 'grouped'),
      node('Relu', ['c2'], ['r2']),
      node('Conv', ['r2', 'pw.w', 'pw.b'], ['c3'], { kernel_shape: [1, 1] }, 'pw'),
      node('Relu', ['c3'], ['r3']),
      node('GlobalAveragePool', ['r3'], ['gap']),
      node('Reshape', ['gap', 'flat.shape'], ['flat']),
      node('MatMul', ['flat', 'fc.w'], ['mm'], {}, 'fc'),
      node('Add', ['mm', 'fc.b'], ['logits'], {}, 'fc_bias'),
    ],
  });
}

describe('KWS-like model built in the project (no third-party fixture needed)', () => {
  // Built inside each test: Stryker switches mutants per test, not while the file is collected.
  const setup = () => analyzeModel(kwsLike(), 'kws-like.onnx');

  it('params and MACs per layer and in total, by hand; grouped conv counts Cin/group inputs per output', () => {
    const { layers, summary, shapeProblems } = setup();
    expect(shapeProblems).toEqual([]);
    // conv0: 8*1*10*4 + 8 = 328 params; 8 * 25*5 * 1*10*4 = 40,000 MACs
    expect(layers[0]).toMatchObject({ name: 'conv0', kind: 'conv', params: 328, macs: 40_000, kernel: [10, 4], stride: [2, 2], pads: [4, 1, 5, 2] });
    expect(layers[0].outputShape).toEqual([1, 8, 25, 5]);
    // depthwise: 8*9 + 8 = 80; 8 * 125 * 9 = 9,000
    expect(layers[1]).toMatchObject({ name: 'dw', kind: 'depthwise', groups: 8, params: 80, macs: 9_000 });
    // grouped (2 groups of 4 -> 8): 16*4*9 + 16 = 592 params; 16 * 125 * 4*9 = 72,000 MACs (not 16*125*8*9)
    expect(layers[2]).toMatchObject({ name: 'grouped', kind: 'grouped', groups: 2, params: 592, macs: 72_000 });
    // pointwise 16 -> 8: 128 + 8 = 136; 8 * 16 * 125 = 16,000
    expect(layers[3]).toMatchObject({ name: 'pw', kind: 'pointwise', params: 136, macs: 16_000 });
    // FC (MatMul + bias Add): 8*12 + 12 = 108 params, 96 MACs
    expect(layers.at(-1)).toMatchObject({ name: 'fc', kind: 'fc', hasBias: true, params: 108, macs: 96 });
    expect(layers.at(-1)!.outputShape).toEqual([1, 12]);
    // 328 + 80 + 592 + 136 + 108 = 1,244 params; 40,000 + 9,000 + 72,000 + 16,000 + 96 = 137,096 MACs
    expect(summary).toMatchObject({ params: 1244, macs: 137_096, ops: 274_192 });
    expect(summary.inputs[0].shape).toEqual([1, 49, 10, 1]);
  });

  it('onnxruntime runs it and produces the inferred output shape', async () => {
    const { model, summary } = setup();
    const session = await ort.InferenceSession.create(encodeModel(model), { logSeverityLevel: 3 });
    const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(randomValues(seeded(1), 490, 1)), [1, 49, 10, 1]) });
    await session.release();
    expect(out.logits.dims.map(Number)).toEqual(summary.outputs[0].shape);
  });

  it('the hardware view maps depthwise and standard convs and says a grouped conv has no FINN engine', () => {
    const { layers } = setup();
    const hw = hwLayersFromLayerView(layers);
    expect(hw.map((l) => [l.name, l.mappable])).toEqual([
      ['conv0', true],
      ['dw', true],
      ['grouped', false],
      ['pw', true],
      ['gap', true],
      ['fc', true],
    ]);
    expect(hw.find((l) => l.name === 'grouped')!.reason).toMatch(/grouped convolution \(groups=2\) has no FINN engine/);
  });
});
