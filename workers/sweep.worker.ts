/**
 * Sensitivity sweep worker (browser): one onnxruntime-web session set per worker, one wasm thread
 * each (the pool runs one worker per core). Driven by src/workers-client/sweep.ts with comlink.
 */
import * as Comlink from 'comlink';
import { toTransferable } from '../src/core/errors.ts';
import type { Dataset } from '../src/core/eval/dataset.ts';
import type { UnitResult } from '../src/core/sensitivity/engine.ts';
import { SweepService, type ServiceInit, type UnitJob } from '../src/core/sensitivity/service.ts';
import { ortWeb } from './ort-web.ts';

let service: SweepService | undefined;

const api = {
  init(init: ServiceInit): void {
    service ??= new SweepService(ortWeb(1));
    service.init(init);
  },
  async runUnit(job: UnitJob, onProgress?: (work: number) => void): Promise<UnitResult> {
    if (!service) throw new Error('internal: the sweep worker was not initialised');
    try {
      return await service.runUnit(job, onProgress);
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
