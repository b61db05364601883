/**
 * Browser client for sensitivity sweeps: a pool of sweep workers (one per core, one of them giving
 * way to the page while a person interacts), the IndexedDB result cache, and `runSweep`, the one
 * call the UI needs.
 *
 *   const result = await runSweep(
 *     { modelBytes, modelName, data: { manifestUrl: '/data/fmnist.json', split: 'test' }, request: { prune: { ratios }, weightBits: { bits }, limit: 1000 } },
 *     { onProgress, onPoint, signal },
 *   );
 *   const predicted = predictAccuracy(result, config); // pure, from src/core/sensitivity
 */
import type { Dataset } from '../core/eval/dataset.ts';
import { datasetFromUrl } from '../core/eval/remote-dataset.ts';
import { executeSweep, type SweepExecutor } from '../core/sensitivity/schedule.ts';
import { isPointMetrics, type SweepCache } from '../core/sensitivity/cache.ts';
import { prepareSweep } from '../core/sensitivity/run.ts';
import type { PointMetrics, PointResult, SweepProgress, SweepRequest, SweepResult } from '../core/sensitivity/types.ts';
import { webWorker } from './bridge.ts';
import { SweepWorker } from './sweep-worker.ts';
import { interactionFlag } from './interaction.ts';
import type { DatasetRef } from './evaluator.ts';

export type { SweepProgress, SweepResult, PointResult, SweepRequest };

export interface SweepJobInput {
  modelBytes: Uint8Array;
  modelName?: string;
  /** The split to evaluate on (e.g. { manifestUrl: '/data/fmnist.json', split: 'test' }) or a loaded Dataset. */
  data: SweepDataRef;
  /** Needed only for activation sweeps (default: the 'calibration' split of the same manifest). */
  calibration?: SweepDataRef;
  request: SweepRequest;
  /** Workers (default navigator.hardwareConcurrency). */
  workers?: number;
}

export interface SweepCallbacks {
  onProgress?: (progress: SweepProgress) => void;
  /** Each finished point as soon as its curve is done (cached points first). */
  onPoint?: (point: PointResult) => void;
  signal?: AbortSignal;
  /** Defaults to the IndexedDB cache; pass null to disable caching. */
  cache?: SweepCache | null;
}

// ---- IndexedDB cache ------------------------------------------------------------------------

const DB_NAME = 'edgefold';
const STORE = 'sensitivity';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** A tiny IndexedDB key-value store for sweep results (falls back to no caching when IndexedDB is unavailable). */
export class IndexedDbCache implements SweepCache {
  private db?: Promise<IDBDatabase | undefined>;
  private database(): Promise<IDBDatabase | undefined> {
    this.db ??= typeof indexedDB === 'undefined' ? Promise.resolve(undefined) : openDb().catch(() => undefined);
    return this.db;
  }
  private async request<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest): Promise<T | undefined> {
    const db = await this.database();
    if (!db) return undefined;
    return new Promise((resolve) => {
      const req = run(db.transaction(STORE, mode).objectStore(STORE));
      req.onsuccess = () => resolve(req.result as T);
      req.onerror = () => resolve(undefined);
    });
  }
  async get(key: string): Promise<PointMetrics | undefined> {
    const value = await this.request<unknown>('readonly', (s) => s.get(key));
    return isPointMetrics(value) ? value : undefined;
  }
  async set(key: string, value: PointMetrics): Promise<void> {
    await this.request('readwrite', (s) => s.put(value, key));
  }
  async clear(): Promise<void> {
    await this.request('readwrite', (s) => s.clear());
  }
}

export const sweepCache = new IndexedDbCache();

// ---- worker pool ----------------------------------------------------------------------------

const pool: SweepWorker[] = [];

function workers(count: number): SweepWorker[] {
  while (pool.length < count) {
    const name = `edgefold-sweep-${pool.length + 1}`;
    pool.push(new SweepWorker({ name, start: () => webWorker(new Worker(new URL('../../workers/sweep.worker.ts', import.meta.url), { type: 'module', name })) }));
  }
  return pool.slice(0, count);
}

/** Terminates the sweep workers (idle ones are terminated anyway after a while). */
export function disposeSweepWorkers(): void {
  for (const w of pool.splice(0)) void w.terminate();
}

/** A manifest split, an imported dataset ({ inline }, as the evaluator takes it) or a loaded Dataset. */
export type SweepDataRef = DatasetRef | { inline: Dataset } | Dataset;

function resolveData(ref: SweepDataRef): Promise<Dataset> {
  if ('inline' in ref) return Promise.resolve(ref.inline);
  if ('pixels' in ref) return Promise.resolve(ref);
  return datasetFromUrl(new URL(ref.manifestUrl, location.href).href, ref.split);
}

/**
 * Runs a sensitivity sweep on a pool of workers. Resolves with the complete result; rejects with
 * EdgefoldError('cancelled') when `signal` aborts (finished curves stay cached, nothing partial is kept).
 */
export async function runSweep(input: SweepJobInput, callbacks: SweepCallbacks = {}): Promise<SweepResult> {
  const data = await resolveData(input.data);
  const calibRef = input.calibration ?? (input.request.activationBits && 'manifestUrl' in input.data ? { ...input.data, split: 'calibration' } : undefined);
  const calibrationData = calibRef ? await resolveData(calibRef) : undefined;
  const prepared = await prepareSweep(input.modelBytes, data, input.request, 'wasm');
  const size = Math.max(1, Math.min(input.workers ?? navigator.hardwareConcurrency ?? 1, prepared.plan.units.length));
  const members = workers(size);
  // The page keeps a core while a person drags or types: workers past the first (cores - 1) pause
  // between batches meanwhile (a 2-core machine: one worker runs on, the other gives way).
  const running = Math.max(0, (navigator.hardwareConcurrency || 1) - 1);
  const flag = interactionFlag();
  await Promise.all(members.map((m, i) => m.giveWay(i >= running ? flag : null)));
  await Promise.all(members.map((m) => m.load({ modelBytes: input.modelBytes, modelKey: prepared.modelHash, data, calibrationData })));
  const executors: SweepExecutor[] = members.map((m) => m.executor({ settings: prepared.plan.settings, limit: prepared.images }));
  return executeSweep(prepared.plan, executors, {
    scope: prepared.scope,
    images: prepared.images,
    model: { name: input.modelName ?? 'model' },
    data: { name: data.name, split: data.split, classes: data.classes.length },
    cache: callbacks.cache === null ? undefined : (callbacks.cache ?? sweepCache),
    signal: callbacks.signal,
    onProgress: callbacks.onProgress,
    onPoint: callbacks.onPoint,
  });
}

export { predictAccuracy } from '../core/sensitivity/predictor.ts';
export { allocate } from '../core/sensitivity/allocator.ts';
export { sweepToCsv, sweepToJson, parseSweepResult } from '../core/sensitivity/format.ts';
