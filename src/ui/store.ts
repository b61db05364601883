import { create } from 'zustand';
import { isAbortError } from '../core/errors.ts';
import type { EvalProgress } from '../core/eval/evaluate.ts';
import { loadModel, type LoadedModel } from '../core/graph/index.ts';
import { evaluateInWorker, type DatasetRef, type WorkerEvalResult } from '../workers-client/evaluator.ts';

export const DEFAULT_MODEL_URL = `${import.meta.env.BASE_URL}models/dscnn-fmnist.onnx`;
export const DEFAULT_DATA: DatasetRef = {
  manifestUrl: new URL(`${import.meta.env.BASE_URL}data/fmnist.json`, globalThis.location?.href ?? 'http://localhost/').href,
  split: 'test',
};

export interface OpenModel {
  fileName: string;
  bytes: Uint8Array;
  loaded: LoadedModel;
}

export type JobStatus = 'idle' | 'running' | 'done' | 'error' | 'cancelled';

export interface BaselineState {
  status: JobStatus;
  progress: EvalProgress;
  result?: WorkerEvalResult;
  error?: string;
  /** Which model the result belongs to, so a late answer for an old model is dropped. */
  modelFile?: string;
}

export interface AppState {
  model: OpenModel | null;
  /** The last load failure; the model that was open before stays open. */
  loadError: string | null;
  loadingModel: boolean;
  baseline: BaselineState;
  evalLimit: number;
  openModelBytes(bytes: Uint8Array, fileName: string): boolean;
  openModelUrl(url: string, fileName: string): Promise<void>;
  dismissError(): void;
  runBaseline(): Promise<void>;
  cancelBaseline(): void;
}

const idleBaseline: BaselineState = { status: 'idle', progress: { done: 0, total: 0 } };
let baselineAbort: AbortController | undefined;

export const useApp = create<AppState>()((set, get) => ({
  model: null,
  loadError: null,
  loadingModel: false,
  baseline: idleBaseline,
  evalLimit: 10_000,

  openModelBytes(bytes, fileName) {
    let loaded: LoadedModel;
    try {
      loaded = loadModel(bytes, fileName);
    } catch (error) {
      // The previous model, its results and the rest of the session stay as they were.
      set({ loadError: error instanceof Error ? error.message : String(error) });
      return false;
    }
    baselineAbort?.abort();
    set({ model: { fileName, bytes, loaded }, loadError: null, baseline: idleBaseline });
    return true;
  },

  async openModelUrl(url, fileName) {
    set({ loadingModel: true });
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`Could not load ${fileName} (HTTP ${response.status}).`);
      get().openModelBytes(new Uint8Array(await response.arrayBuffer()), fileName);
    } catch (error) {
      set({ loadError: error instanceof Error ? error.message : String(error) });
    } finally {
      set({ loadingModel: false });
    }
  },

  dismissError: () => set({ loadError: null }),

  async runBaseline() {
    const model = get().model;
    if (!model) return;
    baselineAbort?.abort();
    const controller = new AbortController();
    baselineAbort = controller;
    const modelFile = model.fileName;
    set({ baseline: { status: 'running', progress: { done: 0, total: get().evalLimit }, modelFile } });
    const current = () => baselineAbort === controller && get().model?.fileName === modelFile;
    try {
      const result = await evaluateInWorker({
        modelBytes: model.bytes,
        inputShape: model.loaded.summary.inputs[0]?.shape ?? [],
        data: DEFAULT_DATA,
        limit: get().evalLimit,
        signal: controller.signal,
        onProgress: (progress) => {
          if (current()) set((s) => ({ baseline: { ...s.baseline, progress } }));
        },
      });
      if (current()) set({ baseline: { status: 'done', progress: { done: result.n, total: result.n }, result, modelFile } });
    } catch (error) {
      if (!current()) return;
      if (isAbortError(error)) set((s) => ({ baseline: { ...s.baseline, status: 'cancelled' } }));
      else set((s) => ({ baseline: { ...s.baseline, status: 'error', error: (error as Error).message } }));
    }
  },

  cancelBaseline() {
    baselineAbort?.abort();
  },
}));
