/**
 * Structured channel pruning on the ONNX graph: coupled channel groups, importance, plans and
 * surgery that physically removes channels. See docs/compression.md.
 */
import { Graph } from '../graph/graph.ts';
import { inferShapes } from '../graph/shapes.ts';
import type { ModelProto } from '../onnx/model.ts';
import { findChannelGroups, type ChannelAnalysis } from './groups.ts';
import { makePrunePlan, type PlanOptions, type PrunePlan } from './plan.ts';
import { applyPruning } from './surgery.ts';

export { findChannelGroups, keptAxisIndices, PARAMETRIC } from './groups.ts';
export type { ChannelAnalysis, ChannelGroup, GroupMember, MemberRole, Segment } from './groups.ts';
export { channelImportance, topChannels, CRITERIA } from './importance.ts';
export type { Criterion, Importance } from './importance.ts';
export { makePrunePlan, keptCount, keptSize, countCosts } from './plan.ts';
export type { PlanOptions, PrunePlan, GroupPlan, GroupRequest, CostCounts } from './plan.ts';
export { applyPruning } from './surgery.ts';
export { maskModel } from './mask.ts';
export { sliceTensor } from './slice.ts';

/** Channel groups of a model (builds the graph IR and infers shapes). */
export function analyzeChannels(model: ModelProto): ChannelAnalysis {
  const graph = new Graph(model);
  inferShapes(graph);
  return findChannelGroups(graph);
}

export interface PruneResult {
  model: ModelProto;
  plan: PrunePlan;
  analysis: ChannelAnalysis;
}

/** Plans and applies a pruning in one call. The input model is not modified. */
export function pruneModel(model: ModelProto, options: PlanOptions = {}): PruneResult {
  const analysis = analyzeChannels(model);
  const plan = makePrunePlan(analysis, options);
  const pruned = plan.keep.size ? applyPruning(model, analysis, plan.keep) : model;
  return { model: pruned, plan, analysis };
}
