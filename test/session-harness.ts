/**
 * Sessions for tests, with real in-process workers (onnxruntime-node, the bundled model and data):
 * no module is mocked. A "reload" is a second session over the same stores with a fresh state.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { DATA_MANIFEST, DEFAULT_MODEL, readBytes } from './fixtures.ts';
import { defaultDesign, designContext } from '../src/core/design/design.ts';
import { loadDataset, validateManifest, type Dataset } from '../src/core/eval/dataset.ts';
import type { OrtModule } from '../src/core/eval/ort-runner.ts';
import { loadModel } from '../src/core/graph/index.ts';
import { sha256Hex } from '../src/core/hash.ts';
import { inProcessWorkers } from '../src/app/in-process.ts';
import { idleJob, idleRetrain, type SessionDeps, type SessionState } from '../src/app/session.ts';
import type { OpenModel } from '../src/app/state.ts';
import { MemoryKeyValue, type RecoveredModel } from '../src/app/stores.ts';

export const manifestUrl = pathToFileURL(DATA_MANIFEST).href;

/** fetch for file: URLs (the bundled data as the page would fetch it). */
export const fileFetch = (async (url: string | URL | Request) => {
  try {
    return new Response(readFileSync(fileURLToPath(String(url))));
  } catch {
    return new Response(null, { status: 404 });
  }
}) as typeof fetch;

export const prefix = (d: Dataset, n: number): Dataset => {
  const size = d.shape.reduce((a, b) => a * b, 1);
  return { ...d, count: Math.min(n, d.count), pixels: d.pixels.subarray(0, n * size), labels: d.labels.subarray(0, n) };
};

/** Bundled splits, loaded once per test file; calibration cut to `calibrationImages` to keep tests short. */
export function bundledSplits(calibrationImages: number) {
  const splits = new Map<string, Promise<Dataset>>();
  return ({ split }: { split: string }): Promise<Dataset> => {
    if (!splits.has(split)) {
      const manifest = validateManifest(JSON.parse(new TextDecoder().decode(readBytes(DATA_MANIFEST))), 'fmnist.json');
      const loading = loadDataset(manifest, split, async (p) => readBytes(resolve(dirname(DATA_MANIFEST), p)));
      splits.set(split, split === 'calibration' ? loading.then((d) => prefix(d, calibrationImages)) : loading);
    }
    return splits.get(split)!;
  };
}

export const initialSessionState = (evalLimit: number): SessionState => ({
  model: null,
  openingModel: null,
  dataset: { imported: null, job: { status: 'idle', stage: null, progress: { done: 0, total: 0 } }, source: 'bundled', mappingOverride: null, bundled: null },
  design: defaultDesign(),
  evalLimit,
  baseline: idleJob(),
  measured: idleJob(),
  measureJobs: 0,
  retrain: idleRetrain(),
  points: [],
  sweep: { status: 'idle', progress: null, result: null, modelSha256: null, dataKey: null },
  allocation: null,
});

/** What survives a reload (IndexedDB in the browser; here in memory, shared by the sessions of a test file). */
export function persistentStores() {
  return { measurements: new MemoryKeyValue<unknown>(), recoveredModels: new MemoryKeyValue<RecoveredModel>() };
}

/** The session's dependencies with in-process workers; `count` wraps them (to count jobs) without replacing them. */
export function inProcessDeps(
  stores: ReturnType<typeof persistentStores>,
  loadSplit: (ref: { split: string }) => Promise<Dataset>,
  options: { timers?: SessionDeps['timers']; wrap?: (workers: SessionDeps['workers']) => SessionDeps['workers'] } = {},
): SessionDeps {
  const workers = inProcessWorkers({ ort: ort as unknown as OrtModule, loadSplit, fetchBytes: async (url) => new Uint8Array(await (await fileFetch(url)).arrayBuffer()) });
  return {
    workers: options.wrap ? options.wrap(workers) : workers,
    ...stores,
    bundled: { manifestUrl, evaluation: { manifestUrl, split: 'test' }, calibration: { manifestUrl, split: 'calibration' }, training: { manifestUrl, split: 'train' }, fetch: fileFetch },
    timers: options.timers,
  };
}

export function sessionStore<S>(state: S): StoreApi<S> {
  return createStore<S>()(() => state);
}

/** The bundled model as an opened model (analysed here, as the model worker would). */
export async function openedModel(bytes = readBytes(DEFAULT_MODEL), fileName = 'dscnn-fmnist.onnx'): Promise<OpenModel> {
  const loaded = loadModel(bytes, fileName);
  return { fileName, bytes, loaded, context: designContext(loaded), sha256: await sha256Hex(bytes) };
}

export async function until(check: () => boolean, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
