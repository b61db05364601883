/**
 * The one key a measured accuracy belongs to (issue 15 §6): the model, the design's compression,
 * its recovery recipe (and the retrain seed inside it), the evaluation data, the image count and
 * the engine that ran it. The explorer's measurement cache, its current measurement, recovery,
 * retraining, the recovered-model store, and the sweep result caches (IndexedDB in the browser,
 * the CLI's cache directory, the job queue's Redis results: src/core/sensitivity/cache.ts) all key
 * results with this function, so a result is reused exactly when every input that could change it
 * is the same.
 */
import type { CompressionConfig } from '../config/compression.ts';
import { canonicalJson, sha256Hex } from '../data/sha256.ts';
import type { RetrainRecipe } from './design.ts';

/** The browser's evaluation engine (workers/ort-web.ts): onnxruntime-web's wasm backend. */
export const WEB_ENGINE = 'onnxruntime-web@1.30/wasm';

export interface MeasurementSubject {
  /** sha256 of the model bytes. */
  model: string;
  compression: CompressionConfig;
  /**
   * A sensitivity sweep point by its model key (src/core/sensitivity/plan.ts: the group or layer,
   * the ratio or bits, the scheme): the sweep names its models this way instead of by a full
   * config (with `compression` then `{ version: 1 }`).
   */
  point?: string;
  /** Reconstruction on or off, and the retrain recipe (with its seed) when the measurement is of a retrained model. */
  recovery: { reconstruct: boolean; retrain: RetrainRecipe | null };
  /** Identity of the evaluation data ("bundled" or the imported dataset's id with its label mapping). */
  data: string;
  /** Images evaluated (a prefix of the evaluation split). */
  images: number;
  engine: string;
}

/** Version of the key's layout: bump when a field changes meaning so old cache entries are never read. */
const KEY_VERSION = 1;

/** A short, stable key: `m1:` and the sha256 of the subject as canonical JSON (undefined fields dropped). */
export function measurementKey(subject: MeasurementSubject): string {
  return `m${KEY_VERSION}:${sha256Hex(canonicalJson(subject))}`;
}
