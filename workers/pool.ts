/**
 * The CLI's sweep worker pool: N Node worker threads, each with its own onnxruntime (the wasm
 * build the browser uses, one thread each, or onnxruntime-node with one intra-op thread) and its
 * own SweepService. The same file is the threads' entry point. The coordinator (executeSweep in
 * src/core/sensitivity) hands tasks to whichever thread is free; cancelling aborts the running
 * task in every thread between two batches.
 *
 * The browser pool is the same idea with Web Workers and comlink: src/workers-client/sweep.ts
 * over workers/sweep.worker.ts.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { EdgefoldError } from '../src/core/errors.ts';
import type { OrtModule } from '../src/core/eval/ort-runner.ts';
import type { TaskResult } from '../src/core/sensitivity/engine.ts';
import type { SweepExecutor } from '../src/core/sensitivity/schedule.ts';
import { SweepService, type ServiceInit, type TaskJob } from '../src/core/sensitivity/service.ts';

export type PoolEngine = 'wasm' | 'native';

type ToWorker = { type: 'init'; init: ServiceInit } | { type: 'run'; job: TaskJob } | { type: 'cancel'; jobId: string };
type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; jobId: string; work: number }
  | { type: 'done'; jobId: string; result: TaskResult }
  | { type: 'error'; jobId?: string; code?: string; message: string };

/** The job id of a failed `init` message (never a task's id). */
const INIT_JOB = 'init';

interface Pending {
  resolve: (r: TaskResult) => void;
  reject: (e: Error) => void;
  onProgress?: (work: number) => void;
}

const toError = (m: { code?: string; message: string }) =>
  m.code ? new EdgefoldError(m.code as EdgefoldError['code'], m.message) : new Error(m.message);

class ThreadExecutor implements SweepExecutor {
  private readonly pending = new Map<string, Pending>();
  private jobs = 0;
  private failed?: Error;

  constructor(
    readonly worker: Worker,
    private readonly id: number,
  ) {
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') return;
      const p = m.jobId ? this.pending.get(m.jobId) : undefined;
      if (m.type === 'progress') p?.onProgress?.(m.work);
      else if (m.type === 'done') {
        this.pending.delete(m.jobId);
        p?.resolve(m.result);
      } else if (m.type === 'error') {
        if (!m.jobId) return this.fail(toError(m));
        this.pending.delete(m.jobId);
        p?.reject(toError(m));
      }
    });
    worker.on('error', (e: Error) => this.fail(e));
    worker.on('exit', (code) => code !== 0 && this.fail(new Error(`sweep worker ${id} exited with code ${code}`)));
  }

  private fail(error: Error) {
    this.failed ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  runTask: SweepExecutor['runTask'] = (task, { baselineTop1, onProgress, signal }) => {
    if (this.failed) return Promise.reject(this.failed);
    // Aborted already (e.g. while the queue worker was loading the task's data): its 'abort' event has fired, none will come.
    if (signal.aborted) return Promise.reject(new EdgefoldError('cancelled', 'Cancelled.'));
    const jobId = `w${this.id}-${++this.jobs}`;
    return new Promise<TaskResult>((resolve, reject) => {
      const onAbort = () => this.worker.postMessage({ type: 'cancel', jobId } satisfies ToWorker);
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => signal.removeEventListener('abort', onAbort);
      this.pending.set(jobId, {
        resolve: (r) => (done(), resolve(r)),
        reject: (e) => (done(), reject(e)),
        onProgress,
      });
      this.worker.postMessage({ type: 'run', job: { ...this.job, jobId, task, baselineTop1 } } satisfies ToWorker);
    });
  };

  /** Settings and image limit shared by every task of the sweep (set by the pool). */
  job: Omit<TaskJob, 'jobId' | 'task' | 'baselineTop1'> = { settings: undefined as never };
}

/** Threads run this TypeScript file through tsx (as the CLI itself does): register it, then import us. */
function bootstrap(): string {
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsx = pathToFileURL(cjs.replace(/index\.cjs$/, 'index.mjs')).href;
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
}

export class NodeSweepPool {
  private constructor(private readonly threads: ThreadExecutor[]) {}

  /** Starts `size` threads and loads the model and data into each (none yet when `init` is omitted). */
  static async start(size: number, engine: PoolEngine, init?: ServiceInit): Promise<NodeSweepPool> {
    const threads = Array.from({ length: Math.max(1, size) }, (_, i) => {
      const worker = new Worker(bootstrap(), { eval: true, workerData: { edgefoldSweepWorker: true, engine } });
      return new ThreadExecutor(worker, i + 1);
    });
    const pool = new NodeSweepPool(threads);
    if (init) await Promise.all(threads.map((_, i) => pool.load(i, init)));
    return pool;
  }

  /** Loads a model and data into one thread (the queue worker reuses its threads across sweeps). */
  load(index: number, init: ServiceInit): Promise<void> {
    const t = this.threads[index];
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        t.worker.off('message', onMessage);
        t.worker.off('error', settle);
        if (error) reject(error);
        else resolve();
      };
      const onMessage = (m: FromWorker) => {
        if (m.type === 'ready') settle();
        else if (m.type === 'error' && (!m.jobId || m.jobId === INIT_JOB)) settle(toError(m));
      };
      t.worker.on('message', onMessage);
      t.worker.on('error', settle);
      t.worker.postMessage({ type: 'init', init } satisfies ToWorker);
    });
  }

  /** One thread's executor, running tasks with these settings and image limit. */
  executor(index: number, job: Omit<TaskJob, 'jobId' | 'task' | 'baselineTop1'>): SweepExecutor {
    this.threads[index].job = job;
    return this.threads[index];
  }

  /** Executors for executeSweep; every unit runs with these settings and image limit. */
  executors(job: Omit<TaskJob, 'jobId' | 'task' | 'baselineTop1'>): SweepExecutor[] {
    for (const t of this.threads) t.job = job;
    return this.threads;
  }

  get size(): number {
    return this.threads.length;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

// ---- thread side ----------------------------------------------------------------------------

async function loadEngine(engine: PoolEngine): Promise<{ ort: OrtModule; sessionOptions: object; lateCuts?: boolean }> {
  if (engine === 'native') {
    const name = 'onnxruntime-node';
    // Late prune cuts are bit-exact only in the wasm kernels (see EngineContext.lateCuts).
    return { ort: (await import(/* @vite-ignore */ name)) as OrtModule, sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 }, lateCuts: false };
  }
  const web = (await import('onnxruntime-web')) as unknown as OrtModule & { env: { wasm: { numThreads?: number }; logLevel?: string } };
  web.env.wasm.numThreads = 1;
  web.env.logLevel = 'error';
  return { ort: web, sessionOptions: {} };
}

if (!isMainThread && (workerData as { edgefoldSweepWorker?: boolean } | null)?.edgefoldSweepWorker) {
  const port = parentPort!;
  const post = (m: FromWorker) => port.postMessage(m);
  const engine = (workerData as { engine: PoolEngine }).engine;
  const ready = loadEngine(engine).then(({ ort, sessionOptions, lateCuts }) => new SweepService(ort, sessionOptions, { lateCuts }));
  port.on('message', async (m: ToWorker) => {
    try {
      const service = await ready;
      if (m.type === 'init') {
        try {
          service.init(m.init);
        } catch (error) {
          // A model this thread cannot load fails that load only: the thread keeps serving (the queue worker reuses it).
          const e = error as EdgefoldError;
          post({ type: 'error', jobId: INIT_JOB, code: e instanceof EdgefoldError ? e.code : undefined, message: e.message ?? String(e) });
          return;
        }
        post({ type: 'ready' });
      } else if (m.type === 'cancel') {
        service.cancel(m.jobId);
      } else if (m.type === 'run') {
        const jobId = m.job.jobId;
        let last = 0;
        let lastAt = 0;
        try {
          const result = await service.runTask(m.job, (work) => {
            // Progress at most every 100 ms keeps the message traffic small.
            const now = performance.now();
            if (now - lastAt > 100 || work < last) {
              lastAt = now;
              post({ type: 'progress', jobId, work });
            }
            last = work;
          });
          post({ type: 'progress', jobId, work: last });
          post({ type: 'done', jobId, result });
        } catch (error) {
          const e = error as EdgefoldError;
          post({ type: 'error', jobId, code: e instanceof EdgefoldError ? e.code : undefined, message: e.message ?? String(e) });
        }
      }
    } catch (error) {
      post({ type: 'error', message: (error as Error).message });
    }
  });
}
