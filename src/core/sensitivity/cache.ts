/**
 * Sweep result cache: one entry per evaluated model, keyed by the one measurement key (model hash,
 * the point's model key, data hash, image count, engine). Only metrics of models evaluated on every image are ever stored. The
 * store is pluggable: memory here, IndexedDB in the browser (src/workers-client/sweep.ts), a
 * directory in the CLI.
 */
import { measurementKey } from '../design/measurement-key.ts';
import { shortHash } from './hash.ts';
import type { PointMetrics } from './types.ts';

export interface SweepCache {
  get(key: string): Promise<PointMetrics | undefined>;
  set(key: string, value: PointMetrics): Promise<void>;
}

export class MemoryCache implements SweepCache {
  readonly entries = new Map<string, PointMetrics>();
  async get(key: string): Promise<PointMetrics | undefined> {
    const v = this.entries.get(key);
    return v ? structuredClone(v) : undefined;
  }
  async set(key: string, value: PointMetrics): Promise<void> {
    this.entries.set(key, structuredClone(value));
  }
}

export interface CacheScope {
  modelHash: string;
  dataHash: string;
  /** 'wasm' or 'native': the engines may differ in the last bits. */
  engine: string;
  batchSize: number;
}

/**
 * The point's key: the one measurement key (src/core/design/measurement-key.ts) of the sweep's
 * model, data (hash of the images used), image count and engine (with the batch size: the engines
 * may differ in the last bits between batch sizes).
 */
export const cacheKey = (scope: CacheScope, modelKey: string, images: number): string =>
  measurementKey({
    model: scope.modelHash,
    compression: { version: 1 },
    point: modelKey,
    recovery: { reconstruct: false, retrain: null },
    data: scope.dataHash,
    images,
    engine: `${scope.engine}|b${scope.batchSize}`,
  });

/** A key usable as a file name (the CLI's cache directory). */
export function cacheFileName(key: string): string {
  return `${shortHash(key)}.json`;
}

/** Checks a cached value (a file may be hand-edited or truncated). */
export function isPointMetrics(v: unknown): v is PointMetrics {
  const m = v as PointMetrics;
  return (
    !!m &&
    typeof m === 'object' &&
    [m.top1, m.top5, m.loss, m.n].every((x) => typeof x === 'number' && Number.isFinite(x)) &&
    Array.isArray(m.ci95) &&
    m.ci95.length === 2
  );
}
