/**
 * What the explorer keeps of an opened model: its summary, layer view and class names to show,
 * and the design context to evaluate designs on. Plain data: the model worker builds it and the
 * page receives it by structured clone, so the page never decodes or analyses the model itself
 * (docs/decisions.md, "The page no longer rebuilds the accepted model").
 */
import type { LayerInfo, LoadedModel, ModelSummary } from '../graph/index.ts';
import type { ChannelAnalysis } from '../prune/groups.ts';
import { modelClassNames } from '../transfer/write-head.ts';
import { designContext, type DesignContext } from './design.ts';

/** The parts of a LoadedModel the views read (no graph, no ONNX proto). */
export interface ModelView {
  summary: ModelSummary;
  layers: readonly LayerInfo[];
  /** Class names stored in the model's metadata, if any. */
  classNames?: string[];
}

export interface OpenedModel {
  view: ModelView;
  context: DesignContext;
}

export function openedModel(loaded: LoadedModel, analysis?: ChannelAnalysis): OpenedModel {
  const context = designContext(loaded, analysis);
  const classNames = modelClassNames(loaded.model);
  return { view: { summary: loaded.summary, layers: context.analysis.layers, ...(classNames ? { classNames } : {}) }, context };
}
