/**
 * Opens a model off the main thread: decode -> graph -> shapes -> layer view -> channel groups,
 * the same checks and analysis the store then relies on. A file that is refused, or that the user
 * cancels (the worker is terminated), never reaches the page's thread.
 */
import * as Comlink from 'comlink';
import { designContext } from '../src/core/design/design.ts';
import { analyzeModel } from '../src/core/graph/index.ts';
import { decodeModel } from '../src/core/onnx/model.ts';
import { reportingErrors } from './jobs.ts';

export interface ModelCheck {
  layers: number;
  groups: number;
  /** Milliseconds the analysis took in the worker. */
  ms: number;
  /** Wall-clock milliseconds of each stage in the worker (decode; graph + shapes + layer view; channel groups). */
  stages: { decode: number; layers: number; groups: number };
}

const api = {
  check(bytes: Uint8Array, fileName: string): Promise<ModelCheck> {
    return reportingErrors(() => {
      const started = performance.now();
      const model = decodeModel(bytes, fileName);
      const decoded = performance.now();
      const loaded = analyzeModel(model, fileName);
      const analysed = performance.now();
      const context = designContext(loaded);
      const done = performance.now();
      return {
        layers: loaded.layers.length,
        groups: context.analysis.groups.length,
        ms: done - started,
        stages: { decode: decoded - started, layers: analysed - decoded, groups: done - analysed },
      };
    });
  },
};

export type ModelWorkerApi = typeof api;

if (!self.name?.startsWith('em-pthread')) Comlink.expose(api);
