/**
 * Opens a model off the main thread: decode -> graph -> shapes -> layer view -> channel groups,
 * the same checks and analysis the store then relies on. A file that is refused, or that the user
 * cancels (the worker is terminated), never reaches the page's thread.
 */
import * as Comlink from 'comlink';
import { designContext } from '../src/core/design/design.ts';
import { toTransferable } from '../src/core/errors.ts';
import { loadModel } from '../src/core/graph/index.ts';

export interface ModelCheck {
  layers: number;
  groups: number;
  /** Milliseconds the analysis took in the worker. */
  ms: number;
}

const api = {
  check(bytes: Uint8Array, fileName: string): ModelCheck {
    const started = performance.now();
    try {
      const loaded = loadModel(bytes, fileName);
      const context = designContext(loaded);
      return { layers: loaded.layers.length, groups: context.analysis.groups.length, ms: performance.now() - started };
    } catch (error) {
      throw toTransferable(error);
    }
  },
};

export type ModelWorkerApi = typeof api;

if (!self.name?.startsWith('em-pthread')) Comlink.expose(api);
