/**
 * Refusals of the pruning plan and of tensor slicing, and slicing of tensors stored in typed
 * fields rather than raw bytes (issue 14: survivors of the prune mutation run). Expected values
 * are the tensors' own elements picked by hand.
 */
import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { DataType } from '../onnx/tensor.ts';
import { analyzeChannels, makePrunePlan, sliceTensor } from './index.ts';
import { channelPlanning } from './planning.ts';
import { residualModel } from './testing.ts';
import { sliceValues } from './slice.ts';

describe('slicing stored tensors: typed fields and refusals', () => {
  it('slices float_data and int64_data along an inner axis, element by element', () => {
    // dims [2, 3]: rows [1 2 3] and [4 5 6]; keep columns 0 and 2 -> [1 3 4 6]
    const f = create(TensorProtoSchema, { name: 'f', dataType: DataType.FLOAT, dims: [2n, 3n], floatData: [1, 2, 3, 4, 5, 6] });
    const s = sliceTensor(f, 1, [0, 2]);
    expect(s.floatData).toEqual([1, 3, 4, 6]);
    expect(s.dims).toEqual([2n, 2n]);
    expect(s.rawData.byteLength).toBe(0);
    const i = create(TensorProtoSchema, { name: 'i', dataType: DataType.INT64, dims: [3n], int64Data: [7n, 8n, 9n] });
    expect(sliceTensor(i, 0, [2]).int64Data).toEqual([9n]);
    // sliceValues on [2, 2, 2] along the middle axis, keeping 1: elements 2 3 6 7
    expect(Array.from(sliceValues(Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), [2, 2, 2], 1, [1], (n) => new Float32Array(n)))).toEqual([2, 3, 6, 7]);
  });

  it('refuses an axis or index out of range, a raw type it cannot size, and strings', () => {
    const f = create(TensorProtoSchema, { name: 'f', dataType: DataType.FLOAT, dims: [2, 3].map(BigInt), floatData: [1, 2, 3, 4, 5, 6] });
    expect(() => sliceTensor(f, 2, [0])).toThrow(/Cannot slice tensor "f" on axis 2: it has rank 2/);
    expect(() => sliceTensor(f, -1, [0])).toThrow(/on axis -1/);
    expect(() => sliceTensor(f, 1, [3])).toThrow(/index out of range on axis 1/);
    expect(() => sliceTensor(f, 1, [-1])).toThrow(/index out of range/);
    expect(sliceTensor(f, 1, [2]).floatData).toEqual([3, 6]); // the last index is in range
    const complex = create(TensorProtoSchema, { name: 'c', dataType: DataType.COMPLEX64, dims: [2n], rawData: new Uint8Array(16) });
    expect(() => sliceTensor(complex, 0, [0])).toThrow(/Tensor "c" has data type COMPLEX64, which edgefold cannot slice/);
    const strings = create(TensorProtoSchema, { name: 's', dataType: DataType.STRING, dims: [2n], stringData: [new Uint8Array([97]), new Uint8Array([98])] });
    expect(() => sliceTensor(strings, 0, [0])).toThrow(/Tensor "s" holds strings/);
  });
});

describe('pruning plan refusals', () => {
  it('keep counts and ratios out of range, and requests on groups that cannot be pruned', () => {
    const analysis = analyzeChannels(residualModel(3));
    const g = analysis.groups.find((x) => x.prunable)!;
    const plan = (req: { keep?: number; ratio?: number }) => makePrunePlan(analysis, { groups: { [g.id]: req } });
    expect(() => plan({ keep: 0 })).toThrow(new RegExp(`keep must be an integer from 1 to ${g.size}, got 0`));
    expect(() => plan({ keep: g.size + 1 })).toThrow(/keep must be an integer/);
    expect(() => plan({ keep: 1.5 })).toThrow(/keep must be an integer/);
    expect(plan({ keep: 1 }).keep.get(g.id)).toHaveLength(1);
    expect(plan({ keep: g.size }).keep.size).toBe(0); // keeping everything changes nothing
    expect(() => plan({ ratio: 1 })).toThrow(/ratio must be at least 0 and below 1, got 1/);
    expect(() => plan({ ratio: -0.1 })).toThrow(/got -0.1/);
    expect(plan({ ratio: 0 }).keep.size).toBe(0);
    expect(() => makePrunePlan(analysis, { groups: { nope: { ratio: 0.5 } } })).toThrow(/There is no channel group "nope"/);
    const fixed = analysis.groups.find((x) => !x.prunable)!;
    expect(() => makePrunePlan(analysis, { groups: { [fixed.id]: { ratio: 0.5 } } })).toThrow(new RegExp(`Channel group "${fixed.id}" cannot be pruned`));
    expect(() => makePrunePlan(analysis, { groups: { [fixed.id]: { keep: 1 } } })).toThrow(/cannot be pruned/);
    // asking an unprunable group for nothing is fine
    expect(makePrunePlan(analysis, { groups: { [fixed.id]: { ratio: 0 } } }).keep.size).toBe(0);
    expect(makePrunePlan(analysis, { groups: { [fixed.id]: { keep: fixed.size } } }).keep.size).toBe(0);
  });

  it('a planning view without importance scores cannot rank channels, and says so', () => {
    const analysis = analyzeChannels(residualModel(3));
    const g = analysis.groups.find((x) => x.prunable)!;
    expect(() => makePrunePlan(channelPlanning(analysis), { ratio: 0.5 })).toThrow(`No channel importance for group "${g.id}" in the planning view.`);
  });
});
