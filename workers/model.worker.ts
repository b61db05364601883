/**
 * Opens a model off the main thread: decode -> graph -> shapes -> layer view -> channel groups ->
 * channel importance, the same checks and analysis the CLI runs. A file that is refused, or that
 * the user cancels (the worker is terminated), never reaches the page's thread; an accepted one
 * comes back as plain data (summary, layer view, design context) the page uses as it is.
 */
import * as Comlink from 'comlink';
import { openedModel } from '../src/core/design/opened-model.ts';
import { packOpenedModel, type PackedModel } from '../src/core/design/packed-model.ts';
import { analyzeModel } from '../src/core/graph/index.ts';
import { findChannelGroups } from '../src/core/prune/groups.ts';
import { decodeModel } from '../src/core/onnx/model.ts';
import { reportingErrors } from './jobs.ts';

export interface ModelCheck {
  layers: number;
  groups: number;
  /** Milliseconds the analysis took in the worker. */
  ms: number;
  /**
   * Wall-clock milliseconds of each stage in the worker: decode; graph + shapes + layer view;
   * channel groups; then the page's design context (channel importance, packing).
   */
  stages: { decode: number; layers: number; groups: number; context: number };
  /** The analysed model for the page, packed for a cheap structured clone (unpackOpenedModel). */
  packed: PackedModel;
}

const api = {
  check(bytes: Uint8Array, fileName: string): Promise<ModelCheck> {
    return reportingErrors(() => {
      const started = performance.now();
      const model = decodeModel(bytes, fileName);
      const decoded = performance.now();
      const loaded = analyzeModel(model, fileName);
      const analysed = performance.now();
      const analysis = findChannelGroups(loaded.graph);
      const grouped = performance.now();
      const opened = openedModel(loaded, analysis);
      const packed = packOpenedModel(opened);
      const done = performance.now();
      return {
        layers: loaded.layers.length,
        groups: opened.context.analysis.groups.length,
        ms: done - started,
        stages: { decode: decoded - started, layers: analysed - decoded, groups: grouped - analysed, context: done - grouped },
        packed,
      };
    });
  },
};

export type ModelWorkerApi = typeof api;

if (!self.name?.startsWith('em-pthread')) Comlink.expose(api);
