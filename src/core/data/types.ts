import type { Preprocessing } from '../eval/dataset.ts';

/** One decoded image: interleaved channels (HWC), 1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA. */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array;
}

/**
 * Turns PNG/JPEG bytes into pixels. Injected, so the browser worker uses createImageBitmap +
 * OffscreenCanvas and Node uses pngjs / jpeg-js (src/core/data/node-decoder.ts).
 */
export type ImageDecoder = (bytes: Uint8Array, fileName: string) => Promise<DecodedImage> | DecodedImage;

/** Source images before preprocessing: one HWC block when all share a size, else a list. */
export type SourceImages =
  | { kind: 'uniform'; count: number; width: number; height: number; channels: 1 | 2 | 3 | 4; data: Uint8Array }
  | { kind: 'list'; items: DecodedImage[] };

export type DatasetFormat = 'image-folder' | 'npz' | 'npy' | 'idx' | 'manifest';

/**
 * Pixel units of the source: value = lo + pixel * step. uint8 images have lo 0, step 1; float
 * arrays are stored as 8-bit codes over their range (quantizationError says how much that cost).
 */
export interface ValueRange {
  lo: number;
  step: number;
  /** Largest |value - (lo + code * step)| over the data; 0 for integer sources. */
  quantizationError: number;
  /** 'pixels': integers 0..255; 'unit': floats within [0, 1]; 'other': any other float range. */
  kind: 'pixels' | 'unit' | 'other';
}

/** A dataset as imported, before preprocessing and splitting. Everything the UI needs to show it. */
export interface ImportedDataset {
  name: string;
  format: DatasetFormat;
  count: number;
  /** Class names; labels index this list. */
  classes: string[];
  /** The label values found in the source for each class, when the source had integer labels. */
  classIds?: number[];
  /** Class index per image, 0..classes.length-1. */
  labels: Int32Array;
  images: SourceImages;
  /** Where image i came from, for messages: a file path, or "x[i]". */
  origins?: string[];
  values: ValueRange;
  /** sha256 of the decoded pixels, labels and class names (not of the file bytes). */
  contentSha256: string;
  /** Preprocessing shipped with the source (a manifest's), used to pre-fill the form. */
  preprocessingHint?: Preprocessing;
  warnings: string[];
}

/** Counts and sizes for the UI, without the pixels. */
export interface DatasetSummary {
  name: string;
  format: DatasetFormat;
  count: number;
  classes: string[];
  perClass: number[];
  /** Distinct image sizes, most common first. */
  sizes: { width: number; height: number; channels: number; count: number }[];
  /** Whether every image has R = G = B (gray content stored as RGB counts as gray). */
  grayscale: boolean;
  values: ValueRange;
  contentSha256: string;
  warnings: string[];
}

export interface ImportProgress {
  done: number;
  total: number;
  /** The file being decoded, if any. */
  file?: string;
}

export interface ImportOptions {
  /** Shown in messages and the dataset identity; defaults to the file or folder name. */
  name?: string;
  signal?: AbortSignal;
  onProgress?: (progress: ImportProgress) => void;
}
