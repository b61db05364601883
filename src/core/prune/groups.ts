/**
 * Channel-group discovery: which output channels of which layers must be removed together.
 *
 * Every activation tensor gets a channel layout along axis 1 (ONNX's channel axis): a list of
 * segments, each a whole "source" of channels (the output of a conv or FC layer, the graph
 * input, or the output of an op whose channel semantics are unknown). Ops that keep channel c
 * as channel c (BN, activations, pooling, depthwise convs) pass the layout through; a residual
 * Add unions its inputs' sources index by index; Concat on the channel axis concatenates
 * layouts; Flatten/Reshape after a pool widens each channel to a block of `inner` features
 * (the FC input rows). A group is a union of sources. A group is not prunable when any tensor
 * carrying it reaches a graph input or output or an op whose channel semantics are unknown;
 * the reasons say which.
 */
import { attrInt, attrInts, type Graph, type GraphNode } from '../graph/graph.ts';
import { paramRef } from './params.ts';

export type MemberRole =
  /** Conv filters producing the channels: weight axis 0 and bias. */
  | 'conv-out'
  /** Conv (group 1) reading the channels: weight axis 1. */
  | 'conv-in'
  /** Depthwise conv: channel c in -> channel c out; weight axis 0, bias, `group` attribute. */
  | 'depthwise'
  /** BatchNormalization: scale, B, mean, var. */
  | 'batchnorm'
  /** Gemm / MatMul producing the channels as output features: weight columns and bias. */
  | 'fc-out'
  /** Gemm / MatMul reading the channels as input features (weight rows), `inner` rows per channel. */
  | 'fc-in'
  /** A per-channel constant operand (Mul/Add/PRelu slope/...): sliced on `axis`. */
  | 'constant'
  /** Reshape whose stored target shape holds the channel or feature count. */
  | 'reshape'
  /** Elementwise op joining several activations (residual Add): ties their channels. */
  | 'join'
  /** Concat on the channel axis: this group occupies a channel range of the output. */
  | 'concat'
  /** Ops that carry channels through unchanged (activations, pooling, flatten). */
  | 'passthrough';

export interface GroupMember {
  node: string;
  op: string;
  role: MemberRole;
  /** The tensor whose axis-1 elements this member sees (the node's input or output). */
  tensor: string;
  /** Element offset along axis 1 of `tensor` where this group's channel 0 starts. */
  offset: number;
  /** Consecutive elements per channel along axis 1 (H*W after a Flatten, otherwise 1). */
  inner: number;
  /** 'constant' members: which node input holds the constant, and its axis to slice. */
  input?: number;
  axis?: number;
}

export interface ChannelGroup {
  /** The first producing layer's name (or the source tensor's name when no layer produces it). */
  id: string;
  /** Channels in the group. */
  size: number;
  /** Layers whose filters produce the channels (conv-out / fc-out members), in graph order. */
  producers: string[];
  members: GroupMember[];
  /** Activation tensors carrying (some of) these channels. */
  tensors: string[];
  prunable: boolean;
  /** Why the group is not prunable (empty when it is). */
  reasons: string[];
}

/** A run of channels of one group inside a tensor's channel axis. */
export interface Segment {
  group: string;
  size: number;
  /** Element offset of channel 0 along axis 1. */
  offset: number;
  inner: number;
}

export interface ChannelAnalysis {
  graph: Graph;
  groups: ChannelGroup[];
  /** Channel layout of every activation tensor that has one. */
  layouts: ReadonlyMap<string, readonly Segment[]>;
  /** Layer (node) name -> the group its output channels belong to. */
  layerGroup: Map<string, string>;
}

interface RawSeg {
  src: number;
  size: number;
  inner: number;
}


const PASSTHROUGH = new Set([
  'Relu', 'LeakyRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Elu', 'Selu', 'Celu', 'Softplus', 'Softsign',
  'Mish', 'Gelu', 'Erf', 'Identity', 'Dropout', 'Round', 'Floor', 'Ceil', 'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal',
  'Cast', 'Clip', 'Sign', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool', 'GlobalLpPool',
  'QuantizeLinear', 'DequantizeLinear',
]);
/** Roles that touch stored parameters or attributes (what makes a group worth listing). */
export const PARAMETRIC = new Set<MemberRole>(['conv-out', 'conv-in', 'depthwise', 'batchnorm', 'fc-out', 'fc-in', 'constant', 'reshape']);
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum', 'Mean', 'Pow', 'PRelu']);
const REDUCE = new Set(['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSum', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp', 'ReduceSumSquare']);

const prod = (dims: readonly (number | null)[]): number | null =>
  dims.some((d) => d === null) ? null : (dims as number[]).reduce((a, b) => a * b, 1);

class GroupBuilder {
  private parent: number[] = [];
  private sizes: number[] = [];
  /** Why each source cannot be pruned; undefined (most sources) while there is no reason. */
  private reasons: (Set<string> | undefined)[] = [];
  private origin: string[] = [];
  readonly members: GroupMember[] = [];
  /** The source of each member's channels (parallel to `members`). */
  private memberSource: number[] = [];
  /** Layout arrays are never modified once set, so ops that pass channels through share them. */
  readonly layouts = new Map<string, readonly RawSeg[]>();

  constructor(readonly graph: Graph) {}

  /** A new source of channels; `register` false leaves it out of the tensor layouts (a constant's channels). */
  source(tensor: string, size: number, reason?: string, register = true): RawSeg[] {
    const id = this.parent.length;
    this.parent.push(id);
    this.sizes.push(size);
    this.reasons.push(reason ? new Set([reason]) : undefined);
    this.origin.push(tensor);
    const layout = [{ src: id, size, inner: 1 }];
    if (register) this.layouts.set(tensor, layout);
    return layout;
  }

  find(a: number): number {
    while (this.parent[a] !== a) {
      this.parent[a] = this.parent[this.parent[a]];
      a = this.parent[a];
    }
    return a;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    const [keep, drop] = ra < rb ? [ra, rb] : [rb, ra];
    this.parent[drop] = keep;
    const dropped = this.reasons[drop];
    if (dropped) for (const r of dropped) this.addReason(keep, r);
  }

  private addReason(root: number, reason: string): void {
    const set = this.reasons[root];
    if (set) set.add(reason);
    else this.reasons[root] = new Set([reason]);
  }

  poison(layout: readonly RawSeg[] | undefined, reason: string): void {
    for (const seg of layout ?? []) this.addReason(this.find(seg.src), reason);
  }

  /** An output whose channels edgefold cannot follow: a fresh source that can never be pruned. */
  opaque(name: string, reason: string): void {
    if (!name) return;
    const shape = this.graph.shape(name);
    if (!shape || shape.length < 2) return;
    this.source(name, shape[1] ?? 0, reason);
  }

  /** Records `node` as a member of every group in `layout`; offsets count from `base` along axis 1 of `tensor`. */
  member(node: GraphNode, role: MemberRole, tensor: string, layout: readonly RawSeg[], base = 0, constant?: { input: number; axis: number }): void {
    let offset = base;
    for (const seg of layout) {
      const m: GroupMember = { node: node.name, op: node.op, role, tensor, offset, inner: seg.inner };
      if (constant) {
        m.input = constant.input;
        m.axis = constant.axis;
      }
      this.members.push(m);
      this.memberSource.push(seg.src);
      offset += seg.size * seg.inner;
    }
  }

  finish(): ChannelAnalysis {
    const graph = this.graph;
    const sources = this.parent.length;
    const groups: ChannelGroup[] = [];
    /** The group of each root source (indexed by source number). */
    const groupOf: ChannelGroup[] = new Array(sources);
    const used = new Set<string>();
    // One pass over the members (not one per group): the analysis stays linear in the graph size.
    const producersOf: (string[] | undefined)[] = new Array(sources);
    for (let i = 0; i < this.members.length; i++) {
      const m = this.members[i];
      if (m.role !== 'conv-out' && m.role !== 'fc-out') continue;
      const root = this.find(this.memberSource[i]);
      const list = producersOf[root];
      if (list) list.push(m.node);
      else producersOf[root] = [m.node];
    }
    for (let s = 0; s < sources; s++) {
      const root = this.find(s);
      if (groupOf[root]) continue;
      const producers = producersOf[root] ?? [];
      let id = producers[0] ?? this.origin[root];
      for (let k = 2; used.has(id); k++) id = `${producers[0] ?? this.origin[root]}#${k}`;
      used.add(id);
      const size = this.sizes[root];
      const reasons = [...(this.reasons[root] ?? [])];
      if (!reasons.length && size <= 1) reasons.push('it has a single channel (at least one must stay)');
      const unique = producers.length > 1 ? [...new Set(producers)] : producers;
      const group: ChannelGroup = { id, size, producers: unique, members: [], tensors: [], prunable: reasons.length === 0, reasons };
      groupOf[root] = group;
      groups.push(group);
    }
    for (let i = 0; i < this.members.length; i++) groupOf[this.find(this.memberSource[i])].members.push(this.members[i]);
    // Tensors whose axis 1 is not a channel axis at all (after a Transpose, a mixing Reshape) own
    // "groups" no layer reads or writes: they stay in the layouts but are not listed.
    const listed = groups.filter((g) => g.members.some((m) => PARAMETRIC.has(m.role)));
    // The raw layouts map becomes the result: each tensor's value is replaced in place (same keys,
    // same order), and tensors that share a raw layout (channels passed through) share its segments.
    const layouts = this.layouts as Map<string, readonly RawSeg[] | readonly Segment[]>;
    const converted = new Map<readonly RawSeg[], { segs: readonly Segment[]; groups: ChannelGroup[] }>();
    // Tensors that share a layout are mostly inserted one after the other (a conv's output, then
    // the activation passing it on): the previous conversion is checked before the map.
    let lastRaw: readonly RawSeg[] | undefined;
    let lastDone: { segs: readonly Segment[]; groups: ChannelGroup[] } | undefined;
    for (const [tensor, raw] of this.layouts) {
      let done = raw === lastRaw ? lastDone : converted.get(raw);
      if (!done) {
        let offset = 0;
        const segs: Segment[] = [];
        const owners: ChannelGroup[] = [];
        for (const seg of raw) {
          const group = groupOf[this.find(seg.src)];
          segs.push({ group: group.id, size: seg.size, offset, inner: seg.inner });
          owners.push(group);
          offset += seg.size * seg.inner;
        }
        done = { segs, groups: owners };
        converted.set(raw, done);
      }
      lastRaw = raw;
      lastDone = done;
      layouts.set(tensor, done.segs);
      // Layouts are visited tensor by tensor, so a repeat of this tensor can only be the group's last entry.
      for (const g of done.groups) if (g.tensors[g.tensors.length - 1] !== tensor) g.tensors.push(tensor);
    }
    const segments = layouts as Map<string, readonly Segment[]>;
    const layerGroup = new Map<string, string>();
    for (const node of graph.nodes) {
      if (node.op !== 'Conv' && node.op !== 'Gemm' && node.op !== 'MatMul') continue;
      const segs = segments.get(node.outputs[0]);
      if (segs?.length === 1) layerGroup.set(node.name, segs[0].group);
    }
    return { graph, groups: listed, layouts: segments, layerGroup };
  }
}

const sameStructure = (a: readonly RawSeg[], b: readonly RawSeg[]) =>
  a.length === b.length && a.every((s, i) => s.size === b[i].size && s.inner === b[i].inner);

const total = (layout: readonly RawSeg[]) => layout.reduce((n, s) => n + s.size * s.inner, 0);

/** Finds the coupled channel groups of a graph whose shapes have been inferred. */
export function findChannelGroups(graph: Graph): ChannelAnalysis {
  const b = new GroupBuilder(graph);
  /** The channel layout of an activation input (undefined for constants and tensors without one). */
  const layoutOf = (name: string | undefined): readonly RawSeg[] | undefined => {
    const layout = name ? b.layouts.get(name) : undefined;
    // A tensor with a layout is produced by a node, so it is never an initializer: only a value
    // folded by shape inference (graph.constants) can make it constant.
    return layout && !graph.constants.has(name!) ? layout : undefined;
  };

  // The node being analysed and its inputs' layouts; the helpers below read them (no closures per node).
  let node: GraphNode;
  const acts: (readonly RawSeg[] | undefined)[] = [];
  /** Whether any input after the first carries channels. */
  const laterActivation = () => {
    for (let i = 1; i < acts.length; i++) if (acts[i]) return true;
    return false;
  };
  const nodeLabel = () => `${node.op} "${node.name}"`;
  /** Give up on this node: its activation inputs' groups become unprunable, its outputs opaque. */
  const unknown = (why: string) => {
    const label = nodeLabel();
    for (const l of acts) b.poison(l, `it is consumed by ${label}, ${why}`);
    for (const o of node.outputs) b.opaque(o, `it is produced by ${label}, ${why}`);
  };
  const pass = (layout: readonly RawSeg[], output = node.outputs[0]) => {
    if (output) b.layouts.set(output, layout);
  };
  /** A parameter surgery must edit: when it cannot (computed in the graph in a way it cannot follow), the groups it spans are blocked. */
  const needParam = (name: string | undefined, first: readonly RawSeg[] | undefined, second?: readonly RawSeg[]): void => {
    // Most parameters are initializers: no ParamRef to build.
    if (!name || graph.isInitializer(name)) return;
    const ref = paramRef(graph, name);
    if (typeof ref === 'string') {
      b.poison(first, `${nodeLabel()} cannot be edited: ${ref}`);
      b.poison(second, `${nodeLabel()} cannot be edited: ${ref}`);
    }
  };

  for (const input of graph.inputs) {
    const shape = graph.shape(input.name);
    if (shape && shape.length >= 2) b.source(input.name, shape[1] ?? 0, `it carries the graph input "${input.name}"`);
  }

  for (node of graph.nodes) {
    // One array for every node's input layouts (nothing keeps it past its node).
    acts.length = 0;
    let any = false;
    for (const input of node.inputs) {
      const layout = layoutOf(input);
      acts.push(layout);
      if (layout) any = true;
    }
    const x = acts[0];

    if (!any) {
      // Works on constants only (shape arithmetic, weight dequantization): no channels involved.
      continue;
    }
    if (node.domain !== '' && node.domain !== 'ai.onnx') {
      unknown(`an operator from domain "${node.domain}" whose channel semantics are unknown`);
      continue;
    }

    switch (node.op) {
      case 'Conv': {
        const wShape = graph.shape(node.inputs[1]);
        const out = node.outputs[0];
        if (!x || acts[1] || acts[2] || !wShape || wShape.some((d) => d === null)) {
          unknown('whose weights are not constant');
          break;
        }
        const [cout, cinPerGroup] = wShape as number[];
        const group = attrInt(node, 'group', 1);
        const cin = total(x);
        if (group === 1) {
          b.member(node, 'conv-in', node.inputs[0], x);
          const layout = b.source(out, cout);
          b.member(node, 'conv-out', out, layout);
          needParam(node.inputs[1], x, layout);
          needParam(node.inputs[2], layout);
        } else if (group === cin && cout === cin && cinPerGroup === 1 && cin > 1) {
          pass(x);
          b.member(node, 'depthwise', out, x);
          needParam(node.inputs[1], x);
          needParam(node.inputs[2], x);
        } else {
          const what = cout !== cin && group === cin ? `a depthwise conv with channel multiplier ${cout / cin}` : `a grouped conv (group=${group})`;
          unknown(`${what}, which edgefold does not prune`);
        }
        break;
      }
      case 'Gemm':
      case 'MatMul': {
        const aShape = graph.shape(node.inputs[0]);
        const bShape = graph.shape(node.inputs[1]);
        const transA = node.op === 'Gemm' && attrInt(node, 'transA', 0) === 1;
        if (!x || acts[1] || acts[2] || transA || aShape?.length !== 2 || bShape?.length !== 2) {
          unknown(node.op === 'MatMul' ? 'which is not a 2-D activation times a constant matrix' : 'which is not activation x constant weights');
          break;
        }
        b.member(node, 'fc-in', node.inputs[0], x);
        const outShape = graph.shape(node.outputs[0]);
        const layout = b.source(node.outputs[0], outShape?.[1] ?? 0);
        b.member(node, 'fc-out', node.outputs[0], layout);
        needParam(node.inputs[1], x, layout);
        const c = node.inputs[2];
        if (c) {
          const cShape = graph.shape(c) ?? [];
          if (cShape.length && cShape[cShape.length - 1] !== 1) needParam(c, layout);
        }
        break;
      }
      case 'BatchNormalization': {
        if (!x || laterActivation()) {
          unknown('whose parameters are not constant');
          break;
        }
        if (node.outputs.slice(1).some(Boolean)) {
          unknown('in training mode');
          break;
        }
        pass(x);
        b.member(node, 'batchnorm', node.inputs[0], x);
        for (let i = 1; i < node.inputs.length; i++) needParam(node.inputs[i], x);
        break;
      }
      case 'Concat': {
        const outShape = graph.shape(node.outputs[0]);
        const rank = outShape?.length ?? 0;
        const raw = attrInt(node, 'axis', 0);
        const axis = raw < 0 ? raw + rank : raw;
        if (axis === 1) {
          const layout: RawSeg[] = [];
          node.inputs.forEach((name, i) => {
            const l = acts[i];
            if (l) {
              b.member(node, 'concat', node.outputs[0], l, total(layout));
              layout.push(...l);
            } else {
              const c = graph.shape(name)?.[1] ?? 0;
              layout.push(...b.source(name, c, `its channels come from a constant input of ${nodeLabel()}`, false));
            }
          });
          pass(layout);
        } else {
          joinLike(node, nodeLabel());
        }
        break;
      }
      case 'Flatten':
      case 'Reshape': {
        const inShape = graph.shape(node.inputs[0]);
        const outShape = graph.shape(node.outputs[0]);
        if (!x || !inShape || !outShape || inShape.length < 2 || outShape.length < 2) {
          unknown('whose shapes are unknown');
          break;
        }
        const rest = prod(inShape.slice(2));
        let factor: number | null = null;
        if (node.op === 'Flatten') {
          const raw = attrInt(node, 'axis', 1);
          if ((raw < 0 ? raw + inShape.length : raw) === 1) factor = rest;
        } else if (outShape[0] === inShape[0]) {
          if (outShape[1] === inShape[1] && prod(outShape.slice(2)) === rest) factor = 1;
          else if (outShape.length === 2 && rest !== null && outShape[1] === (inShape[1] ?? NaN) * rest) factor = rest;
        }
        if (factor === null) {
          unknown(`which reshapes [${inShape.map((d) => d ?? 'N')}] to [${outShape.map((d) => d ?? 'N')}] and mixes channels`);
          break;
        }
        if (node.op === 'Reshape') {
          const target = graph.constant(node.inputs[1]);
          const literal = target?.values[1];
          if (literal !== undefined && literal > 0) {
            if (!graph.isInitializer(node.inputs[1])) {
              unknown('whose target shape (computed in the graph) holds the channel count');
              break;
            }
            b.member(node, 'reshape', node.inputs[0], x);
          }
        }
        const f = factor;
        pass(x.map((s) => ({ ...s, inner: s.inner * f })));
        b.member(node, 'passthrough', node.inputs[0], x);
        break;
      }
      case 'Squeeze':
      case 'Unsqueeze': {
        const rank = (graph.shape(node.outputs[0]) ?? []).length;
        const inRank = (graph.shape(node.inputs[0]) ?? []).length;
        const raw = attrInts(node, 'axes') ?? (node.inputs[1] ? Array.from(graph.constant(node.inputs[1])?.values ?? []) : undefined);
        const axes = raw?.map((a) => (a < 0 ? a + (node.op === 'Squeeze' ? inRank : rank) : a));
        if (!x || !axes || axes.some((a) => a <= 1)) {
          unknown('which touches the batch or channel axis');
          break;
        }
        pass(x);
        break;
      }
      case 'Transpose': {
        const perm = attrInts(node, 'perm');
        if (!x || !perm || perm[0] !== 0 || perm[1] !== 1) {
          unknown('which moves the channel axis');
          break;
        }
        pass(x);
        break;
      }
      case 'Pad': {
        const rank = (graph.shape(node.inputs[0]) ?? []).length;
        const pads = attrInts(node, 'pads') ?? (node.inputs[1] ? Array.from(graph.constant(node.inputs[1])?.values ?? []) : undefined);
        if (!x || !pads || pads.length !== 2 * rank || pads[1] !== 0 || pads[1 + rank] !== 0 || node.inputs[3]) {
          unknown('which may pad the channel axis');
          break;
        }
        pass(x);
        break;
      }
      case 'Softmax':
      case 'LogSoftmax':
      case 'Hardmax': {
        const rank = (graph.shape(node.inputs[0]) ?? []).length;
        const raw = attrInt(node, 'axis', graph.opset >= 13 ? -1 : 1);
        const axis = raw < 0 ? raw + rank : raw;
        const mixes = graph.opset >= 13 ? axis === 1 : axis <= 1;
        if (!x || mixes) {
          unknown('which normalizes across channels');
          break;
        }
        pass(x);
        break;
      }
      case 'Shape': {
        const readers = graph.consumers.get(node.outputs[0]) ?? [];
        const batchOnly = readers.every((r) => {
          if (r.op !== 'Gather' || r.inputs[0] !== node.outputs[0]) return false;
          const idx = graph.constant(r.inputs[1]);
          return Boolean(idx) && Array.from(idx!.values).every((v) => v === 0);
        });
        if (!batchOnly) b.poison(x, `its channel count is read at run time by Shape "${node.name}"`);
        break;
      }
      default: {
        if (PASSTHROUGH.has(node.op)) {
          if (!x || laterActivation()) {
            unknown('with several activation inputs');
            break;
          }
          if ((node.op === 'QuantizeLinear' || node.op === 'DequantizeLinear') && (graph.shape(node.inputs[1]) ?? []).some((d) => d !== 1)) {
            unknown('which quantizes per channel');
            break;
          }
          pass(x);
          if (node.op === 'Dropout') pass(x, node.outputs[1]);
          if (node.op === 'MaxPool' && node.outputs[1]) b.opaque(node.outputs[1], `it holds MaxPool "${node.name}" indices`);
        } else if (ELEMENTWISE.has(node.op)) {
          elementwise(node, nodeLabel());
        } else if (REDUCE.has(node.op)) {
          const raw = attrInts(node, 'axes') ?? (node.inputs[1] ? Array.from(graph.constant(node.inputs[1])?.values ?? []) : undefined);
          const rank = (graph.shape(node.inputs[0]) ?? []).length;
          const axes = raw?.map((a) => (a < 0 ? a + rank : a));
          if (!x || !axes?.length || axes.some((a) => a <= 1)) {
            unknown('which reduces over the channel axis');
            break;
          }
          pass(x);
        } else {
          unknown('whose channel semantics edgefold does not know');
        }
      }
    }
  }

  /** Concat on a non-channel axis: inputs must line up channel for channel, like an Add. */
  function joinLike(node: GraphNode, label: string) {
    const acts = node.inputs.map((i) => layoutOf(i)).filter((l): l is readonly RawSeg[] => Boolean(l));
    const base = acts[0];
    if (acts.some((l) => !sameStructure(l, base)) || node.inputs.some((i) => i && !layoutOf(i))) {
      acts.forEach((l) => b.poison(l, `${label} joins tensors whose channels do not line up`));
      node.outputs.forEach((o) => b.opaque(o, `it is produced by ${label}, which joins tensors whose channels do not line up`));
      return;
    }
    for (const l of acts.slice(1)) l.forEach((s, k) => b.union(base[k].src, s.src));
    node.inputs.forEach((name) => b.member(node, 'join', name, layoutOf(name)!));
    b.layouts.set(node.outputs[0], base);
  }

  /** Broadcasting elementwise op: full-channel inputs are tied, per-channel constants are members. */
  function elementwise(node: GraphNode, label: string) {
    const outShape = graph.shape(node.outputs[0]);
    const acts = node.inputs.map((i) => layoutOf(i));
    const bad = (why: string) => {
      acts.forEach((l) => b.poison(l, `${label} ${why}`));
      node.outputs.forEach((o) => b.opaque(o, `it is produced by ${label}, which ${why}`));
    };
    if (!outShape || outShape.length < 2 || outShape[1] === null) return bad('has an unknown output shape');
    const rank = outShape.length;
    const outC = outShape[1];
    const full: { name: string; layout: readonly RawSeg[] }[] = [];
    for (let i = 0; i < node.inputs.length; i++) {
      const name = node.inputs[i];
      if (!name) continue;
      const shape = graph.shape(name);
      if (!shape) return bad('has an input of unknown shape');
      const p = 1 - (rank - shape.length);
      const dim = p >= 0 ? shape[p] : 1;
      const layout = acts[i];
      if (layout) {
        if (shape.length !== rank) return bad('broadcasts an activation across ranks');
        if (dim === outC && total(layout) === outC) full.push({ name, layout });
        else if (dim !== 1) return bad('mixes tensors of different channel counts');
      } else if (dim !== 1 && dim !== null) {
        if (dim !== outC) return bad('has a constant that does not line up with the channels');
        const ref = paramRef(graph, name);
        if (typeof ref === 'string') return bad(`has a per-channel constant that cannot be edited: ${ref}`);
      }
    }
    if (!full.length) return bad('broadcasts a single channel across channels');
    const base = full[0].layout;
    if (full.some((f) => !sameStructure(f.layout, base))) return bad('joins tensors whose channel ranges do not line up');
    for (const f of full.slice(1)) f.layout.forEach((s, k) => b.union(base[k].src, s.src));
    if (full.length > 1) full.forEach((f) => b.member(node, 'join', f.name, f.layout));
    node.inputs.forEach((name, i) => {
      if (!name || acts[i]) return;
      const shape = graph.shape(name)!;
      const p = 1 - (rank - shape.length);
      if (p >= 0 && shape[p] === outC && outC > 1) b.member(node, 'constant', node.outputs[0], base, 0, { input: i, axis: p });
    });
    if (full.length === 1) b.member(node, 'passthrough', full[0].name, base);
    b.layouts.set(node.outputs[0], base);
  }

  for (const output of graph.outputs) b.poison(b.layouts.get(output.name), `it reaches the graph output "${output.name}"`);
  return b.finish();
}

/** Kept element indices along axis 1 of a tensor, given each group's kept channel indices. */
export function keptAxisIndices(layout: readonly Segment[], keep: ReadonlyMap<string, readonly number[]>): number[] {
  const out: number[] = [];
  for (const seg of layout) {
    const kept = keep.get(seg.group) ?? range(seg.size);
    for (const c of kept) for (let i = 0; i < seg.inner; i++) out.push(seg.offset + c * seg.inner + i);
  }
  return out;
}

/** How many elements keptAxisIndices would return, without building the list (every slider step counts them). */
export function keptAxisCount(layout: readonly Segment[], keep: ReadonlyMap<string, readonly number[]>): number {
  let count = 0;
  for (const seg of layout) count += (keep.get(seg.group)?.length ?? seg.size) * seg.inner;
  return count;
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
