import { fromBinary, toBinary, clone, equals } from '@bufbuild/protobuf';
import {
  ModelProtoSchema,
  TensorProto_DataLocation,
  type GraphProto,
  type ModelProto,
  type TensorProto,
} from 'onnx-buf';
import { badInput, EdgefoldError } from '../errors.ts';

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
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes, { readUnknownFields: true });
  } catch (error) {
    throw badInput(
      `${fileName} is not an ONNX model (protobuf decoding failed: ${(error as Error).message}). ` +
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
  const external = findExternalTensor(model.graph);
  if (external) {
    throw new EdgefoldError(
      'unsupported',
      `${fileName} keeps tensor "${external}" in an external data file. edgefold needs a single self-contained ` +
        '.onnx file: re-save it with all tensors inside (e.g. onnx.save(model, path, save_as_external_data=False)).',
      fileName,
    );
  }
  checkTensorSizes(model.graph, fileName);
  return model;
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

function* allGraphs(graph: GraphProto): Generator<GraphProto> {
  yield graph;
  for (const node of graph.node) {
    for (const attr of node.attribute) {
      if (attr.g) yield* allGraphs(attr.g);
      for (const g of attr.graphs) yield* allGraphs(g);
    }
  }
}

function isExternal(tensor: TensorProto): boolean {
  return tensor.dataLocation === TensorProto_DataLocation.EXTERNAL || tensor.externalData.length > 0;
}

function findExternalTensor(root: GraphProto): string | undefined {
  for (const graph of allGraphs(root)) {
    for (const t of graph.initializer) if (isExternal(t)) return t.name;
    for (const node of graph.node) {
      for (const attr of node.attribute) {
        if (attr.t && isExternal(attr.t)) return attr.t.name || node.name;
      }
    }
  }
  return undefined;
}

const BYTES_PER_ELEMENT: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

/** A truncated file often still decodes; a raw_data shorter than its dims promise gives it away. */
function checkTensorSizes(graph: GraphProto, fileName: string): void {
  for (const t of graph.initializer) {
    const bytes = BYTES_PER_ELEMENT[t.dataType];
    if (!bytes || t.rawData.byteLength === 0) continue;
    const count = t.dims.reduce((n, d) => n * Number(d), 1);
    if (t.rawData.byteLength !== count * bytes) {
      throw badInput(
        `${fileName} is damaged: tensor "${t.name}" should hold ${count * bytes} bytes but holds ${t.rawData.byteLength}.`,
        fileName,
      );
    }
  }
}
