/**
 * A queue worker's `eval` job on its own thread. onnxruntime's wasm engine runs a batch
 * synchronously: on the worker's main thread a long batch would hold up BullMQ's lock renewal, and
 * the job would be taken as stalled and run again (seen under load with short locks). Cancelling
 * ends the thread.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { EdgefoldError } from '../../core/errors.ts';
import type { Dataset } from '../../core/eval/dataset.ts';
import { evaluate, type EvalResult } from '../../core/eval/evaluate.ts';
import { createOrtRunner } from '../../core/eval/ort-runner.ts';
import { loadModel } from '../../core/graph/index.ts';
import { loadOrt, type EngineName } from '../ort.ts';
import { failureOf, type JobFailure } from './jobs.ts';

interface EvalRequest {
  engine: EngineName;
  modelBytes: Uint8Array;
  data: Dataset;
  limit?: number;
  batchSize?: number;
}
type FromThread = { type: 'progress'; done: number } | { type: 'done'; result: EvalResult } | { type: 'error'; failure: JobFailure };

/** Threads run this TypeScript file through tsx, as the CLI itself does. */
function bootstrap(): string {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
}

export function evaluateInThread(request: EvalRequest, signal: AbortSignal, onProgress: (done: number) => void): Promise<EvalResult> {
  if (signal.aborted) return Promise.reject(new EdgefoldError('cancelled', 'Cancelled.'));
  const worker = new Worker(bootstrap(), { eval: true, workerData: { edgefoldEvalThread: true } });
  return new Promise<EvalResult>((resolve, reject) => {
    const onAbort = () => {
      void worker.terminate();
      reject(new EdgefoldError('cancelled', 'Cancelled.'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const finish = () => {
      signal.removeEventListener('abort', onAbort);
      void worker.terminate();
    };
    worker.on('message', (m: FromThread) => {
      if (m.type === 'progress') return onProgress(m.done);
      finish();
      if (m.type === 'done') resolve(m.result);
      else reject(new EdgefoldError(m.failure.code, m.failure.message, m.failure.field));
    });
    worker.on('error', (error) => {
      finish();
      reject(error);
    });
    worker.on('exit', (code) => code !== 0 && !signal.aborted && reject(new EdgefoldError('internal', `the evaluation thread exited with code ${code}`)));
    worker.postMessage(request);
  });
}

if (!isMainThread && (workerData as { edgefoldEvalThread?: boolean } | null)?.edgefoldEvalThread) {
  const port = parentPort!;
  port.once('message', async (request: EvalRequest) => {
    const post = (m: FromThread) => port.postMessage(m);
    try {
      const input = loadModel(request.modelBytes).summary.inputs[0];
      const runner = await createOrtRunner(await loadOrt(request.engine), request.modelBytes);
      try {
        const result = await evaluate(runner, request.data, input.shape, { limit: request.limit, batchSize: request.batchSize, onProgress: (p) => post({ type: 'progress', done: p.done }) });
        post({ type: 'done', result });
      } finally {
        await runner.release();
      }
    } catch (error) {
      post({ type: 'error', failure: failureOf(error) });
    }
  });
}
