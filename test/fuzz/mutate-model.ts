/**
 * Seeded mutations of ONNX files: byte-level (truncation, bit flips, splices, varint corruption)
 * and structured (dims, tensor storage, Constant nodes, group/stride/pads, opsets, cycles,
 * duplicate names, external data), each applied to a real model's bytes.
 */
import { create } from '@bufbuild/protobuf';
import { SparseTensorProtoSchema, StringStringEntryProtoSchema, TensorProto_DataLocation, TensorProtoSchema, type AttributeProto, type ModelProto, type TensorProto } from 'onnx-buf';
import { attribute, node } from '../../src/core/onnx/builder.ts';
import { cloneModel, encodeModel } from '../../src/core/onnx/model.ts';
import { DataType } from '../../src/core/onnx/tensor.ts';

export type Random = () => number;

export const int = (random: Random, lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];

/** Values a hostile or broken file would put in a dimension or an integer attribute. */
const NASTY_INTS = [-1, -2, 0, 1, 2, 3, 7, 1000, 65_536, 2 ** 31 - 1, 2 ** 31, 2 ** 40, 2 ** 53, -(2 ** 40)];
const nasty = (random: Random) => pick(random, NASTY_INTS);

// ---- byte level -----------------------------------------------------------------------------

export const BYTE_MUTATIONS = {
  truncate(bytes: Uint8Array, random: Random): Uint8Array {
    return bytes.slice(0, int(random, 1, Math.max(1, bytes.length - 1)));
  },
  bitFlips(bytes: Uint8Array, random: Random): Uint8Array {
    const out = bytes.slice();
    for (let k = int(random, 1, 8); k > 0; k--) out[int(random, 0, out.length - 1)] ^= 1 << int(random, 0, 7);
    return out;
  },
  /** Copies a random run of the file over another place (repeats fields, breaks lengths). */
  splice(bytes: Uint8Array, random: Random): Uint8Array {
    const length = int(random, 1, Math.min(4096, bytes.length));
    const from = int(random, 0, bytes.length - length);
    const to = int(random, 0, bytes.length - 1);
    const insert = random() < 0.5; // insert the run, or overwrite with it
    const tail = bytes.subarray(Math.min(bytes.length, insert ? to : to + length));
    const out = new Uint8Array(to + length + tail.length);
    out.set(bytes.subarray(0, to));
    out.set(bytes.subarray(from, from + length), to);
    out.set(tail, to + length);
    return out;
  },
  /** Rewrites the varint at a random position as a huge or negative value (lengths, dims, enums). */
  varint(bytes: Uint8Array, random: Random): Uint8Array {
    const at = int(random, 0, bytes.length - 1);
    const values = [
      [0xff, 0xff, 0xff, 0xff, 0x0f],
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
      [0x80, 0x80, 0x80, 0x80, 0x10],
      [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
      [0x00],
    ];
    const value = pick(random, values);
    const out = new Uint8Array(bytes.length + value.length - 1);
    out.set(bytes.subarray(0, at));
    out.set(value, at);
    out.set(bytes.subarray(at + 1), at + value.length);
    return out;
  },
};

// ---- structured -----------------------------------------------------------------------------

function allTensors(model: ModelProto): TensorProto[] {
  const graph = model.graph!;
  const out = [...graph.initializer];
  for (const n of graph.node) for (const a of n.attribute) if (a.t) out.push(a.t);
  return out;
}

const intAttr = (name: string, value: number): AttributeProto => attribute(name, value);

export const MODEL_MUTATIONS: Record<string, (model: ModelProto, random: Random) => void> = {
  dims(model, random) {
    const tensors = allTensors(model);
    if (!tensors.length) return;
    const t = pick(random, tensors);
    if (random() < 0.3) t.dims.push(BigInt(nasty(random)));
    else if (t.dims.length) t.dims[int(random, 0, t.dims.length - 1)] = BigInt(nasty(random));
  },
  /** Moves a tensor to the typed fields, or drops its data, or keeps the data and inflates dims. */
  storage(model, random) {
    const tensors = allTensors(model);
    if (!tensors.length) return;
    const t = pick(random, tensors);
    const choice = int(random, 0, 4);
    if (choice === 0) {
      t.rawData = new Uint8Array();
    } else if (choice === 1) {
      t.rawData = new Uint8Array();
      t.floatData = Array.from({ length: int(random, 0, 8) }, () => random());
      t.dataType = DataType.FLOAT;
    } else if (choice === 2) {
      t.rawData = new Uint8Array();
      t.int64Data = Array.from({ length: int(random, 0, 4) }, () => BigInt(nasty(random)));
      t.dataType = DataType.INT64;
    } else if (choice === 3) {
      t.dataType = pick(random, [0, 1, 2, 6, 7, 8, 10, 11, 13, 16, 17, 21, 99]);
    } else {
      t.dims = [BigInt(nasty(random)), BigInt(nasty(random))];
      t.rawData = new Uint8Array();
    }
  },
  /** A Constant node with hostile dims and little or no data, feeding a real node. */
  constant(model, random) {
    const graph = model.graph!;
    const dims = Array.from({ length: int(random, 1, 4) }, () => nasty(random));
    const tensor = create(TensorProtoSchema, { name: 'fuzz_const', dims: dims.map(BigInt), floatData: random() < 0.5 ? [1, 2, 3] : [], dataType: DataType.FLOAT });
    const constant = node('Constant', [], ['fuzz_const_out'], { value: tensor });
    const target = pick(random, graph.node);
    if (target.input.length && random() < 0.7) target.input[int(random, 0, target.input.length - 1)] = 'fuzz_const_out';
    graph.node.unshift(constant);
  },
  window(model, random) {
    const convs = model.graph!.node.filter((n) => n.opType === 'Conv' || n.opType.endsWith('Pool'));
    if (!convs.length) return;
    const n = pick(random, convs);
    const name = pick(random, ['group', 'strides', 'pads', 'dilations', 'kernel_shape', 'auto_pad']);
    n.attribute = n.attribute.filter((a) => a.name !== name);
    if (name === 'group') n.attribute.push(intAttr('group', nasty(random)));
    else if (name === 'auto_pad') n.attribute.push(attribute('auto_pad', pick(random, ['SAME_UPPER', 'VALID', 'SAME_LOWER', 'BOGUS'])));
    else {
      const length = pick(random, [0, 1, 2, 3, 4, 5]);
      n.attribute.push(attribute(name, Array.from({ length }, () => nasty(random))));
    }
  },
  opset(model, random) {
    const entry = model.opsetImport[0];
    if (entry) entry.version = BigInt(pick(random, [-1, 0, 1, 6, 7, 9, 11, 13, 17, 21, 22, 1000, 2 ** 40]));
    if (random() < 0.3) model.irVersion = BigInt(pick(random, [-1, 0, 3, 4, 7, 10, 2 ** 40]));
  },
  cycle(model, random) {
    const nodes = model.graph!.node;
    if (nodes.length < 2) return;
    const a = int(random, 0, nodes.length - 2);
    const b = int(random, a + 1, nodes.length - 1);
    if (nodes[a].input.length && nodes[b].output.length) nodes[a].input[0] = nodes[b].output[0];
  },
  duplicateNames(model, random) {
    const nodes = model.graph!.node;
    if (nodes.length < 2) return;
    const a = pick(random, nodes);
    const b = pick(random, nodes);
    if (random() < 0.5) a.name = b.name;
    else if (a.output.length && b.output.length) a.output[0] = b.output[0];
  },
  externalData(model, random) {
    const tensors = allTensors(model);
    if (!tensors.length) return;
    const t = pick(random, tensors);
    if (random() < 0.5) t.dataLocation = TensorProto_DataLocation.EXTERNAL;
    t.externalData.push(create(StringStringEntryProtoSchema, { key: 'location', value: '../../etc/passwd' }));
    if (random() < 0.3) {
      // the same in a sparse initializer (an older check missed it there)
      model.graph!.sparseInitializer.push(create(SparseTensorProtoSchema, { values: t, dims: [1n] }));
    }
  },
  inputDims(model, random) {
    for (const info of [...model.graph!.input, ...model.graph!.valueInfo]) {
      const type = info.type?.value;
      if (type?.case !== 'tensorType' || !type.value.shape || random() < 0.5) continue;
      const dims = type.value.shape.dim;
      if (!dims.length) continue;
      dims[int(random, 0, dims.length - 1)].value = { case: 'dimValue', value: BigInt(nasty(random)) };
    }
  },
  opType(model, random) {
    const n = pick(random, model.graph!.node);
    n.opType = pick(random, ['Conv', 'Relu', 'Gemm', 'MatMul', 'Reshape', 'Concat', 'Add', 'Flatten', 'Transpose', 'Pad', 'Squeeze', 'Gather', 'Shape', 'MaxPool', 'GlobalAveragePool', 'BatchNormalization', 'Unknown', '']);
  },
  dropInitializer(model, random) {
    const inits = model.graph!.initializer;
    if (inits.length) inits.splice(int(random, 0, inits.length - 1), 1);
  },
  attributeTypes(model, random) {
    const n = pick(random, model.graph!.node);
    for (const a of n.attribute) {
      if (random() < 0.5) continue;
      a.type = pick(random, [0, 1, 2, 3, 4, 6, 7, 8, 99]) as AttributeProto["type"];
      a.i = BigInt(nasty(random));
      a.ints = a.ints.map(() => BigInt(nasty(random)));
    }
  },
};

export const MODEL_MUTATION_NAMES = Object.keys(MODEL_MUTATIONS);
export const BYTE_MUTATION_NAMES = Object.keys(BYTE_MUTATIONS) as (keyof typeof BYTE_MUTATIONS)[];

/** One mutated file: 1-3 structured mutations of the decoded model, or one byte-level mutation. */
export function mutateModel(bytes: Uint8Array, model: ModelProto, random: Random): { kind: string; bytes: Uint8Array } {
  if (random() < 0.4) {
    const kind = pick(random, BYTE_MUTATION_NAMES);
    return { kind, bytes: BYTE_MUTATIONS[kind](bytes, random) };
  }
  const copy = cloneModel(model);
  const kinds: string[] = [];
  for (let k = int(random, 1, 3); k > 0; k--) {
    const kind = pick(random, MODEL_MUTATION_NAMES);
    MODEL_MUTATIONS[kind](copy, random);
    kinds.push(kind);
  }
  return { kind: kinds.join('+'), bytes: encodeModel(copy) };
}
