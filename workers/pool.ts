/**
 * The CLI's sweep worker pool: N Node worker threads, each with its own onnxruntime (the wasm
 * build the browser uses, one thread each, or onnxruntime-node with one intra-op thread) and its
 * own SweepService. The same file is the threads' entry point. Each thread is a SweepWorker over
 * a WorkerBridge, exactly as the browser's pool (src/workers-client/sweep.ts), with comlink over
 * worker_threads: job ids, progress, cancel, idle and unanswered-cancel termination.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import type { OrtModule } from '../src/core/eval/ort-runner.ts';
import type { SweepExecutor } from '../src/core/sensitivity/schedule.ts';
import { SweepService, type ServiceInit } from '../src/core/sensitivity/service.ts';
import { SweepWorker, type SweepTaskSettings } from '../src/workers-client/sweep-worker.ts';
import { exposeToParent, nodeThread } from './node-thread.ts';
import { sweepWorkerApi } from './sweep-api.ts';

export type PoolEngine = 'wasm' | 'native';

export interface PoolOptions {
  /** Terminate a thread idle this long (ms; its model is reloaded on its next task). Default: the bridge's. */
  idleMs?: number;
  /** How long a cancelled task may take to stop before its thread is terminated (ms). */
  cancelGraceMs?: number;
}

interface ThreadData {
  edgefoldSweepWorker: true;
  engine: PoolEngine;
}

export class NodeSweepPool {
  private constructor(private readonly threads: SweepWorker[]) {}

  /** Starts `size` threads and loads the model and data into each (threads start on their first load when `init` is omitted). */
  static async start(size: number, engine: PoolEngine, init?: ServiceInit, options: PoolOptions = {}): Promise<NodeSweepPool> {
    const threads = Array.from(
      { length: Math.max(1, size) },
      (_, i) =>
        new SweepWorker({
          name: `sweep-thread-${i + 1}`,
          start: () => nodeThread(import.meta.url, { edgefoldSweepWorker: true, engine } satisfies ThreadData),
          ...options,
        }),
    );
    const pool = new NodeSweepPool(threads);
    if (init) await Promise.all(threads.map((_, i) => pool.load(i, init)));
    return pool;
  }

  /** Loads a model and data into one thread (the queue worker reuses its threads across sweeps). */
  load(index: number, init: ServiceInit): Promise<void> {
    return this.threads[index].load(init);
  }

  /** One thread's executor, running tasks with these settings and image limit. */
  executor(index: number, settings: SweepTaskSettings): SweepExecutor {
    return this.threads[index].executor(settings);
  }

  /** Executors for executeSweep; every unit runs with these settings and image limit. */
  executors(settings: SweepTaskSettings): SweepExecutor[] {
    return this.threads.map((t) => t.executor(settings));
  }

  get size(): number {
    return this.threads.length;
  }

  /** Threads started so far, replacements of idle, stuck or crashed ones included. */
  get started(): number {
    return this.threads.reduce((n, t) => n + t.bridge.started, 0);
  }

  /** Threads running now. */
  get alive(): number {
    return this.threads.filter((t) => t.bridge.alive).length;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.terminate()));
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

if (!isMainThread && (workerData as Partial<ThreadData> | null)?.edgefoldSweepWorker) {
  const { engine } = workerData as ThreadData;
  const service = loadEngine(engine).then(({ ort, sessionOptions, lateCuts }) => new SweepService(ort, sessionOptions, { lateCuts }));
  // Progress at most every 100 ms keeps the message traffic between threads small.
  exposeToParent(sweepWorkerApi(() => service, 100));
}
