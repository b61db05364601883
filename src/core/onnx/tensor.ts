import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema, TensorProto_DataType as DataType, type TensorProto } from 'onnx-buf';
import { badInput, EdgefoldError } from '../errors.ts';
import { boundedProduct, clip, LIMITS, quote } from '../limits.ts';

export { DataType };

export const tensorDims = (t: TensorProto): number[] => t.dims.map(Number);
export const elementCount = (dims: readonly number[]): number => dims.reduce((n, d) => n * d, 1);

function rawView(t: TensorProto): DataView {
  return new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
}

/** IEEE 754 half-precision bits to a number (ONNX FLOAT16 tensors, numpy float16 arrays). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

const READABLE_TYPES = new Set<number>([
  DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.INT8, DataType.UINT8, DataType.BOOL,
  DataType.INT16, DataType.UINT16, DataType.INT32, DataType.INT64, DataType.UINT32, DataType.UINT64,
]);

/** Whether `tensorValues` can read this tensor's data type. */
export const isReadableTensor = (t: TensorProto): boolean => READABLE_TYPES.has(t.dataType);

/** Reads any numeric tensor as float64 values, whether stored in raw_data or typed fields. */
export function tensorValues(t: TensorProto): Float64Array {
  const n = boundedProduct(t.dims, LIMITS.model.tensorElements);
  if (!Number.isFinite(n)) {
    throw badInput(`Tensor ${quote(t.name)} has dims [${clip(t.dims.join(', '), 80)}]: not non-negative integers within ${LIMITS.model.tensorElements.toLocaleString('en-US')} elements.`);
  }
  const out = new Float64Array(n);
  const raw = t.rawData.byteLength > 0;
  const view = raw ? rawView(t) : undefined;
  const read = (typed: ArrayLike<number | bigint>, fromRaw: (i: number) => number) => {
    for (let i = 0; i < n; i++) out[i] = view ? fromRaw(i) : Number(typed[i]);
  };
  switch (t.dataType) {
    case DataType.FLOAT:
      read(t.floatData, (i) => view!.getFloat32(i * 4, true));
      break;
    case DataType.DOUBLE:
      read(t.doubleData, (i) => view!.getFloat64(i * 8, true));
      break;
    case DataType.FLOAT16:
      if (view) for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      else for (let i = 0; i < n; i++) out[i] = halfToFloat(t.int32Data[i]);
      break;
    case DataType.INT8:
      read(t.int32Data, (i) => view!.getInt8(i));
      break;
    case DataType.UINT8:
    case DataType.BOOL:
      read(t.int32Data, (i) => view!.getUint8(i));
      break;
    case DataType.INT16:
      read(t.int32Data, (i) => view!.getInt16(i * 2, true));
      break;
    case DataType.UINT16:
      read(t.int32Data, (i) => view!.getUint16(i * 2, true));
      break;
    case DataType.INT32:
      read(t.int32Data, (i) => view!.getInt32(i * 4, true));
      break;
    case DataType.INT64:
      read(t.int64Data, (i) => Number(view!.getBigInt64(i * 8, true)));
      break;
    case DataType.UINT32:
    case DataType.UINT64:
      read(t.uint64Data, (i) => (t.dataType === DataType.UINT32 ? view!.getUint32(i * 4, true) : Number(view!.getBigUint64(i * 8, true))));
      break;
    default:
      throw new EdgefoldError('unsupported', `Tensor "${t.name}" has data type ${DataType[t.dataType] ?? t.dataType}, which edgefold cannot read.`);
  }
  return out;
}

export function tensorFloat32(t: TensorProto): Float32Array {
  return Float32Array.from(tensorValues(t));
}

/** A float32 initializer stored in raw_data (the layout every exporter uses). */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): TensorProto {
  const data = Float32Array.from(values);
  if (data.length !== elementCount(dims)) {
    throw new EdgefoldError('internal', `Tensor "${name}": ${data.length} values do not fit dims [${dims.join(', ')}].`);
  }
  return create(TensorProtoSchema, {
    name,
    dims: dims.map(BigInt),
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(data.buffer),
  });
}

export function int64Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): TensorProto {
  const data = BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
  return create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType: DataType.INT64, rawData: new Uint8Array(data.buffer) });
}
