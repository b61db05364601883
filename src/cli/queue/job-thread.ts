/**
 * A queue worker's `eval`, `frontier-point` and `retrain` jobs, each on a thread of its own.
 * onnxruntime's wasm engine runs a batch synchronously, and training runs on the calling thread:
 * on the worker's main thread either would hold up BullMQ's lock renewal, and the job would be
 * taken as stalled and run again (seen under load with short locks). Cancelling ends the thread.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { CompressionConfig } from '../../core/config/compression.ts';
import { localFrontierMeasure } from '../../core/design/frontier-measure.ts';
import type { FrontierMeasurement } from '../../core/design/frontier.ts';
import { EdgefoldError, fromErrorRecord } from '../../core/errors.ts';
import type { Dataset } from '../../core/eval/dataset.ts';
import { evaluate, type EvalResult } from '../../core/eval/evaluate.ts';
import { createOrtRunner } from '../../core/eval/ort-runner.ts';
import { loadModel } from '../../core/graph/index.ts';
import type { RetrainOptions } from '../../core/train/index.ts';
import { loadOrt, type EngineName } from '../ort.ts';
import { runRetrain, type RetrainSummary } from '../retrain-run.ts';
import { failureOf, type JobFailure } from './jobs.ts';

export type ThreadRequest = { engine: EngineName; modelBytes: Uint8Array } & (
  | { kind: 'eval'; data: Dataset; limit?: number; batchSize?: number }
  | { kind: 'frontier-point'; evaluation: Dataset; calibration: Dataset; limit: number; compression: CompressionConfig; reconstruct: boolean }
  | {
      kind: 'retrain';
      train: Dataset;
      calibration: Dataset;
      evaluation?: Dataset;
      evaluationLimit?: number;
      config: CompressionConfig;
      options: RetrainOptions;
      reconstruct: boolean;
      threads: number;
    }
);
export interface ThreadResults {
  eval: EvalResult;
  'frontier-point': FrontierMeasurement;
  retrain: { summary: RetrainSummary; bytes: Uint8Array };
}
type FromThread = { type: 'progress'; done: number } | { type: 'done'; result: unknown } | { type: 'error'; failure: JobFailure };

/** Threads run this TypeScript file through tsx, as the CLI itself does. */
function bootstrap(): string {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
}

/** Runs one job on a new thread; `onProgress` gets the job's own work measure (images, or training steps done as a fraction). */
export function runInThread<K extends ThreadRequest['kind']>(request: ThreadRequest & { kind: K }, signal: AbortSignal, onProgress: (done: number) => void): Promise<ThreadResults[K]> {
  if (signal.aborted) return Promise.reject(new EdgefoldError('cancelled', 'Cancelled.'));
  const worker = new Worker(bootstrap(), { eval: true, workerData: { edgefoldJobThread: true } });
  return new Promise<ThreadResults[K]>((resolve, reject) => {
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
      if (m.type === 'done') resolve(m.result as ThreadResults[K]);
      else reject(fromErrorRecord(m.failure));
    });
    worker.on('error', (error) => {
      finish();
      reject(error);
    });
    worker.on('exit', (code) => code !== 0 && !signal.aborted && reject(new EdgefoldError('internal', `the job thread exited with code ${code}`)));
    worker.postMessage(request);
  });
}

async function runHere(request: ThreadRequest, progress: (done: number) => void): Promise<unknown> {
  const ort = await loadOrt(request.engine);
  const loaded = loadModel(request.modelBytes);
  const inputShape = loaded.summary.inputs[0].shape;
  if (request.kind === 'eval') {
    const runner = await createOrtRunner(ort, request.modelBytes);
    try {
      return await evaluate(runner, request.data, inputShape, { limit: request.limit, batchSize: request.batchSize, onProgress: (p) => progress(p.done) });
    } finally {
      await runner.release();
    }
  }
  if (request.kind === 'frontier-point') {
    // The same measurement as a local `edgefold frontier` (src/core/design/frontier-measure.ts).
    const measure = localFrontierMeasure({ ort, modelBytes: request.modelBytes, inputShape, evaluation: request.evaluation, calibration: request.calibration, limit: request.limit });
    return measure({ design: { compression: request.compression }, reconstruct: request.reconstruct });
  }
  const { summary, bytes } = await runRetrain(
    { ort, threads: request.threads, native: request.engine === 'native', model: loaded.model, config: request.config, train: request.train, calibration: request.calibration, evaluation: request.evaluation, evaluationLimit: request.evaluationLimit, options: request.options, reconstruct: request.reconstruct },
    { onProgress: (p) => p.training && progress(p.training.step / Math.max(1, p.training.steps)) },
  );
  return { summary, bytes };
}

if (!isMainThread && (workerData as { edgefoldJobThread?: boolean } | null)?.edgefoldJobThread) {
  const port = parentPort!;
  port.once('message', async (request: ThreadRequest) => {
    const post = (m: FromThread) => port.postMessage(m);
    try {
      post({ type: 'done', result: await runHere(request, (done) => post({ type: 'progress', done })) });
    } catch (error) {
      post({ type: 'error', failure: failureOf(error) });
    }
  });
}
