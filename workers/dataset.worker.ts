import * as Comlink from 'comlink';
import { JobRegistry, reportingErrors } from './jobs.ts';
import { fetchBytes } from '../src/core/eval/remote-dataset.ts';
import { HeldDatasets, type DatasetInput, type ImportAnswer, type PrepareAnswer } from '../src/core/data/held.ts';
import { checkImageSize, imageHeaderSize } from '../src/core/data/image-header.ts';
import type { PreprocessSpec } from '../src/core/data/preprocess.ts';
import type { SplitSpec } from '../src/core/data/split.ts';
import type { DecodedImage, ImageDecoder, ImportProgress } from '../src/core/data/types.ts';
import type { Preprocessing } from '../src/core/eval/dataset.ts';
import type { Shape } from '../src/core/graph/layer.ts';

export type { DatasetInput, ImportAnswer, PrepareAnswer };

const jobs = new JobRegistry();

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

const held = new HeldDatasets({ decode: decodeInBrowser, fetchBytes });

const job = <T>(jobId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> => jobs.run(jobId, work);

const api = {
  /** Decodes and checks a dataset; it stays in this worker under the returned key until released. */
  importDataset(jobId: string, input: DatasetInput, onProgress?: (p: ImportProgress) => void): Promise<ImportAnswer> {
    return job(jobId, (signal) => held.import(input, signal, onProgress));
  },

  /** The preprocessing form pre-filled from the model input and the data. */
  suggestPreprocessing(key: string, inputShape: Shape, hint?: Preprocessing): Promise<PreprocessSpec> {
    return reportingErrors(() => held.suggest(key, inputShape, hint));
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
      const answer = await held.prepare(key, spec, split, { ...options, signal, onProgress });
      const buffers = [answer.all, answer.calibration, answer.training, answer.validation].flatMap((d) => [d.pixels.buffer, d.labels.buffer]);
      return Comlink.transfer(answer, [...new Set([...buffers, ...answer.preview.map((t) => t.rgba.buffer)])] as Transferable[]);
    });
  },

  release(key: string): void {
    held.release(key);
  },
  cancel(jobId: string): void {
    jobs.cancel(jobId);
  },
};

export type DatasetWorkerApi = typeof api;

if (!self.name?.startsWith('em-pthread')) Comlink.expose(api);
