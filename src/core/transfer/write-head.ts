import { create } from '@bufbuild/protobuf';
import { StringStringEntryProtoSchema, type ValueInfoProto } from 'onnx-buf';
import { badInput } from '../errors.ts';
import { Graph } from '../graph/graph.ts';
import { node as makeNode } from '../onnx/builder.ts';
import { cloneModel, type ModelProto } from '../onnx/model.ts';
import { floatTensor } from '../onnx/tensor.ts';
import { removeDeadNodes } from './graph-edit.ts';
import { findHead, type HeadInfo } from './head.ts';
import type { LinearHead } from './softmax.ts';

/** Metadata key holding the class names of a re-fitted head (JSON array). */
export const CLASSES_METADATA_KEY = 'edgefold.classes';

function setLastDim(info: ValueInfoProto, from: number, to: number): void {
  const type = info.type?.value;
  if (type?.case !== 'tensorType' || !type.value.shape) return;
  const dims = type.value.shape.dim;
  const last = dims[dims.length - 1];
  if (last?.value.case === 'dimValue' && Number(last.value.value) === from) last.value = { case: 'dimValue', value: BigInt(to) };
}

/**
 * A copy of `model` whose classifier is `head`: one Gemm (transB = 1, weight [K, D], bias [K])
 * writing the same logits tensor, so whatever followed (Softmax, ...) still does. Declared shapes
 * downstream get the new class count; the old weights are dropped.
 */
export function replaceHead(model: ModelProto, head: LinearHead, options: { classNames?: string[] } = {}): { model: ModelProto; previous: HeadInfo } {
  const out = cloneModel(model);
  const graph = new Graph(out);
  const info = findHead(graph);
  if (head.features !== info.features) {
    throw badInput(`the new head takes ${head.features} features but "${info.node}" receives ${info.features}.`, 'head');
  }
  if (options.classNames && options.classNames.length !== head.classes) {
    throw badInput(`${options.classNames.length} class names for a head with ${head.classes} outputs.`, 'classes');
  }
  const proto = out.graph!;
  const used = new Set(proto.node.flatMap((n) => [...n.input, ...n.output]).concat(proto.initializer.map((t) => t.name)));
  const fresh = (base: string) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  const weightName = fresh(`${info.node}.weight_refit`);
  const biasName = fresh(`${info.node}.bias_refit`);
  const gemm = makeNode('Gemm', [info.featureTensor, weightName, biasName], [info.logitsTensor], { transB: 1 }, info.node);
  const headNode = graph.node(info.node)!.proto;
  const addNode = info.biasAdd ? graph.node(info.biasAdd)!.proto : undefined;
  const position = proto.node.indexOf(headNode);
  proto.node = proto.node.filter((n) => n !== headNode && n !== addNode);
  proto.node.splice(position, 0, gemm);
  proto.initializer.push(floatTensor(weightName, [head.classes, head.features], head.weight), floatTensor(biasName, [head.classes], head.bias));

  // declared shapes from the logits on carry the class count in their last dimension
  if (head.classes !== info.outputs) {
    const downstream = new Set([info.logitsTensor]);
    for (const n of proto.node.slice(position)) if (n.input.some((x) => downstream.has(x))) n.output.forEach((o) => o && downstream.add(o));
    for (const v of [...proto.output, ...proto.valueInfo]) if (downstream.has(v.name)) setLastDim(v, info.outputs, head.classes);
  }
  removeDeadNodes(proto);
  if (options.classNames) {
    out.metadataProps = out.metadataProps.filter((p) => p.key !== CLASSES_METADATA_KEY);
    out.metadataProps.push(create(StringStringEntryProtoSchema, { key: CLASSES_METADATA_KEY, value: JSON.stringify(options.classNames) }));
  }
  return { model: out, previous: info };
}

/** Class names stored by a previous re-fit, if any. */
export function modelClassNames(model: ModelProto): string[] | undefined {
  const entry = model.metadataProps.find((p) => p.key === CLASSES_METADATA_KEY);
  if (!entry) return undefined;
  try {
    const names = JSON.parse(entry.value) as unknown;
    return Array.isArray(names) && names.every((n) => typeof n === 'string') ? names : undefined;
  } catch {
    return undefined;
  }
}
