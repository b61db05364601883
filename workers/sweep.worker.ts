/**
 * Sensitivity sweep worker (browser): one onnxruntime-web session set per worker, one wasm thread
 * each (the pool runs one worker per core). Driven by src/workers-client/sweep.ts with comlink.
 */
import * as Comlink from 'comlink';
import { toTransferable } from '../src/core/errors.ts';
import type { Dataset } from '../src/core/eval/dataset.ts';
import type { TaskResult } from '../src/core/sensitivity/engine.ts';
import { SweepService, type ServiceInit, type TaskJob } from '../src/core/sensitivity/service.ts';
import { ortWeb } from './ort-web.ts';

let service: SweepService | undefined;

const api = {
  init(init: ServiceInit): void {
    service ??= new SweepService(ortWeb(1));
    service.init(init);
  },
  async runTask(job: TaskJob, onProgress?: (work: number) => void): Promise<TaskResult> {
    if (!service) throw new Error('internal: the sweep worker was not initialised');
    try {
      return await service.runTask(job, onProgress);
    } catch (error) {
      throw toTransferable(error);
    }
  },
  cancel(jobId: string): void {
    service?.cancel(jobId);
  },
};

export type SweepWorkerApi = typeof api;
export type { Dataset };

// onnxruntime starts its wasm threads from this module's URL; only the real worker exposes the API.
if (!self.name?.startsWith('em-pthread')) Comlink.expose(api);
