/**
 * A hand-written protobuf reader for the ONNX messages edgefold walks (model, graph, node,
 * attribute, tensor, value info, tensor types and shapes, opsets, string entries, sparse tensors).
 * It builds the same objects as @bufbuild/protobuf's fromBinary (same `$typeName`, prototype
 * defaults, own fields, bigint 64-bit values, tensor bytes as views of the input), about twice as
 * fast and with less garbage: no `[field, wireType]` array per field, no per-field closure chain.
 *
 * It only takes the well-formed common case. Anything else (truncation, bad tags, group wire
 * types, unknown fields, unknown enum values, rarely used messages nested in ways the recursion
 * limit could matter) makes it give up with `Unsupported`, and the caller decodes the file with
 * fromBinary: malformed files therefore get exactly the old decoder's result and message.
 */
import { create, fromBinary, protoInt64 } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  DeviceConfigurationProtoSchema,
  FunctionProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeDeviceConfigurationProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  SparseTensorProtoSchema,
  StringStringEntryProtoSchema,
  TensorAnnotationSchema,
  TensorProto_SegmentSchema,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TrainingInfoProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type SparseTensorProto,
  type TensorProto,
  type TensorShapeProto,
  type TensorShapeProto_Dimension,
  type TypeProto,
  type TypeProto_Tensor,
  type ValueInfoProto,
} from 'onnx-buf';
import type { DescMessage } from '@bufbuild/protobuf';

/** Thrown when the input is not the plain, well-formed case this reader handles. */
export class Unsupported extends Error {}
const unsupported = (): never => {
  throw new Unsupported();
};

/** fromBinary's limit on message nesting (counted from the ModelProto at depth 1). */
const RECURSION_LIMIT = 100;
const ASCII_MAX = 64;

/** The prototype fromBinary's messages get (proto2: scalar defaults live on the prototype). */
const protoOf = (schema: DescMessage): object => Object.getPrototypeOf(create(schema)) as object;
const P = {
  model: protoOf(ModelProtoSchema),
  graph: protoOf(GraphProtoSchema),
  node: protoOf(NodeProtoSchema),
  attribute: protoOf(AttributeProtoSchema),
  tensor: protoOf(TensorProtoSchema),
  segment: protoOf(TensorProto_SegmentSchema),
  valueInfo: protoOf(ValueInfoProtoSchema),
  type: protoOf(TypeProtoSchema),
  tensorType: protoOf(TypeProto_TensorSchema),
  shape: protoOf(TensorShapeProtoSchema),
  dim: protoOf(TensorShapeProto_DimensionSchema),
  opset: protoOf(OperatorSetIdProtoSchema),
  entry: protoOf(StringStringEntryProtoSchema),
  sparse: protoOf(SparseTensorProtoSchema),
};
const ATTRIBUTE_TYPES = new Set(AttributeProtoSchema.fields.find((f) => f.localName === 'type')!.enum!.values.map((v) => v.number));
const DATA_LOCATIONS = new Set(TensorProtoSchema.fields.find((f) => f.localName === 'dataLocation')!.enum!.values.map((v) => v.number));

/**
 * The empty value of the list fields that are empty in nearly every tensor, node and attribute
 * (int32_data, external_data, metadata_props, ...): one shared frozen array instead of one per
 * message (30 MB less for the 100k-node chain, memory the garbage collector would copy and mark).
 * Frozen, so an edit of a decoded model's list fails loudly instead of reaching other messages;
 * edited models are clones (cloneModel gives fresh arrays) or set a new array.
 */
const NONE = Object.freeze([]) as unknown as never[];
/** A list field ready for push: a fresh array in place of the shared empty one. */
const own = <T>(list: T[]): T[] => (list === NONE ? [] : list);

type Msg = Record<string, unknown>;
const make = <T>(proto: object, typeName: string): T & Msg => {
  const m = Object.create(proto) as Msg;
  m.$typeName = typeName;
  return m as T & Msg;
};

const textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

class Reader {
  pos = 0;
  /** Low and high 32 bits of the last varint64 read. */
  lo = 0;
  hi = 0;
  /** Nesting depth of the message being read (ModelProto: 1). */
  depth = 0;
  private readonly view: DataView;

  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** A varint of at most 5 bytes whose value fits in 32 bits (tags and lengths). */
  uint32(): number {
    const buf = this.buf;
    let b = buf[this.pos++];
    if (b < 0x80) return b;
    let v = b & 0x7f;
    b = buf[this.pos++];
    v |= (b & 0x7f) << 7;
    if (b < 0x80) return v;
    b = buf[this.pos++];
    v |= (b & 0x7f) << 14;
    if (b < 0x80) return v;
    b = buf[this.pos++];
    v |= (b & 0x7f) << 21;
    if (b < 0x80) return v;
    b = buf[this.pos++];
    // undefined (past the end) fails this test too
    if (!(b <= 0x0f)) unsupported();
    return (v | (b << 28)) >>> 0;
  }

  /** A full 64-bit varint into lo / hi (at most 10 bytes). */
  varint64(): void {
    const buf = this.buf;
    let lo = 0;
    let hi: number;
    let shift = 0;
    let b: number;
    for (; shift < 28; shift += 7) {
      b = buf[this.pos++];
      if (b === undefined) unsupported();
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.lo = lo;
        this.hi = 0;
        return;
      }
    }
    b = buf[this.pos++];
    if (b === undefined) unsupported();
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      for (shift = 3; shift <= 31; shift += 7) {
        b = buf[this.pos++];
        if (b === undefined) unsupported();
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
      if (b >= 0x80) unsupported();
    }
    this.lo = lo;
    this.hi = hi;
  }

  int32(): number {
    this.varint64();
    return this.lo | 0;
  }

  int64(): bigint {
    this.varint64();
    return this.hi === 0 && this.lo >= 0 ? BigInt(this.lo) : protoInt64.dec(this.lo, this.hi);
  }

  uint64(): bigint {
    this.varint64();
    return this.hi === 0 && this.lo >= 0 ? BigInt(this.lo) : protoInt64.uDec(this.lo, this.hi);
  }

  /** End of a length-delimited field starting here, within `end`. */
  delimited(end: number): number {
    const len = this.uint32();
    const stop = this.pos + len;
    if (stop > end) unsupported();
    return stop;
  }

  bytes(end: number): Uint8Array<ArrayBuffer> {
    const stop = this.delimited(end);
    const out = this.buf.subarray(this.pos, stop) as Uint8Array<ArrayBuffer>;
    this.pos = stop;
    return out;
  }

  string(end: number): string {
    const stop = this.delimited(end);
    const start = this.pos;
    const len = stop - start;
    const buf = this.buf;
    this.pos = stop;
    if (len === 0) return '';
    if (len <= ASCII_MAX) {
      let ascii = true;
      for (let i = start; i < stop; i++) {
        if (buf[i] > 0x7f) {
          ascii = false;
          break;
        }
      }
      if (ascii) return String.fromCharCode.apply(null, buf.subarray(start, stop) as unknown as number[]);
    }
    return textDecoder.decode(buf.subarray(start, stop));
  }

  float(end: number): number {
    if (this.pos + 4 > end) unsupported();
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(end: number): number {
    if (this.pos + 8 > end) unsupported();
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Enters a nested message (fromBinary's recursion limit: beyond it, fromBinary decides). */
  enter(): void {
    if (++this.depth > RECURSION_LIMIT) unsupported();
  }

  /** Leaves a nested message, which must end exactly where its length said (fromBinary would read on). */
  leave(stop: number): void {
    if (this.pos !== stop) unsupported();
    this.depth--;
  }

  /** A message this reader leaves to fromBinary, decoded from its own bytes with the remaining recursion budget. */
  other<T>(schema: DescMessage, end: number): T {
    const bytes = this.bytes(end);
    if (this.depth + 1 > RECURSION_LIMIT) unsupported();
    try {
      return fromBinary(schema, bytes, { readUnknownFields: true, recursionLimit: RECURSION_LIMIT - this.depth }) as T;
    } catch {
      // Its message would be about the part: fromBinary on the whole file says it as before.
      return unsupported();
    }
  }
}

// Wire types.
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** Reads `tag`; returns the wire type after checking it is one of the four this reader handles. */
function tagOf(r: Reader, end: number): number {
  if (r.pos >= end) unsupported();
  const tag = r.uint32();
  const wire = tag & 7;
  if (tag >>> 3 === 0 || (wire !== VARINT && wire !== I64 && wire !== LEN && wire !== I32)) unsupported();
  return tag;
}

const expect = (tag: number, wire: number) => {
  if ((tag & 7) !== wire) unsupported();
};

/** A repeated varint field, packed or not. */
function varints<T>(r: Reader, tag: number, end: number, out: T[], read: () => T): T[] {
  if ((tag & 7) === LEN) {
    const stop = r.delimited(end);
    if (out.length === 0) {
      // Sized up front: an array grown by push keeps room for 17 or more values (memory the GC then copies).
      let count = 0;
      for (let i = r.pos; i < stop; i++) if (r.buf[i] < 0x80) count++;
      out = new Array<T>(count);
      let k = 0;
      while (r.pos < stop && k < count) out[k++] = read();
      if (k !== count) unsupported();
    } else {
      while (r.pos < stop) out.push(read());
    }
    if (r.pos !== stop) unsupported();
  } else {
    expect(tag, VARINT);
    out = own(out);
    out.push(read());
  }
  if (r.pos > end) unsupported();
  return out;
}

function fixed(r: Reader, tag: number, end: number, out: number[], size: 4 | 8): number[] {
  if ((tag & 7) === LEN) {
    const stop = r.delimited(end);
    const count = (stop - r.pos) / size;
    if (!Number.isInteger(count)) unsupported();
    const fresh = out.length === 0;
    if (fresh) out = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const v = size === 4 ? r.float(stop) : r.double(stop);
      if (fresh) out[i] = v;
      else out.push(v);
    }
  } else {
    expect(tag, size === 4 ? I32 : I64);
    out = own(out);
    out.push(size === 4 ? r.float(end) : r.double(end));
  }
  return out;
}

function entry(r: Reader, end: number) {
  const stop = r.delimited(end);
  r.enter();
  const m = make<object>(P.entry, 'onnx.StringStringEntryProto');
  while (r.pos < stop) {
    const tag = tagOf(r, stop);
    switch (tag >>> 3) {
      case 1: expect(tag, LEN); m.key = r.string(stop); break;
      case 2: expect(tag, LEN); m.value = r.string(stop); break;
      default: unsupported();
    }
  }
  r.leave(stop);
  return m;
}

function opset(r: Reader, end: number) {
  const stop = r.delimited(end);
  r.enter();
  const m = make<object>(P.opset, 'onnx.OperatorSetIdProto');
  while (r.pos < stop) {
    const tag = tagOf(r, stop);
    switch (tag >>> 3) {
      case 1: expect(tag, LEN); m.domain = r.string(stop); break;
      case 2: expect(tag, VARINT); m.version = r.int64(); break;
      default: unsupported();
    }
  }
  r.leave(stop);
  return m;
}

function segment(r: Reader, end: number, m = make<object>(P.segment, 'onnx.TensorProto.Segment')) {
  const stop = r.delimited(end);
  r.enter();
  while (r.pos < stop) {
    const tag = tagOf(r, stop);
    switch (tag >>> 3) {
      case 1: expect(tag, VARINT); m.begin = r.int64(); break;
      case 2: expect(tag, VARINT); m.end = r.int64(); break;
      default: unsupported();
    }
  }
  r.leave(stop);
  return m;
}

function newTensor(): TensorProto & Msg {
  const m = make<TensorProto>(P.tensor, 'onnx.TensorProto');
  m.dims = [];
  m.floatData = NONE;
  m.int32Data = NONE;
  m.stringData = NONE;
  m.int64Data = NONE;
  m.externalData = NONE;
  m.doubleData = NONE;
  m.uint64Data = NONE;
  m.metadataProps = NONE;
  return m;
}

function tensor(r: Reader, end: number, m = newTensor()): TensorProto {
  const stop = r.delimited(end);
  r.enter();
  while (r.pos < stop) {
    const tag = tagOf(r, stop);
    switch (tag >>> 3) {
      case 1: m.dims = varints(r, tag, stop, m.dims, () => r.int64()); break;
      case 2: expect(tag, VARINT); m.dataType = r.int32(); break;
      case 3: expect(tag, LEN); m.segment = segment(r, stop, m.segment as never) as never; break;
      case 4: m.floatData = fixed(r, tag, stop, m.floatData, 4); break;
      case 5: m.int32Data = varints(r, tag, stop, m.int32Data, () => r.int32()); break;
      case 6: expect(tag, LEN); (m.stringData = own(m.stringData)).push(r.bytes(stop)); break;
      case 7: m.int64Data = varints(r, tag, stop, m.int64Data, () => r.int64()); break;
      case 8: expect(tag, LEN); m.name = r.string(stop); break;
      case 9: expect(tag, LEN); m.rawData = r.bytes(stop); break;
      case 10: m.doubleData = fixed(r, tag, stop, m.doubleData, 8); break;
      case 11: m.uint64Data = varints(r, tag, stop, m.uint64Data, () => r.uint64()); break;
      case 12: expect(tag, LEN); m.docString = r.string(stop); break;
      case 13: expect(tag, LEN); (m.externalData = own(m.externalData)).push(entry(r, stop) as never); break;
      case 14: {
        expect(tag, VARINT);
        const v = r.int32();
        if (!DATA_LOCATIONS.has(v)) unsupported();
        m.dataLocation = v;
        break;
      }
      case 16: expect(tag, LEN); (m.metadataProps = own(m.metadataProps)).push(entry(r, stop) as never); break;
      default: unsupported();
    }
  }
  // proto2 writes dims unpacked: one push each, and an array sized for 17.
  if (m.dims.length) m.dims = m.dims.slice();
  r.leave(stop);
  return m;
}

function sparse(r: Reader, end: number, m?: SparseTensorProto & Msg): SparseTensorProto {
  const stop = r.delimited(end);
  r.enter();
  if (!m) {
    m = make<SparseTensorProto>(P.sparse, 'onnx.SparseTensorProto');
    m.dims = [];
  }
  while (r.pos < stop) {
    const tag = tagOf(r, stop);
    switch (tag >>> 3) {
      case 1: expect(tag, LEN); m.values = tensor(r, stop, m.values as never); break;
      case 2: expect(tag, LEN); m.indices = tensor(r, stop, m.indices as never); break;
      case 3: m.dims = varints(r, tag, stop, m.dims, () => r.int64()); break;
      default: unsupported();
    }
  }
  r.leave(stop);
  return m;
}

function dimension(r: Reader, end: number): TensorShapeProto_Dimension {
  const stop = r.delimited(end);
  r.enter();
  const m = make<TensorShapeProto_Dimension>(P.dim, 'onnx.TensorShapeProto.Dimension');
  m.value = { case: undefined };
  while (r.pos < stop) {
    const tag = tagOf(r, stop);
    switch (tag >>> 3) {
      case 1: expect(tag, VARINT); m.value = { case: 'dimValue', value: r.int64() }; break;
      case 2: expect(tag, LEN); m.value = { case: 'dimParam', value: r.string(stop) }; break;
      case 3: expect(tag, LEN); m.denotation = r.string(stop); break;
      default: unsupported();
    }
  }
  r.leave(stop);
  return m;
}

function shape(r: Reader, end: number, m?: TensorShapeProto & Msg): TensorShapeProto {
  const stop = r.delimited(end);
  r.enter();
  if (!m) {
    m = make<TensorShapeProto>(P.shape, 'onnx.TensorShapeProto');
    m.dim = [];
  }
  while (r.pos < stop) {
    const tag = tagOf(r, stop);
    if (tag >>> 3 !== 1) unsupported();
    expect(tag, LEN);
    m.dim.push(dimension(r, stop));
  }
  if (m.dim.length) m.dim = m.dim.slice();
  r.leave(stop);
  return m;
}

function tensorType(r: Reader, end: number, m = make<TypeProto_Tensor>(P.tensorType, 'onnx.TypeProto.Tensor')): TypeProto_Tensor {
  const stop = r.delimited(end);
  r.enter();
  while (r.pos < stop) {
    const tag = tagOf(r, stop);
    switch (tag >>> 3) {
      case 1: expect(tag, VARINT); m.elemType = r.int32(); break;
      case 2: expect(tag, LEN); m.shape = shape(r, stop, m.shape as never); break;
      default: unsupported();
    }
  }
  r.leave(stop);
  return m;
}

function typeProto(r: Reader, end: number, m?: TypeProto & Msg): TypeProto {
  const stop = r.delimited(end);
  r.enter();
  if (!m) {
    m = make<TypeProto>(P.type, 'onnx.TypeProto');
    m.value = { case: undefined };
  }
  while (r.pos < stop) {
    const tag = tagOf(r, stop);
    switch (tag >>> 3) {
      case 1: {
        expect(tag, LEN);
        const existing = m.value.case === 'tensorType' ? (m.value.value as never) : undefined;
        m.value = { case: 'tensorType', value: tensorType(r, stop, existing) };
        break;
      }
      case 6: expect(tag, LEN); m.denotation = r.string(stop); break;
      // Sequence, map, optional and sparse tensor types: rare, and merging them is fromBinary's job.
      default: unsupported();
    }
  }
  r.leave(stop);
  return m;
}

function valueInfo(r: Reader, end: number): ValueInfoProto {
  const stop = r.delimited(end);
  r.enter();
  const m = make<ValueInfoProto>(P.valueInfo, 'onnx.ValueInfoProto');
  m.metadataProps = NONE;
  while (r.pos < stop) {
    const tag = tagOf(r, stop);
    switch (tag >>> 3) {
      case 1: expect(tag, LEN); m.name = r.string(stop); break;
      case 2: expect(tag, LEN); m.type = typeProto(r, stop, m.type as never); break;
      case 3: expect(tag, LEN); m.docString = r.string(stop); break;
      case 4: expect(tag, LEN); (m.metadataProps = own(m.metadataProps)).push(entry(r, stop) as never); break;
      default: unsupported();
    }
  }
  r.leave(stop);
  return m;
}

function attribute(r: Reader, end: number): AttributeProto {
  const stop = r.delimited(end);
  r.enter();
  const m = make<AttributeProto>(P.attribute, 'onnx.AttributeProto');
  m.floats = [];
  m.ints = [];
  m.strings = NONE;
  m.tensors = NONE;
  m.graphs = NONE;
  m.sparseTensors = NONE;
  m.typeProtos = NONE;
  while (r.pos < stop) {
    const tag = tagOf(r, stop);
    switch (tag >>> 3) {
      case 1: expect(tag, LEN); m.name = r.string(stop); break;
      case 2: expect(tag, I32); m.f = r.float(stop); break;
      case 3: expect(tag, VARINT); m.i = r.int64(); break;
      case 4: expect(tag, LEN); m.s = r.bytes(stop); break;
      case 5: expect(tag, LEN); m.t = tensor(r, stop, m.t as never); break;
      case 6: expect(tag, LEN); m.g = graph(r, stop, m.g as never); break;
      case 7: m.floats = fixed(r, tag, stop, m.floats, 4); break;
      case 8: m.ints = varints(r, tag, stop, m.ints, () => r.int64()); break;
      case 9: expect(tag, LEN); (m.strings = own(m.strings)).push(r.bytes(stop)); break;
      case 10: expect(tag, LEN); (m.tensors = own(m.tensors)).push(tensor(r, stop)); break;
      case 11: expect(tag, LEN); (m.graphs = own(m.graphs)).push(graph(r, stop)); break;
      case 13: expect(tag, LEN); m.docString = r.string(stop); break;
      case 14: expect(tag, LEN); m.tp = typeProto(r, stop, m.tp as never); break;
      case 15: expect(tag, LEN); (m.typeProtos = own(m.typeProtos)).push(typeProto(r, stop)); break;
      case 20: {
        expect(tag, VARINT);
        const v = r.int32();
        if (!ATTRIBUTE_TYPES.has(v)) unsupported();
        m.type = v;
        break;
      }
      case 21: expect(tag, LEN); m.refAttrName = r.string(stop); break;
      case 22: expect(tag, LEN); m.sparseTensor = sparse(r, stop, m.sparseTensor as never); break;
      case 23: expect(tag, LEN); (m.sparseTensors = own(m.sparseTensors)).push(sparse(r, stop)); break;
      default: unsupported();
    }
  }
  if (m.ints.length) m.ints = m.ints.slice();
  if (m.floats.length) m.floats = m.floats.slice();
  r.leave(stop);
  return m;
}

function node(r: Reader, end: number): NodeProto {
  const stop = r.delimited(end);
  r.enter();
  const m = make<NodeProto>(P.node, 'onnx.NodeProto');
  m.input = [];
  m.output = [];
  m.attribute = [];
  m.metadataProps = NONE;
  m.deviceConfigurations = NONE;
  while (r.pos < stop) {
    const tag = tagOf(r, stop);
    switch (tag >>> 3) {
      case 1: expect(tag, LEN); m.input.push(r.string(stop)); break;
      case 2: expect(tag, LEN); m.output.push(r.string(stop)); break;
      case 3: expect(tag, LEN); m.name = r.string(stop); break;
      case 4: expect(tag, LEN); m.opType = r.string(stop); break;
      case 5: expect(tag, LEN); m.attribute.push(attribute(r, stop)); break;
      case 6: expect(tag, LEN); m.docString = r.string(stop); break;
      case 7: expect(tag, LEN); m.domain = r.string(stop); break;
      case 8: expect(tag, LEN); m.overload = r.string(stop); break;
      case 9: expect(tag, LEN); (m.metadataProps = own(m.metadataProps)).push(entry(r, stop) as never); break;
      case 10: expect(tag, LEN); (m.deviceConfigurations = own(m.deviceConfigurations)).push(r.other(NodeDeviceConfigurationProtoSchema, stop)); break;
      default: unsupported();
    }
  }
  // Exact-size copies: a pushed-to array keeps room for 17 entries, and there is one per node.
  if (m.input.length) m.input = m.input.slice();
  if (m.output.length) m.output = m.output.slice();
  if (m.attribute.length) m.attribute = m.attribute.slice();
  r.leave(stop);
  return m;
}

function graph(r: Reader, end: number, m?: GraphProto & Msg): GraphProto {
  const stop = r.delimited(end);
  r.enter();
  if (!m) {
    m = make<GraphProto>(P.graph, 'onnx.GraphProto');
    m.node = [];
    m.initializer = [];
    m.sparseInitializer = [];
    m.input = [];
    m.output = [];
    m.valueInfo = [];
    m.quantizationAnnotation = [];
    m.metadataProps = [];
  }
  while (r.pos < stop) {
    const tag = tagOf(r, stop);
    expect(tag, LEN);
    switch (tag >>> 3) {
      case 1: m.node.push(node(r, stop)); break;
      case 2: m.name = r.string(stop); break;
      case 5: m.initializer.push(tensor(r, stop)); break;
      case 10: m.docString = r.string(stop); break;
      case 11: m.input.push(valueInfo(r, stop)); break;
      case 12: m.output.push(valueInfo(r, stop)); break;
      case 13: m.valueInfo.push(valueInfo(r, stop)); break;
      case 14: m.quantizationAnnotation.push(r.other(TensorAnnotationSchema, stop)); break;
      case 15: m.sparseInitializer.push(sparse(r, stop)); break;
      case 16: (m.metadataProps = own(m.metadataProps)).push(entry(r, stop) as never); break;
      default: unsupported();
    }
  }
  r.leave(stop);
  return m;
}

/**
 * Decodes ModelProto bytes the way `fromBinary(ModelProtoSchema, bytes, { readUnknownFields: true })`
 * does, or throws `Unsupported` for anything but the well-formed common case.
 */
export function fastDecodeModel(bytes: Uint8Array): ModelProto {
  const r = new Reader(bytes);
  const end = bytes.byteLength;
  r.depth = 1;
  const m = make<ModelProto>(P.model, 'onnx.ModelProto');
  m.opsetImport = [];
  m.metadataProps = [];
  m.trainingInfo = [];
  m.functions = [];
  m.configuration = [];
  while (r.pos < end) {
    const tag = tagOf(r, end);
    switch (tag >>> 3) {
      case 1: expect(tag, VARINT); m.irVersion = r.int64(); break;
      case 2: expect(tag, LEN); m.producerName = r.string(end); break;
      case 3: expect(tag, LEN); m.producerVersion = r.string(end); break;
      case 4: expect(tag, LEN); m.domain = r.string(end); break;
      case 5: expect(tag, VARINT); m.modelVersion = r.int64(); break;
      case 6: expect(tag, LEN); m.docString = r.string(end); break;
      case 7: expect(tag, LEN); m.graph = graph(r, end, m.graph as never); break;
      case 8: expect(tag, LEN); m.opsetImport.push(opset(r, end) as never); break;
      case 14: expect(tag, LEN); (m.metadataProps = own(m.metadataProps)).push(entry(r, end) as never); break;
      case 20: expect(tag, LEN); m.trainingInfo.push(r.other(TrainingInfoProtoSchema, end)); break;
      case 25: expect(tag, LEN); m.functions.push(r.other(FunctionProtoSchema, end)); break;
      case 26: expect(tag, LEN); m.configuration.push(r.other(DeviceConfigurationProtoSchema, end)); break;
      default: unsupported();
    }
    if (r.pos > end) unsupported();
  }
  return m;
}
