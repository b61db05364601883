/** Slicing stored tensors along one axis, keeping their data type and storage layout bit for bit. */
import { clone } from '@bufbuild/protobuf';
import { TensorProtoSchema, type TensorProto } from 'onnx-buf';
import { EdgefoldError } from '../errors.ts';
import { DataType, elementCount, tensorDims } from '../onnx/tensor.ts';

const BYTES: Partial<Record<DataType, number>> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.UINT16]: 2,
  [DataType.INT16]: 2,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.FLOAT16]: 2,
  [DataType.DOUBLE]: 8,
  [DataType.UINT32]: 4,
  [DataType.UINT64]: 8,
  [DataType.BFLOAT16]: 2,
};

/** Element positions kept when `keep` (sorted indices along `axis`) is taken from a tensor of `dims`. */
export function keptElementIndices(dims: readonly number[], axis: number, keep: readonly number[]): number[] {
  const outer = elementCount(dims.slice(0, axis));
  const n = dims[axis];
  const inner = elementCount(dims.slice(axis + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const k of keep) {
      const base = (o * n + k) * inner;
      for (let i = 0; i < inner; i++) out.push(base + i);
    }
  }
  return out;
}

/** Takes the entries `keep` along `axis` from typed values laid out as `dims` (row-major). */
export function sliceValues<T extends { length: number; [i: number]: number }>(
  values: T,
  dims: readonly number[],
  axis: number,
  keep: readonly number[],
  make: (n: number) => T,
): T {
  const idx = keptElementIndices(dims, axis, keep);
  const out = make(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = values[idx[i]];
  return out;
}

/**
 * A copy of an initializer keeping only indices `keep` along `axis`. Works on raw_data or on the
 * typed fields, for every fixed-size data type, so the kept values are bit-identical.
 */
export function sliceTensor(t: TensorProto, axis: number, keep: readonly number[]): TensorProto {
  const dims = tensorDims(t);
  if (axis < 0 || axis >= dims.length) throw new EdgefoldError('internal', `Cannot slice tensor "${t.name}" on axis ${axis}: it has rank ${dims.length}.`);
  if (keep.some((k) => k < 0 || k >= dims[axis])) throw new EdgefoldError('internal', `Cannot slice tensor "${t.name}": index out of range on axis ${axis}.`);
  const idx = keptElementIndices(dims, axis, keep);
  const out = clone(TensorProtoSchema, t);
  out.dims = dims.map((d, i) => BigInt(i === axis ? keep.length : d));
  if (t.rawData.byteLength > 0) {
    const size = BYTES[t.dataType as DataType];
    if (!size) throw new EdgefoldError('unsupported', `Tensor "${t.name}" has data type ${DataType[t.dataType] ?? t.dataType}, which edgefold cannot slice.`);
    const raw = new Uint8Array(idx.length * size);
    for (let i = 0; i < idx.length; i++) raw.set(t.rawData.subarray(idx[i] * size, idx[i] * size + size), i * size);
    out.rawData = raw;
    return out;
  }
  const pick = <V>(arr: V[]): V[] => (arr.length ? idx.map((i) => arr[i]) : arr);
  out.floatData = pick(t.floatData);
  out.int32Data = pick(t.int32Data);
  out.int64Data = pick(t.int64Data);
  out.doubleData = pick(t.doubleData);
  out.uint64Data = pick(t.uint64Data);
  if (t.stringData.length) throw new EdgefoldError('unsupported', `Tensor "${t.name}" holds strings, which edgefold cannot slice.`);
  return out;
}
