/**
 * The main thread's side of the dataset and re-fit workers. Every function is a plain async call
 * a store action can await: an AbortSignal cancels the job (the promise rejects with an
 * EdgefoldError of code 'cancelled'), onProgress reports as the work goes.
 */
import * as Comlink from 'comlink';
import { WorkerBridge, webWorker } from './bridge.ts';
import { EdgefoldError } from '../core/errors.ts';
import type { PreprocessSpec } from '../core/data/preprocess.ts';
import type { SplitSpec } from '../core/data/split.ts';
import type { ImportProgress } from '../core/data/types.ts';
import type { Dataset, Preprocessing } from '../core/eval/dataset.ts';
import type { Shape } from '../core/graph/layer.ts';
import type { BiasCorrectionOptions, BiasCorrectionProgress, BiasCorrectionResult } from '../core/transfer/bias-correction.ts';
import type { ReconstructOptions, ReconstructProgress, ReconstructionResult } from '../core/transfer/reconstruct.ts';
import type { RefitOptions, RefitProgress } from '../core/transfer/refit.ts';
import type { DatasetInput, DatasetWorkerApi, ImportAnswer, PrepareAnswer } from '../../workers/dataset.worker.ts';
import type { RefitWorkerApi, WorkerRefitResult } from '../../workers/refit.worker.ts';

export type { DatasetInput, ImportAnswer, PrepareAnswer, WorkerRefitResult };

/** Imported datasets live in this worker until released, so it is never terminated for being idle. */
const datasetWorker = new WorkerBridge<DatasetWorkerApi>({
  name: 'dataset',
  idleMs: Infinity,
  start: () => webWorker(new Worker(new URL('../../workers/dataset.worker.ts', import.meta.url), { type: 'module', name: 'edgefold-dataset' })),
});

const refitWorker = new WorkerBridge<RefitWorkerApi>({
  name: 'refit',
  start: () => webWorker(new Worker(new URL('../../workers/refit.worker.ts', import.meta.url), { type: 'module', name: 'edgefold-refit' })),
});

const proxied = <F extends (...args: never[]) => unknown>(f: F | undefined) => (f ? Comlink.proxy(f) : undefined);

// ---- picking files ---------------------------------------------------------------------------

/**
 * What an <input type="file"> gave: several files with webkitRelativePath (a folder picked with
 * webkitdirectory) become an ImageFolder; one file is a .zip or .npz; two files are images + labels
 * (.npy or IDX; the one whose name mentions "label" or "y" is the labels).
 */
export function inputFromFiles(files: FileList | File[]): DatasetInput {
  const list = Array.from(files);
  if (list.length === 0) throw new EdgefoldError('bad-input', 'no file chosen.', 'files');
  const relative = (f: File) => (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
  if (list.length === 1 && !relative(list[0]).includes('/')) return { kind: 'file', name: list[0].name, file: list[0] };
  if (list.length === 2 && list.every((f) => /\.(npy|gz)$|ubyte$|\.idx$/i.test(f.name))) {
    const isLabels = (f: File) => /label|(^|[_\-.])y([_\-.]|$)/i.test(f.name);
    const [labels, images] = isLabels(list[0]) ? [list[0], list[1]] : [list[1], list[0]];
    return { kind: 'pair', images: { name: images.name, file: images }, labels: { name: labels.name, file: labels } };
  }
  const paths = list.map(relative);
  const root = paths[0].split('/')[0];
  return { kind: 'folder', name: root, files: list.map((file, i) => ({ path: paths[i], file })) };
}

const fileOf = (entry: FileSystemFileEntry) => new Promise<File>((ok, fail) => entry.file(ok, fail));

/** What was dropped on the page: a folder becomes an ImageFolder (empty sub-folders included), files as in inputFromFiles. */
export async function inputFromDrop(items: DataTransferItemList): Promise<DatasetInput> {
  const entries = Array.from(items)
    .map((item) => item.webkitGetAsEntry())
    .filter((e): e is FileSystemEntry => e !== null);
  const folder = entries.length === 1 && entries[0].isDirectory ? (entries[0] as FileSystemDirectoryEntry) : undefined;
  if (!folder) {
    const files = await Promise.all(entries.filter((e) => e.isFile).map((e) => fileOf(e as FileSystemFileEntry)));
    return inputFromFiles(files);
  }
  const files: { path: string; file: Blob }[] = [];
  const directories: string[] = [];
  const walk = async (dir: FileSystemDirectoryEntry, prefix: string): Promise<void> => {
    const reader = dir.createReader();
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
      if (!batch.length) break;
      for (const entry of batch) {
        const path = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.isDirectory) {
          directories.push(path);
          await walk(entry as FileSystemDirectoryEntry, path);
        } else {
          files.push({ path, file: await fileOf(entry as FileSystemFileEntry) });
        }
      }
    }
  };
  await walk(folder, '');
  return { kind: 'folder', name: folder.name, files, directories };
}

// ---- datasets --------------------------------------------------------------------------------

/** Decodes and checks a dataset in the dataset worker. It stays there (by key) until releaseDataset. */
export function importDataset(input: DatasetInput, options: { signal?: AbortSignal; onProgress?: (p: ImportProgress) => void } = {}): Promise<ImportAnswer> {
  return datasetWorker.job('import', options.signal, (worker, jobId) => worker.importDataset(jobId, input, proxied(options.onProgress)));
}

/** The preprocessing form pre-filled from the model's input shape (and the model's own normalisation when known). */
export function suggestPreprocessing(key: string, inputShape: Shape, hint?: Preprocessing): Promise<PreprocessSpec> {
  return datasetWorker.call((worker) => worker.suggestPreprocessing(key, inputShape, hint));
}

/** Preprocesses and splits; returns the identity, a preview and the four datasets (all, calibration, training, validation). */
export function prepareImportedDataset(
  key: string,
  spec: PreprocessSpec,
  split: SplitSpec,
  options: { inputShape?: Shape; previewCount?: number; signal?: AbortSignal; onProgress?: (p: { done: number; total: number }) => void } = {},
): Promise<PrepareAnswer> {
  return datasetWorker.job('prepare', options.signal, (worker, jobId) =>
    worker.prepare(jobId, key, spec, split, { inputShape: options.inputShape, previewCount: options.previewCount }, proxied(options.onProgress)),
  );
}

export function releaseDataset(key: string): Promise<void> {
  return datasetWorker.call((worker) => worker.release(key));
}

// ---- re-fit and recovery ---------------------------------------------------------------------

export interface RefitInWorkerOptions {
  modelBytes: Uint8Array;
  training: Dataset;
  validation?: Dataset;
  options?: Omit<RefitOptions, 'signal' | 'onProgress'>;
  signal?: AbortSignal;
  /** Phases: features (per batch), training (per iteration: losses and accuracies for the curves), verifying. */
  onProgress?: (p: RefitProgress) => void;
}

/** Re-fits the classifier head in the re-fit worker. Cancelling rejects and leaves the caller's model as it was. */
export function refitInWorker(options: RefitInWorkerOptions): Promise<WorkerRefitResult> {
  return refitWorker.job('refit', options.signal, (worker, jobId) =>
    worker.refit(
      { jobId, modelBytes: options.modelBytes, training: options.training, validation: options.validation, options: options.options },
      proxied(options.onProgress),
    ),
  );
}

export interface BiasCorrectInWorkerOptions {
  floatBytes: Uint8Array;
  compressedBytes: Uint8Array;
  calibration: Dataset;
  options?: Omit<BiasCorrectionOptions, 'signal' | 'onProgress'>;
  signal?: AbortSignal;
  onProgress?: (p: BiasCorrectionProgress) => void;
}

/** Bias correction of a compressed model against the float one, in the re-fit worker. */
export function biasCorrectInWorker(options: BiasCorrectInWorkerOptions): Promise<BiasCorrectionResult> {
  return refitWorker.job('bias', options.signal, (worker, jobId) =>
    worker.biasCorrect(
      { jobId, floatBytes: options.floatBytes, compressedBytes: options.compressedBytes, calibration: options.calibration, options: options.options },
      proxied(options.onProgress),
    ),
  );
}

export interface ReconstructInWorkerOptions {
  floatBytes: Uint8Array;
  compressedBytes: Uint8Array;
  calibration: Dataset;
  options?: Omit<ReconstructOptions, 'signal' | 'onProgress'>;
  signal?: AbortSignal;
  /** Images pushed through the layers so far / planned, and the layer being solved. */
  onProgress?: (p: ReconstructProgress) => void;
}

/** Layer-wise least-squares reconstruction of a pruned model, in the re-fit worker. Cancelling leaves the caller's model as it was. */
export function reconstructInWorker(options: ReconstructInWorkerOptions): Promise<ReconstructionResult & { threads: number }> {
  return refitWorker.job('reconstruct', options.signal, (worker, jobId) =>
    worker.reconstruct(
      { jobId, floatBytes: options.floatBytes, compressedBytes: options.compressedBytes, calibration: options.calibration, options: options.options },
      proxied(options.onProgress),
    ),
  );
}
