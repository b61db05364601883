/**
 * Emits ONNX nodes for a generated graph: fresh tensor names, small constants, one call per node.
 * The training graph (forward, loss, backward) is written with it.
 */
import { create } from '@bufbuild/protobuf';
import { NodeProtoSchema, type NodeProto, type TensorProto } from 'onnx-buf';
import { node as nodeProto, type AttrValue } from '../onnx/builder.ts';
import { floatTensor, int64Tensor } from '../onnx/tensor.ts';

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly taken: Set<string>;
  private readonly constants = new Map<string, string>();

  constructor(taken: Iterable<string>) {
    this.taken = new Set(taken);
  }

  /** A name not used anywhere in the graph, derived from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let k = 2; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }

  reserve(name: string): void {
    this.taken.add(name);
  }

  /** One node with one output; returns the output's name. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, base = op.toLowerCase()): string {
    return this.opN(op, inputs, 1, attrs, base)[0];
  }

  opN(op: string, inputs: string[], outputs: number, attrs: Record<string, AttrValue> = {}, base = op.toLowerCase()): string[] {
    const names = Array.from({ length: outputs }, (_, i) => this.fresh(outputs === 1 ? base : `${base}_${i}`));
    this.nodes.push(nodeProto(op, inputs, names, attrs, this.fresh(`${base}_node`)));
    return names;
  }

  /** A node whose output name is chosen by the caller (graph outputs). */
  opTo(op: string, inputs: string[], output: string, attrs: Record<string, AttrValue> = {}): string {
    this.reserve(output);
    this.nodes.push(nodeProto(op, inputs, [output], attrs, this.fresh(`${output}_node`)));
    return output;
  }

  /** A copy of a forward node with other inputs/outputs (attributes kept). */
  copy(proto: NodeProto, input: string[], output: string[]): void {
    for (const o of output) this.reserve(o);
    this.nodes.push(create(NodeProtoSchema, { opType: proto.opType, domain: proto.domain, name: proto.name, input, output, attribute: proto.attribute }));
  }

  /** A float32 constant (deduplicated by value). */
  float(values: ArrayLike<number>, dims: number[] = values.length === 1 ? [] : [values.length], base = 'c'): string {
    const key = `f|${dims.join(',')}|${Array.from(values).join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh(base);
    this.initializers.push(floatTensor(name, dims, values));
    if (values.length <= 64) this.constants.set(key, name);
    return name;
  }

  int64(values: ArrayLike<number>, dims: number[] = [values.length]): string {
    const key = `i|${dims.join(',')}|${Array.from(values).join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh('i');
    this.initializers.push(int64Tensor(name, dims, values));
    this.constants.set(key, name);
    return name;
  }

  // ---- helpers used by many rules -------------------------------------------------------

  reduceSum(x: string, axes: number[], keepdims: boolean): string {
    return this.op('ReduceSum', [x, this.int64(axes)], { keepdims: keepdims ? 1 : 0 });
  }

  reshape(x: string, shape: number[]): string {
    return this.op('Reshape', [x, this.int64(shape)]);
  }

  transpose(x: string, perm: number[]): string {
    return this.op('Transpose', [x], { perm });
  }

  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }

  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }

  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }

  scale(x: string, factor: number): string {
    return factor === 1 ? x : this.mul(x, this.float([factor]));
  }

  slice(x: string, starts: number[], ends: number[], axes: number[], steps?: number[]): string {
    const inputs = [x, this.int64(starts), this.int64(ends), this.int64(axes)];
    if (steps) inputs.push(this.int64(steps));
    return this.op('Slice', inputs);
  }

  /** The tensor's run-time shape (for dynamic batch sizes). */
  shapeOf(x: string): string {
    return this.op('Shape', [x]);
  }

  /** dy reshaped to the run-time shape of x. */
  reshapeLike(dy: string, x: string): string {
    return this.op('Reshape', [dy, this.shapeOf(x)]);
  }

  /** 1 / (batch size x `perImage`) as a float scalar, read from x's run-time shape. */
  inverseBatchCount(x: string, perImage: number): string {
    const n = this.op('Gather', [this.shapeOf(x), this.int64([0], [])], { axis: 0 });
    const nf = this.op('Cast', [n], { to: 1 });
    return this.op('Reciprocal', [this.scale(nf, perImage)]);
  }
}
