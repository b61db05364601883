import * as Comlink from 'comlink';
import { EdgefoldError, fromTransferred } from '../core/errors.ts';
import type { ModelCheck, ModelWorkerApi } from '../../workers/model.worker.ts';

export type { ModelCheck };

/**
 * Decodes and analyses a model in a fresh worker, so a hostile or huge file cannot freeze the
 * page. Aborting `signal` terminates the worker at once (a stuck parse included). Without Worker
 * (Node: tests, CLI) it returns undefined and the caller's own analysis is the check.
 */
export async function checkModelOffThread(bytes: Uint8Array, fileName: string, signal?: AbortSignal): Promise<ModelCheck | undefined> {
  if (typeof Worker === 'undefined') return undefined;
  if (signal?.aborted) throw new EdgefoldError('cancelled', 'Opening the model was cancelled.');
  const worker = new Worker(new URL('../../workers/model.worker.ts', import.meta.url), { type: 'module', name: 'edgefold-model' });
  const remote = Comlink.wrap<ModelWorkerApi>(worker);
  let onAbort = () => {};
  try {
    return await new Promise<ModelCheck>((resolve, reject) => {
      onAbort = () => reject(new EdgefoldError('cancelled', 'Opening the model was cancelled.'));
      signal?.addEventListener('abort', onAbort, { once: true });
      remote.check(bytes, fileName).then(resolve, (error: unknown) => reject(fromTransferred(error)));
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    worker.terminate();
  }
}
