/**
 * Node worker threads for WorkerBridge: the same comlink protocol as the browser's Web Workers,
 * over worker_threads (comlink's node adapter). Threads run our TypeScript through tsx, as the
 * CLI itself does.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { EdgefoldError } from '../src/core/errors.ts';
import type { WorkerHandle } from '../src/workers-client/bridge.ts';

/** Source that registers tsx, then imports `moduleUrl`. */
function bootstrap(moduleUrl: string): string {
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsx = pathToFileURL(cjs.replace(/index\.cjs$/, 'index.mjs')).href;
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(moduleUrl)}); });`;
}

/** Starts a thread running the TypeScript module at `moduleUrl` (which calls exposeToParent). */
export function nodeThread(moduleUrl: string, workerData: unknown): WorkerHandle & { thread: Worker } {
  const worker = new Worker(bootstrap(moduleUrl), { eval: true, workerData });
  return {
    thread: worker,
    endpoint: nodeEndpoint(worker),
    terminate: () => worker.terminate(),
    onFailure(report) {
      worker.on('error', (error: Error) => report(new EdgefoldError('internal', `worker thread failed: ${error.message}`)));
      worker.on('exit', (code) => code !== 0 && report(new EdgefoldError('internal', `worker thread exited with code ${code}`)));
    },
  };
}

/** The thread's side: serves `api` to the thread that started it. */
export function exposeToParent(api: object): void {
  Comlink.expose(api, nodeEndpoint(parentPort!));
}
