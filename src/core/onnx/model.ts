import { fromBinary, toBinary, clone, equals } from '@bufbuild/protobuf';
import {
  ModelProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType as DataType,
  type GraphProto,
  type ModelProto,
  type TensorProto,
} from 'onnx-buf';
import { badInput, EdgefoldError } from '../errors.ts';
import { boundedProduct, checkFileSize, clip, LIMITS, quote } from '../limits.ts';
import { fastDecodeModel } from './fast-decode.ts';

export type { ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto, AttributeProto } from 'onnx-buf';

/** Opsets whose operator semantics the graph core implements. */
export const SUPPORTED_OPSETS = { min: 7, max: 21 };

/**
 * Decode ONNX ModelProto bytes. Protobuf accepts a lot of garbage, so after decoding we check
 * the few things every real model has (an IR version, an ONNX opset, a graph with nodes) and
 * turn anything else into a message a user can act on.
 */
export function decodeModel(bytes: Uint8Array, fileName = 'the file'): ModelProto {
  if (bytes.byteLength === 0) throw badInput(`${fileName} is empty.`, fileName);
  checkFileSize(bytes.byteLength, LIMITS.model.fileBytes, fileName);
  let model: ModelProto;
  try {
    model = readModelProto(bytes);
  } catch (error) {
    throw badInput(
      `${fileName} is not an ONNX model (protobuf decoding failed: ${clip((error as Error).message)}). ` +
        'It may be truncated or another file type.',
      fileName,
    );
  }
  if (!model.graph || model.irVersion <= 0n) {
    throw badInput(`${fileName} is not an ONNX model: it has no IR version or no graph.`, fileName);
  }
  if (model.graph.node.length === 0) throw badInput(`${fileName} has an empty graph (no nodes).`, fileName);
  const opset = onnxOpset(model);
  if (opset === undefined) throw badInput(`${fileName} declares no ONNX opset (opset_import is missing).`, fileName);
  if (opset < SUPPORTED_OPSETS.min || opset > SUPPORTED_OPSETS.max) {
    throw new EdgefoldError(
      'unsupported',
      `${fileName} uses ONNX opset ${opset}; edgefold supports opsets ${SUPPORTED_OPSETS.min} to ${SUPPORTED_OPSETS.max}.`,
      fileName,
    );
  }
  checkModel(model, fileName);
  return model;
}

/**
 * The hand-written reader takes well-formed files (most of them, and twice as fast); whatever it
 * does not take, malformed files included, goes to fromBinary, so the result, or the refusal and
 * its message, is exactly fromBinary's.
 */
function readModelProto(bytes: Uint8Array): ModelProto {
  try {
    return fastDecodeModel(bytes);
  } catch {
    return fromBinary(ModelProtoSchema, bytes, { readUnknownFields: true });
  }
}

export function encodeModel(model: ModelProto): Uint8Array<ArrayBuffer> {
  return toBinary(ModelProtoSchema, model, { writeUnknownFields: true }) as Uint8Array<ArrayBuffer>;
}

export const cloneModel = (model: ModelProto): ModelProto => clone(ModelProtoSchema, model);
export const modelsEqual = (a: ModelProto, b: ModelProto): boolean => equals(ModelProtoSchema, a, b);

/** The version of the default ("" or "ai.onnx") operator set. */
export function onnxOpset(model: ModelProto): number | undefined {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return entry ? Number(entry.version) : undefined;
}

/** Every graph of the model with its nesting depth (0 for the main graph), iteratively. */
function allGraphs(root: GraphProto, fileName: string): GraphProto[] {
  const out: GraphProto[] = [];
  const stack: { graph: GraphProto; depth: number }[] = [{ graph: root, depth: 0 }];
  while (stack.length) {
    const { graph, depth } = stack.pop()!;
    if (depth > LIMITS.model.graphDepth) {
      throw badInput(`${fileName} nests subgraphs deeper than ${LIMITS.model.graphDepth} levels (docs/limits.md).`, fileName);
    }
    out.push(graph);
    for (const node of graph.node) {
      for (const attr of node.attribute) {
        if (attr.g) stack.push({ graph: attr.g, depth: depth + 1 });
        for (const g of attr.graphs) stack.push({ graph: g, depth: depth + 1 });
      }
    }
  }
  return out;
}

function isExternal(tensor: TensorProto): boolean {
  return tensor.dataLocation === TensorProto_DataLocation.EXTERNAL || tensor.externalData.length > 0;
}

const BYTES_PER_ELEMENT: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

/** How many values of a typed storage field (not raw_data) one element takes, by data type. */
function typedStorage(t: TensorProto): { values: number; perElement: number } | undefined {
  switch (t.dataType) {
    case DataType.FLOAT:
      return { values: t.floatData.length, perElement: 1 };
    case DataType.COMPLEX64:
      return { values: t.floatData.length, perElement: 2 };
    case DataType.DOUBLE:
      return { values: t.doubleData.length, perElement: 1 };
    case DataType.COMPLEX128:
      return { values: t.doubleData.length, perElement: 2 };
    case DataType.INT64:
      return { values: t.int64Data.length, perElement: 1 };
    case DataType.UINT32:
    case DataType.UINT64:
      return { values: t.uint64Data.length, perElement: 1 };
    case DataType.STRING:
      return { values: t.stringData.length, perElement: 1 };
    case DataType.UINT8:
    case DataType.INT8:
    case DataType.UINT16:
    case DataType.INT16:
    case DataType.INT32:
    case DataType.BOOL:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      return { values: t.int32Data.length, perElement: 1 };
    default:
      return undefined; // packed or exotic types: only the element count is checked
  }
}

/**
 * Checks everything about the decoded model that later code would allocate or loop over before
 * it could check: subgraph depth, node count, name lengths, declared dims, and every stored tensor
 * (initializers, sparse initializers, Constant and attribute tensors): no external data, dims
 * non-negative, element counts within the limits, and stored data of exactly the promised size.
 */
function checkModel(model: ModelProto, fileName: string): void {
  const limits = LIMITS.model;
  let nodes = 0;
  let elements = 0;
  const name = (text: string, what: string) => {
    if (text.length > limits.nameChars) {
      throw badInput(`${fileName} has a ${what} name of ${text.length.toLocaleString('en-US')} characters (${quote(text, 60)}); the limit is ${limits.nameChars}.`, fileName);
    }
  };
  const damaged = (t: TensorProto, where: string, why: string) =>
    badInput(`${fileName} is damaged: tensor ${quote(t.name || where)} (${where}) ${why}.`, fileName);
  const tensor = (t: TensorProto, where: string) => {
    name(t.name, 'tensor');
    if (isExternal(t)) {
      throw new EdgefoldError(
        'unsupported',
        `${fileName} keeps tensor ${quote(t.name || where)} (${where}) in an external data file. edgefold needs a single self-contained ` +
          '.onnx file: re-save it with all tensors inside (e.g. onnx.save(model, path, save_as_external_data=False)).',
        fileName,
      );
    }
    if (t.dims.length > limits.rank) throw damaged(t, where, `has ${t.dims.length} dimensions (the limit is ${limits.rank})`);
    const count = boundedProduct(t.dims, limits.tensorElements);
    if (Number.isNaN(count)) throw damaged(t, where, `has an invalid dimension in [${clip(t.dims.join(', '), 80)}] (dims must be non-negative integers)`);
    if (count === Infinity) {
      throw badInput(`${fileName}: tensor ${quote(t.name || where)} (${where}) has dims [${clip(t.dims.join(', '), 80)}], more than the limit of ${limits.tensorElements.toLocaleString('en-US')} elements per tensor (docs/limits.md).`, fileName);
    }
    elements += count;
    if (elements > limits.totalElements) {
      throw badInput(`${fileName} stores more than ${limits.totalElements.toLocaleString('en-US')} tensor elements in total, the limit per model (docs/limits.md).`, fileName);
    }
    const bytes = BYTES_PER_ELEMENT[t.dataType];
    if (t.rawData.byteLength > 0) {
      if (bytes && t.rawData.byteLength !== count * bytes) throw damaged(t, where, `should hold ${count * bytes} bytes but holds ${t.rawData.byteLength}`);
      return;
    }
    const typed = typedStorage(t);
    if (!typed) return;
    if (typed.values !== count * typed.perElement) {
      throw damaged(t, where, typed.values === 0 ? `has dims [${clip(t.dims.join(', '), 80)}] but holds no data` : `should hold ${count * typed.perElement} values but holds ${typed.values}`);
    }
  };
  for (const graph of allGraphs(model.graph!, fileName)) {
    nodes += graph.node.length;
    if (nodes > limits.nodes) throw badInput(`${fileName} has more than ${limits.nodes.toLocaleString('en-US')} nodes, the limit per model (docs/limits.md).`, fileName);
    name(graph.name, 'graph');
    for (const t of graph.initializer) tensor(t, 'initializer');
    for (const sparse of graph.sparseInitializer) {
      if (sparse.values) tensor(sparse.values, 'sparse initializer values');
      if (sparse.indices) tensor(sparse.indices, 'sparse initializer indices');
    }
    for (const info of [...graph.input, ...graph.output, ...graph.valueInfo]) {
      name(info.name, 'value');
      const type = info.type?.value;
      if (type?.case !== 'tensorType' || !type.value.shape) continue;
      const dims = type.value.shape.dim;
      if (dims.length > limits.rank) throw badInput(`${fileName}: value ${quote(info.name)} declares ${dims.length} dimensions (the limit is ${limits.rank}).`, fileName);
      for (const d of dims) {
        if (d.value.case === 'dimValue' && (d.value.value < 0n || d.value.value > BigInt(limits.dim))) {
          throw badInput(`${fileName}: value ${quote(info.name)} declares dimension ${d.value.value}; dims must be from 0 to ${limits.dim.toLocaleString('en-US')}.`, fileName);
        }
      }
    }
    for (const node of graph.node) {
      name(node.name, 'node');
      for (const io of node.input) name(io, 'tensor');
      for (const io of node.output) name(io, 'tensor');
      for (const attr of node.attribute) {
        if (!attr.t && !attr.tensors.length && !attr.sparseTensor && !attr.sparseTensors.length) continue;
        // Quoted only for the attributes that hold tensors (most hold none).
        const where = `attribute of node ${quote(node.name || node.opType, 80)}`;
        if (attr.t) tensor(attr.t, where);
        for (const t of attr.tensors) tensor(t, where);
        for (const sparse of [attr.sparseTensor, ...attr.sparseTensors]) {
          if (sparse?.values) tensor(sparse.values, where);
          if (sparse?.indices) tensor(sparse.indices, where);
        }
      }
    }
  }
}
