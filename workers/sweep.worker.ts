/**
 * Sensitivity sweep worker (browser): one onnxruntime-web session set per worker, one wasm thread
 * each (the pool runs one worker per core). Driven by src/workers-client/sweep.ts through SweepWorker.
 */
import * as Comlink from 'comlink';
import type { Dataset } from '../src/core/eval/dataset.ts';
import { SweepService } from '../src/core/sensitivity/service.ts';
import { ortWeb } from './ort-web.ts';
import { sweepWorkerApi } from './sweep-api.ts';

let service: SweepService | undefined;

const api = sweepWorkerApi(async () => (service ??= new SweepService(ortWeb(1))));

export type { SweepWorkerApi } from './sweep-api.ts';
export type { Dataset };

// onnxruntime starts its wasm threads from this module's URL; only the real worker exposes the API.
if (!self.name?.startsWith('em-pthread')) Comlink.expose(api);
