/** Pruning plans: how many and which channels of each group stay, and what the result will cost. */
import { attrInt } from '../graph/graph.ts';
import type { LayerInfo } from '../graph/layer.ts';
import { layerView } from '../graph/layers.ts';
import { badInput } from '../errors.ts';
import { keptAxisCount, range, type ChannelAnalysis, type ChannelGroup } from './groups.ts';
import { channelImportance, topChannels, type Criterion } from './importance.ts';

/** A request for one group: a ratio of channels to remove, or an exact count to keep. */
export interface GroupRequest {
  /** Fraction of the group's channels to remove, 0 <= ratio < 1. */
  ratio?: number;
  /** Exact number of channels to keep, 1..size (not rounded). */
  keep?: number;
}

export interface PlanOptions {
  criterion?: Criterion;
  /** Ratio applied to every prunable group without its own request (default 0). */
  ratio?: number;
  /** Kept counts computed from a ratio are rounded to a multiple of this (default 1). */
  roundTo?: number;
  /** Requests by group id. */
  groups?: Record<string, GroupRequest>;
}

export interface GroupPlan {
  group: string;
  size: number;
  /** Kept channel indices, ascending. */
  keep: number[];
  /** Removed channel indices, ascending. */
  removed: number[];
  criterion: Criterion;
  /** Importance of every channel (higher = more important). */
  scores: number[];
}

export interface CostCounts {
  params: number;
  macs: number;
}

export interface PrunePlan {
  /** One entry per prunable group that loses at least one channel. */
  groups: GroupPlan[];
  /** Group id -> kept channel indices (only groups that change). */
  keep: Map<string, number[]>;
  /** Conv/FC weights + biases and MACs of the model before and after (layer view conventions). */
  before: CostCounts;
  predicted: CostCounts;
}

/**
 * Channels kept for `size` channels at `ratio`: round(size * (1 - ratio)), at least 1; then, with
 * `roundTo` N > 1, the nearest multiple of N (halves round up), at least N, at most `size`.
 */
export function keptCount(size: number, ratio: number, roundTo = 1): number {
  let keep = Math.max(1, Math.round(size * (1 - ratio)));
  if (roundTo > 1) keep = Math.max(roundTo, Math.round(keep / roundTo) * roundTo);
  return Math.min(size, keep);
}

export function makePrunePlan(analysis: ChannelAnalysis, options: PlanOptions = {}): PrunePlan {
  const byId = new Map(analysis.groups.map((g) => [g.id, g]));
  for (const [id, req] of Object.entries(options.groups ?? {})) {
    const g = byId.get(id);
    if (!g) throw badInput(`There is no channel group "${id}".`, `groups.${id}`);
    if (!g.prunable && (req.keep !== undefined ? req.keep < g.size : (req.ratio ?? 0) > 0)) {
      throw badInput(`Channel group "${id}" cannot be pruned: ${g.reasons.join('; ')}.`, `groups.${id}`);
    }
    if (req.keep !== undefined && (!Number.isInteger(req.keep) || req.keep < 1 || req.keep > g.size)) {
      throw badInput(`Group "${id}" has ${g.size} channels: keep must be an integer from 1 to ${g.size}, got ${req.keep}.`, `groups.${id}.keep`);
    }
    if (req.ratio !== undefined && !(req.ratio >= 0 && req.ratio < 1)) {
      throw badInput(`Group "${id}": ratio must be at least 0 and below 1, got ${req.ratio}.`, `groups.${id}.ratio`);
    }
  }
  const plans: GroupPlan[] = [];
  const keep = new Map<string, number[]>();
  for (const g of analysis.groups) {
    if (!g.prunable) continue;
    const req = options.groups?.[g.id];
    const count = req?.keep ?? keptCount(g.size, req?.ratio ?? options.ratio ?? 0, options.roundTo ?? 1);
    if (count >= g.size) continue;
    const { scores, criterion } = channelImportance(analysis, g, options.criterion ?? 'l1');
    const kept = topChannels(scores, count);
    const keptSet = new Set(kept);
    plans.push({ group: g.id, size: g.size, keep: kept, removed: range(g.size).filter((c) => !keptSet.has(c)), criterion, scores });
    keep.set(g.id, kept);
  }
  return { groups: plans, keep, before: unprunedCosts(analysis), predicted: countCosts(analysis, keep) };
}

/** Elements kept along axis 1 of a tensor (its full size when it has no layout or nothing changes). */
export function keptSize(analysis: ChannelAnalysis, tensor: string, keep: ReadonlyMap<string, readonly number[]>): number {
  const layout = analysis.layouts.get(tensor);
  if (layout) return keptAxisCount(layout, keep);
  return analysis.graph.shape(tensor)?.[1] ?? 0;
}

/*
 * A channel analysis and its graph are not changed once made (surgery works on copies), and the
 * explorer plans on every slider step: the graph's layer view and unpruned costs are computed once
 * per analysis.
 */
const layerViews = new WeakMap<ChannelAnalysis, LayerInfo[]>();
const unpruned = new WeakMap<ChannelAnalysis, CostCounts>();

function originalLayers(analysis: ChannelAnalysis): LayerInfo[] {
  let layers = layerViews.get(analysis);
  if (!layers) layerViews.set(analysis, (layers = layerView(analysis.graph)));
  return layers;
}

function unprunedCosts(analysis: ChannelAnalysis): CostCounts {
  let costs = unpruned.get(analysis);
  if (!costs) unpruned.set(analysis, (costs = countCosts(analysis, new Map())));
  return { ...costs };
}

/**
 * Params and MACs after keeping `keep`, computed from the original graph with the layer view's
 * conventions (conv: Cout*(Cin/g)*k + bias; MACs Cout*outPixels*(Cin/g)*k; FC: in*out + bias).
 */
export function countCosts(analysis: ChannelAnalysis, keep: ReadonlyMap<string, readonly number[]>): CostCounts {
  const graph = analysis.graph;
  let params = 0;
  let macs = 0;
  const kept = (t: string) => keptSize(analysis, t, keep);
  for (const layer of originalLayers(analysis)) {
    const node = graph.node(layer.name)!;
    if (layer.kind === 'pointwise' || layer.kind === 'conv' || layer.kind === 'depthwise' || layer.kind === 'grouped') {
      const w = graph.shape(node.inputs[1]) as number[];
      const k = w.slice(2).reduce((a, b) => a * b, 1);
      const out = graph.shape(node.outputs[0]) ?? [];
      const pixels = out.slice(2).reduce<number>((a, d) => a * (d ?? 1), 1);
      const cout = kept(node.outputs[0]);
      const cin = kept(node.inputs[0]);
      const groups = layer.kind === 'depthwise' ? cin : layer.groups;
      params += cout * (cin / groups) * k + (layer.hasBias ? cout : 0);
      macs += cout * pixels * (cin / groups) * k;
    } else if (layer.kind === 'fc' && graph.constant(node.inputs[1]) && analysis.layouts.has(node.inputs[0])) {
      const out = graph.shape(node.outputs[0]) ?? [];
      const rows = out.slice(0, -1).reduce<number>((a, d, i) => a * (i === 0 ? 1 : (d ?? 1)), 1);
      const inF = kept(node.inputs[0]);
      const w = graph.shape(node.inputs[1]) as number[];
      const transB = node.op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
      const outF = analysis.layouts.has(node.outputs[0]) ? kept(node.outputs[0]) : transB ? w[0] : w[1];
      params += inF * outF + (layer.hasBias ? outF : 0);
      macs += rows * inF * outF;
    } else {
      params += layer.params;
      macs += layer.macs;
    }
  }
  return { params, macs };
}

export type { ChannelGroup };
