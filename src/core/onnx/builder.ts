import { create } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType as AttrType,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { DataType } from './tensor.ts';

export type AttrValue = number | number[] | string | TensorProto | { float: number } | { floats: number[] };

/** An ONNX attribute; integers are INT(S), `{ float }` / `{ floats }` mark floats, strings are STRING. */
export function attribute(name: string, value: AttrValue): AttributeProto {
  if (typeof value === 'number') return create(AttributeProtoSchema, { name, type: AttrType.INT, i: BigInt(value) });
  if (typeof value === 'string') return create(AttributeProtoSchema, { name, type: AttrType.STRING, s: new TextEncoder().encode(value) });
  if (Array.isArray(value)) return create(AttributeProtoSchema, { name, type: AttrType.INTS, ints: value.map(BigInt) });
  if ('float' in value) return create(AttributeProtoSchema, { name, type: AttrType.FLOAT, f: value.float });
  if ('floats' in value) return create(AttributeProtoSchema, { name, type: AttrType.FLOATS, floats: value.floats });
  return create(AttributeProtoSchema, { name, type: AttrType.TENSOR, t: value });
}

export function node(
  op: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, AttrValue> = {},
  name = outputs[0],
): NodeProto {
  return create(NodeProtoSchema, {
    opType: op,
    name,
    input: inputs,
    output: outputs,
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  });
}

/** A float tensor value info; `null` or a string writes a symbolic dimension; no shape leaves it unknown. */
export function tensorInfo(name: string, shape?: (number | string | null)[], elemType = DataType.FLOAT): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType,
          shape: shape && create(TensorShapeProtoSchema, {
            dim: shape.map((d) =>
              create(TensorShapeProto_DimensionSchema, {
                value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d ?? 'N' },
              }),
            ),
          }),
        }),
      },
    }),
  });
}

export interface ModelSpec {
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
  valueInfo?: ValueInfoProto[];
  opset?: number;
  irVersion?: number;
  name?: string;
}

/** Assembles a ModelProto (used by tests and by graph surgery that adds nodes). */
export function buildModel(spec: ModelSpec): ModelProto {
  return create(ModelProtoSchema, {
    irVersion: BigInt(spec.irVersion ?? 8),
    producerName: 'edgefold',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(spec.opset ?? 13) })],
    graph: create(GraphProtoSchema, {
      name: spec.name ?? 'graph',
      node: spec.nodes,
      input: spec.inputs,
      output: spec.outputs,
      initializer: spec.initializers ?? [],
      valueInfo: spec.valueInfo ?? [],
    }),
  });
}
