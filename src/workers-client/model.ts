import { EdgefoldError } from '../core/errors.ts';
import { openedModel, type OpenedModel } from '../core/design/opened-model.ts';
import { unpackOpenedModel } from '../core/design/packed-model.ts';
import { loadModel } from '../core/graph/index.ts';
import type { ModelCheck, ModelWorkerApi } from '../../workers/model.worker.ts';
import { WorkerBridge, webWorker } from './bridge.ts';

export type { ModelCheck };

/**
 * Decodes and analyses a model in a fresh worker, so a hostile or huge file cannot freeze the
 * page; an accepted model comes back analysed and packed (`packed`: summary, layer view, design context).
 * Aborting `signal` terminates the worker at once (a stuck parse included). Without Worker
 * (Node: tests, CLI) it returns undefined and the caller's own analysis is the check.
 */
export async function checkModelOffThread(bytes: Uint8Array, fileName: string, signal?: AbortSignal): Promise<ModelCheck | undefined> {
  if (typeof Worker === 'undefined') return undefined;
  if (signal?.aborted) throw new EdgefoldError('cancelled', 'Opening the model was cancelled.');
  // One worker per check, gone when the check is (idleMs 0), terminated at once on cancel (cancelGraceMs 0): a parse has no cancel points.
  const bridge = new WorkerBridge<ModelWorkerApi>({
    name: 'model',
    idleMs: 0,
    cancelGraceMs: 0,
    start: () => webWorker(new Worker(new URL('../../workers/model.worker.ts', import.meta.url), { type: 'module', name: 'edgefold-model' })),
  });
  return bridge.job('check', signal, (worker) => worker.check(bytes, fileName));
}

/**
 * A model opened for the explorer: analysed in the model worker and received as it is (the page
 * does not decode it again); without Worker (Node: tests) the same analysis on this thread.
 */
export async function openModelForDesign(bytes: Uint8Array, fileName: string, signal?: AbortSignal): Promise<OpenedModel> {
  const check = await checkModelOffThread(bytes, fileName, signal);
  return check ? unpackOpenedModel(check.packed) : openedModel(loadModel(bytes, fileName));
}
