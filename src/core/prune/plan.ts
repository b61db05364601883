/** Pruning plans: how many and which channels of each group stay, and what the result will cost. */
import { CONV_KINDS } from '../graph/layer.ts';
import { badInput } from '../errors.ts';
import { keptAxisCount, range, type ChannelAnalysis, type ChannelGroup } from './groups.ts';
import { channelImportance, topChannels, type Criterion, type Importance } from './importance.ts';
import { channelPlanning, keptChannels, tabledImportance, type ChannelPlanning, type GroupSummary } from './planning.ts';

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

/**
 * Plans a pruning from a model's channel analysis (next to its graph: CLI, workers) or from its
 * planning view (the explorer's page, which has no graph; importance comes precomputed).
 */
export function makePrunePlan(analysis: ChannelAnalysis | ChannelPlanning, options: PlanOptions = {}): PrunePlan {
  const planning = 'graph' in analysis ? channelPlanning(analysis) : analysis;
  const byId = new Map<string, GroupSummary>(analysis.groups.map((g) => [g.id, g]));
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
  const criterionWanted = options.criterion ?? 'l1';
  const importanceOf = (g: GroupSummary, index: number): Importance => {
    const known = planning.importance && tabledImportance(planning.importance, index, g.size, criterionWanted);
    if (known) return known;
    if (!('graph' in analysis)) throw new Error(`No channel importance for group "${g.id}" in the planning view.`);
    return channelImportance(analysis, g as ChannelGroup, criterionWanted);
  };
  const plans: GroupPlan[] = [];
  const keep = new Map<string, number[]>();
  for (let index = 0; index < analysis.groups.length; index++) {
    const g = analysis.groups[index];
    if (!g.prunable) continue;
    const req = options.groups?.[g.id];
    const count = req?.keep ?? keptCount(g.size, req?.ratio ?? options.ratio ?? 0, options.roundTo ?? 1);
    if (count >= g.size) continue;
    const { scores, criterion } = importanceOf(g, index);
    const kept = topChannels(scores, count);
    const keptSet = new Set(kept);
    plans.push({ group: g.id, size: g.size, keep: kept, removed: range(g.size).filter((c) => !keptSet.has(c)), criterion, scores });
    keep.set(g.id, kept);
  }
  return { groups: plans, keep, before: countCosts(planning, new Map()), predicted: countCosts(planning, keep) };
}

/** Elements kept along axis 1 of a tensor (its full size when it has no layout or nothing changes). */
export function keptSize(analysis: ChannelAnalysis, tensor: string, keep: ReadonlyMap<string, readonly number[]>): number {
  const layout = analysis.layouts.get(tensor);
  if (layout) return keptAxisCount(layout, keep);
  return analysis.graph.shape(tensor)?.[1] ?? 0;
}

/**
 * Params and MACs after keeping `keep`, computed from the original model with the layer view's
 * conventions (conv: Cout*(Cin/g)*k + bias; MACs Cout*outPixels*(Cin/g)*k; FC: in*out + bias).
 */
export function countCosts(analysis: ChannelAnalysis | ChannelPlanning, keep: ReadonlyMap<string, readonly number[]>): CostCounts {
  const planning = 'graph' in analysis ? channelPlanning(analysis) : analysis;
  let params = 0;
  let macs = 0;
  planning.layers.forEach((layer, i) => {
    const ch = planning.channels[i];
    if (ch && CONV_KINDS.has(layer.kind)) {
      const cout = keptChannels(ch.output, ch.outputChannels, keep);
      const cin = keptChannels(ch.input, ch.inputChannels, keep);
      const groups = layer.kind === 'depthwise' ? cin : layer.groups;
      params += cout * (cin / groups) * ch.kernelElements + (layer.hasBias ? cout : 0);
      macs += cout * ch.outputPixels * (cin / groups) * ch.kernelElements;
    } else if (ch?.fc) {
      const inF = keptChannels(ch.input, ch.inputChannels, keep);
      const outF = ch.output ? keptChannels(ch.output, ch.outputChannels, keep) : ch.fc.weightOutFeatures;
      params += inF * outF + (layer.hasBias ? outF : 0);
      macs += ch.fc.rows * inF * outF;
    } else {
      params += layer.params;
      macs += layer.macs;
    }
  });
  return { params, macs };
}

export type { ChannelGroup };
