/**
 * Imported datasets held by key between import and release: what the dataset worker keeps (the
 * browser) and the session's in-process workers keep (tests, the CLI). Decoding images is the
 * caller's (createImageBitmap in the worker, pngjs / jpeg-js in Node); fetching a manifest too.
 */
import { EdgefoldError } from '../errors.ts';
import { importIdx, importLoadedDatasets, importNpy, importNpz, type ArrayLayout } from './arrays.ts';
import { detectFormat } from './detect.ts';
import { importImageFolder, importImageZip, IMAGE_EXTENSIONS, type InputFile } from './image-folder.ts';
import { prepareDataset, previewTiles, type DatasetIdentity, type PreviewTile } from './prepare.ts';
import { defaultPreprocessing, type PreprocessSpec } from './preprocess.ts';
import { summarizeImported } from './source.ts';
import type { SplitSpec } from './split.ts';
import type { DatasetSummary, ImageDecoder, ImportedDataset, ImportProgress } from './types.ts';
import { loadDataset, validateManifest, type Dataset, type Preprocessing } from '../eval/dataset.ts';
import type { Shape } from '../graph/layer.ts';

/** What the user picked, as the page hands it over (File objects are read by the holder, off the main thread). */
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

export interface HolderOptions {
  decode: ImageDecoder;
  fetchBytes: (url: string) => Promise<Uint8Array>;
}

const bytesOf = async (blob: Blob) => new Uint8Array(await blob.arrayBuffer());

export class HeldDatasets {
  private readonly held = new Map<string, ImportedDataset>();
  private keys = 0;
  /** Keys name this holder too: after a restart (a stuck cancel) an old key is refused, never taken for another dataset. */
  private readonly instance = Math.random().toString(36).slice(2, 8);

  constructor(private readonly options: HolderOptions) {}

  /** Decodes and checks a dataset; it stays here under the returned key until released. */
  async import(input: DatasetInput, signal?: AbortSignal, onProgress?: (p: ImportProgress) => void): Promise<ImportAnswer> {
    const data = await this.decode(input, signal, onProgress);
    const key = `ds-${this.instance}-${++this.keys}`;
    this.held.set(key, data);
    return { key, summary: summarizeImported(data), classIds: data.classIds, preprocessingHint: data.preprocessingHint };
  }

  /** The preprocessing form pre-filled from the model input and the data. */
  suggest(key: string, inputShape: Shape, hint?: Preprocessing): PreprocessSpec {
    return defaultPreprocessing(inputShape, this.stored(key), hint);
  }

  /** Preprocesses and splits, with a preview. */
  async prepare(
    key: string,
    spec: PreprocessSpec,
    split: SplitSpec,
    options: { inputShape?: Shape; previewCount?: number; signal?: AbortSignal; onProgress?: (p: { done: number; total: number }) => void } = {},
  ): Promise<PrepareAnswer> {
    const prepared = await prepareDataset(this.stored(key), spec, split, { inputShape: options.inputShape, signal: options.signal, onProgress: options.onProgress });
    return {
      identity: prepared.identity,
      warnings: prepared.warnings,
      preview: previewTiles(prepared.all, options.previewCount ?? 16),
      all: prepared.all,
      calibration: prepared.calibration,
      training: prepared.training,
      validation: prepared.validation,
    };
  }

  release(key: string): void {
    this.held.delete(key);
  }

  private stored(key: string): ImportedDataset {
    const data = this.held.get(key);
    if (!data) throw new EdgefoldError('bad-input', `dataset ${key} is no longer loaded; import it again.`, 'dataset');
    return data;
  }

  private async decode(input: DatasetInput, signal?: AbortSignal, onProgress?: (p: ImportProgress) => void): Promise<ImportedDataset> {
    const { decode, fetchBytes } = this.options;
    switch (input.kind) {
      case 'folder': {
        const files: InputFile[] = [];
        for (const f of input.files) {
          const ext = f.path.split('.').pop()!.toLowerCase();
          files.push({ path: f.path, bytes: IMAGE_EXTENSIONS.includes(ext) ? await bytesOf(f.file) : new Uint8Array() });
        }
        return importImageFolder(files, decode, { name: input.name, directories: input.directories, signal, onProgress });
      }
      case 'file': {
        const bytes = await bytesOf(input.file);
        const format = detectFormat(input.name, bytes);
        if (format === 'zip') return importImageZip(bytes, input.name, decode, { signal, onProgress });
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
}
