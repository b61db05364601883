import * as Comlink from 'comlink';
import { JobRegistry, reportingErrors } from './jobs.ts';
import { fetchBytes } from '../src/core/eval/remote-dataset.ts';
import { EdgefoldError } from '../src/core/errors.ts';
import { importIdx, importLoadedDatasets, importNpy, importNpz, type ArrayLayout } from '../src/core/data/arrays.ts';
import { detectFormat } from '../src/core/data/detect.ts';
import { checkImageSize, imageHeaderSize } from '../src/core/data/image-header.ts';
import { importImageFolder, importImageZip, IMAGE_EXTENSIONS, type InputFile } from '../src/core/data/image-folder.ts';
import { prepareDataset, previewTiles, type DatasetIdentity, type PreviewTile } from '../src/core/data/prepare.ts';
import { defaultPreprocessing, type PreprocessSpec } from '../src/core/data/preprocess.ts';
import { summarizeImported } from '../src/core/data/source.ts';
import type { SplitSpec } from '../src/core/data/split.ts';
import type { DatasetSummary, DecodedImage, ImageDecoder, ImportedDataset, ImportProgress } from '../src/core/data/types.ts';
import { loadDataset, validateManifest, type Dataset, type Preprocessing } from '../src/core/eval/dataset.ts';
import type { Shape } from '../src/core/graph/layer.ts';

/** What the user picked, as the page hands it over (File objects are read here, off the main thread). */
export type DatasetInput =
  /** A folder (input webkitdirectory, or a dropped folder): files with paths relative to it. */
  | { kind: 'folder'; name: string; files: { path: string; file: Blob }[]; directories?: string[] }
  /** One file: an ImageFolder .zip or an .npz. */
  | { kind: 'file'; name: string; file: Blob; layout?: ArrayLayout }
  /** Images + labels: two .npy or two IDX files. */
  | { kind: 'pair'; images: { name: string; file: Blob }; labels: { name: string; file: Blob }; classes?: string[]; layout?: ArrayLayout }
  /** A manifest (public/data/*.json) by URL; its splits are concatenated. */
  | { kind: 'manifest'; url: string; splits?: string[] };

export interface ImportAnswer {
  key: string;
  summary: DatasetSummary;
  /** Class ids from integer labels (npz / npy / IDX), for the label mapping. */
  classIds?: number[];
  preprocessingHint?: Preprocessing;
}

export interface PrepareAnswer {
  identity: DatasetIdentity;
  warnings: string[];
  preview: PreviewTile[];
  all: Dataset;
  calibration: Dataset;
  training: Dataset;
  validation: Dataset;
}

const imported = new Map<string, ImportedDataset>();
const jobs = new JobRegistry();
let keys = 0;
/** Keys name this worker too: after a restart (a stuck cancel) an old key is refused, never taken for another dataset. */
const instance = Math.random().toString(36).slice(2, 8);

/** Browser decoding: createImageBitmap + OffscreenCanvas, with no colour management or premultiplying. */
const decodeInBrowser: ImageDecoder = async (bytes, fileName): Promise<DecodedImage> => {
  const ext = fileName.split('.').pop()!.toLowerCase();
  const type = ext === 'jpg' || ext === 'jpeg' ? 'image/jpeg' : `image/${ext}`;
  checkImageSize(imageHeaderSize(bytes), fileName); // before the browser allocates the bitmap
  const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('no 2D canvas in this worker');
    context.drawImage(bitmap, 0, 0);
    const pixels = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    return { width: bitmap.width, height: bitmap.height, channels: 4, data: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength) };
  } finally {
    bitmap.close();
  }
};

const bytesOf = async (blob: Blob) => new Uint8Array(await blob.arrayBuffer());


async function importInput(input: DatasetInput, signal: AbortSignal, onProgress?: (p: ImportProgress) => void): Promise<ImportedDataset> {
  switch (input.kind) {
    case 'folder': {
      const files: InputFile[] = [];
      for (const f of input.files) {
        const ext = f.path.split('.').pop()!.toLowerCase();
        files.push({ path: f.path, bytes: IMAGE_EXTENSIONS.includes(ext) ? await bytesOf(f.file) : new Uint8Array() });
      }
      return importImageFolder(files, decodeInBrowser, { name: input.name, directories: input.directories, signal, onProgress });
    }
    case 'file': {
      const bytes = await bytesOf(input.file);
      const format = detectFormat(input.name, bytes);
      if (format === 'zip') return importImageZip(bytes, input.name, decodeInBrowser, { signal, onProgress });
      if (format === 'npz') return importNpz(bytes, input.name, { layout: input.layout });
      throw new EdgefoldError('bad-input', `${input.name}: choose an ImageFolder .zip, an .npz, or a pair of .npy / IDX files (images and labels).`, input.name);
    }
    case 'pair': {
      const [x, y] = await Promise.all([bytesOf(input.images.file), bytesOf(input.labels.file)]);
      const options = { classes: input.classes, layout: input.layout };
      return detectFormat(input.images.name, x) === 'npy'
        ? importNpy(x, input.images.name, y, input.labels.name, options)
        : importIdx(x, input.images.name, y, input.labels.name, options);
    }
    case 'manifest': {
      const manifest = validateManifest(JSON.parse(new TextDecoder().decode(await fetchBytes(input.url))), input.url);
      const parts = [];
      for (const split of input.splits ?? Object.keys(manifest.splits)) {
        parts.push(await loadDataset(manifest, split, (rel) => fetchBytes(new URL(rel, input.url).href)));
      }
      return importLoadedDatasets(parts);
    }
  }
}

const job = <T>(jobId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> => jobs.run(jobId, work);

function stored(key: string): ImportedDataset {
  const data = imported.get(key);
  if (!data) throw new EdgefoldError('bad-input', `dataset ${key} is no longer loaded; import it again.`, 'dataset');
  return data;
}

const api = {
  /** Decodes and checks a dataset; it stays in this worker under the returned key until released. */
  importDataset(jobId: string, input: DatasetInput, onProgress?: (p: ImportProgress) => void): Promise<ImportAnswer> {
    return job(jobId, async (signal) => {
      const data = await importInput(input, signal, onProgress);
      const key = `ds-${instance}-${++keys}`;
      imported.set(key, data);
      return { key, summary: summarizeImported(data), classIds: data.classIds, preprocessingHint: data.preprocessingHint };
    });
  },

  /** The preprocessing form pre-filled from the model input and the data. */
  suggestPreprocessing(key: string, inputShape: Shape, hint?: Preprocessing): Promise<PreprocessSpec> {
    return reportingErrors(() => defaultPreprocessing(inputShape, stored(key), hint));
  },

  /** Preprocesses and splits; the datasets come back with their pixel buffers transferred. */
  prepare(
    jobId: string,
    key: string,
    spec: PreprocessSpec,
    split: SplitSpec,
    options: { inputShape?: Shape; previewCount?: number } = {},
    onProgress?: (p: { done: number; total: number }) => void,
  ): Promise<PrepareAnswer> {
    return job(jobId, async (signal) => {
      const prepared = await prepareDataset(stored(key), spec, split, { inputShape: options.inputShape, signal, onProgress });
      const preview = previewTiles(prepared.all, options.previewCount ?? 16);
      const answer: PrepareAnswer = {
        identity: prepared.identity,
        warnings: prepared.warnings,
        preview,
        all: prepared.all,
        calibration: prepared.calibration,
        training: prepared.training,
        validation: prepared.validation,
      };
      const buffers = [answer.all, answer.calibration, answer.training, answer.validation].flatMap((d) => [d.pixels.buffer, d.labels.buffer]);
      return Comlink.transfer(answer, [...new Set([...buffers, ...preview.map((t) => t.rgba.buffer)])] as Transferable[]);
    });
  },

  release(key: string): void {
    imported.delete(key);
  },

  cancel(jobId: string): void {
    jobs.cancel(jobId);
  },
};

export type DatasetWorkerApi = typeof api;

if (!self.name?.startsWith('em-pthread')) Comlink.expose(api);
