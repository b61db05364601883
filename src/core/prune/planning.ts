/**
 * What pruning plans and the pruned layer view read of a model, without its graph or weights:
 * the channel groups, each layer's channel layouts and sizes, and (for a model opened in the app)
 * every prunable group's channel importance. Plain data, so the model worker can send it to the
 * page, which evaluates designs on every slider step without decoding the model again
 * (docs/decisions.md, "The page no longer rebuilds the accepted model").
 */
import { attrInt, type Graph } from '../graph/graph.ts';
import type { LayerInfo } from '../graph/layer.ts';
import { layerView } from '../graph/layers.ts';
import type { ChannelAnalysis, ChannelGroup, Segment } from './groups.ts';
import { computeImportance, CRITERIA, type Criterion, type Importance } from './importance.ts';

/** A channel group as plans and views see it (a ChannelGroup without its members and tensors). */
export type GroupSummary = Pick<ChannelGroup, 'id' | 'size' | 'producers' | 'prunable' | 'reasons'>;

/** One layer's channels: what pruning changes of its counts, read from the graph once. */
export interface LayerChannels {
  /** Channel layouts of the node's first input and first output (null: the tensor has none). */
  input: readonly Segment[] | null;
  output: readonly Segment[] | null;
  /** Axis-1 sizes of those tensors as inferred (0 when unknown): the count when there is no layout. */
  inputChannels: number;
  outputChannels: number;
  /** Conv kinds: elements per filter per input channel (product of the weight's spatial dims). */
  kernelElements: number;
  /** Product of the node output's spatial dims (unknown dims count 1). */
  outputPixels: number;
  /** FC layers whose plan follows the channels (constant weight, activation input with a layout). */
  fc: { rows: number; weightOutFeatures: number } | null;
}

export interface ChannelPlanning {
  groups: readonly GroupSummary[];
  /** Layer (node) name -> the group its output channels belong to. */
  layerGroup: ReadonlyMap<string, string>;
  /** The layer view of the unpruned model. */
  layers: readonly LayerInfo[];
  /** Parallel to `layers`; null for unsupported layers. */
  channels: readonly (LayerChannels | null)[];
  /**
   * Channel importance of every prunable group, precomputed. Absent when the plan is made next to
   * the graph (CLI, workers): then it is computed for the groups a plan prunes.
   */
  importance?: ImportanceTable;
}

/**
 * Every prunable group's channel scores per criterion, in flat arrays (a structured clone copies
 * them in one piece, where one array per group and criterion cost more than the analysis).
 */
export interface ImportanceTable {
  /** Index into the score arrays of each group's channel 0, by the group's position in `groups`; -1: not prunable. */
  offsets: Int32Array;
  scores: Readonly<Record<Criterion, Float64Array>>;
  /** 1 where a group has no BatchNormalization node, so its bn-gamma scores are its l1 scores. */
  bnFallback: Uint8Array;
}

/** The importance of the group at `index` of `planning.groups`, from its precomputed table. */
export function tabledImportance(table: ImportanceTable, index: number, size: number, criterion: Criterion): Importance | undefined {
  const offset = table.offsets[index];
  if (offset === undefined || offset < 0) return undefined;
  const used = criterion === 'bn-gamma' && table.bnFallback[index] ? 'l1' : criterion;
  return { scores: Array.from(table.scores[used].subarray(offset, offset + size)), criterion: used };
}

const product = (dims: readonly (number | null)[]) => dims.reduce<number>((a, d) => a * (d ?? 1), 1);

function layerChannels(analysis: ChannelAnalysis, graph: Graph, layer: LayerInfo): LayerChannels | null {
  const node = graph.node(layer.name);
  if (!node || layer.kind === 'unsupported') return null;
  const input = node.inputs[0];
  const output = node.outputs[0];
  const outShape = graph.shape(output) ?? [];
  const isConv = layer.kind === 'pointwise' || layer.kind === 'conv' || layer.kind === 'depthwise' || layer.kind === 'grouped';
  let fc: LayerChannels['fc'] = null;
  if (layer.kind === 'fc' && graph.isConstant(node.inputs[1]) && analysis.layouts.has(input)) {
    const w = graph.shape(node.inputs[1]) as number[];
    const transB = node.op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
    fc = { rows: product(outShape.slice(1, -1)), weightOutFeatures: transB ? w[0] : w[1] };
  }
  return {
    input: analysis.layouts.get(input) ?? null,
    output: analysis.layouts.get(output) ?? null,
    inputChannels: graph.shape(input)?.[1] ?? 0,
    outputChannels: outShape[1] ?? 0,
    kernelElements: isConv ? product((graph.shape(node.inputs[1]) ?? []).slice(2)) : 1,
    outputPixels: product(outShape.slice(2)),
    fc,
  };
}

const plannings = new WeakMap<ChannelAnalysis, ChannelPlanning>();

/**
 * The planning view of a channel analysis (computed once per analysis). `layers` is the layer
 * view of `analysis.graph` when the caller has it. With `importance: true` every prunable
 * group's importance is computed now, for every criterion (what a context sent away needs).
 */
export function channelPlanning(analysis: ChannelAnalysis, options: { layers?: readonly LayerInfo[]; importance?: boolean } = {}): ChannelPlanning {
  const known = plannings.get(analysis);
  if (known && (!options.importance || known.importance)) return known;
  const layers = known?.layers ?? options.layers ?? layerView(analysis.graph);
  const planning: ChannelPlanning = {
    groups: analysis.groups,
    layerGroup: analysis.layerGroup,
    layers,
    channels: known?.channels ?? layers.map((layer) => layerChannels(analysis, analysis.graph, layer)),
  };
  if (options.importance) planning.importance = importanceTable(analysis);
  plannings.set(analysis, planning);
  return planning;
}

function importanceTable(analysis: ChannelAnalysis): ImportanceTable {
  const groups = analysis.groups;
  const offsets = new Int32Array(groups.length).fill(-1);
  let total = 0;
  groups.forEach((g, i) => {
    if (!g.prunable) return;
    offsets[i] = total;
    total += g.size;
  });
  const scores = Object.fromEntries(CRITERIA.map((c) => [c, new Float64Array(total)])) as Record<Criterion, Float64Array>;
  const bnFallback = new Uint8Array(groups.length);
  groups.forEach((g, i) => {
    if (offsets[i] < 0) return;
    for (const criterion of CRITERIA) {
      // bn-gamma falls back to l1 without BatchNormalization nodes (its row stays unused).
      if (criterion === 'bn-gamma' && !g.members.some((m) => m.role === 'batchnorm')) {
        bnFallback[i] = 1;
        continue;
      }
      const importance = computeImportance(analysis, g, criterion);
      if (importance.criterion !== criterion) bnFallback[i] = 1;
      else scores[criterion].set(importance.scores, offsets[i]);
    }
  });
  return { offsets, scores, bnFallback };
}

/**
 * A structured-cloneable copy of a planning: groups without members or tensors (the plan never
 * reads them), importance included. What the model worker sends to the page.
 */
export function portablePlanning(planning: ChannelPlanning): ChannelPlanning {
  if (!planning.importance) throw new Error('portablePlanning needs the channel importance (channelPlanning with importance: true)');
  return {
    groups: planning.groups.map((g) => ({ id: g.id, size: g.size, producers: g.producers, prunable: g.prunable, reasons: g.reasons })),
    layerGroup: planning.layerGroup,
    layers: planning.layers,
    channels: planning.channels,
    importance: planning.importance,
  };
}

/** Channels left along axis 1 of a tensor with this layout (its full size without one). */
export function keptChannels(layout: readonly Segment[] | null, fullSize: number, keep: ReadonlyMap<string, readonly number[]>): number {
  if (!layout) return fullSize;
  let n = 0;
  for (const seg of layout) n += (keep.get(seg.group)?.length ?? seg.size) * seg.inner;
  return n;
}
