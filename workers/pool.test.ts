/**
 * The Node sweep pool over WorkerBridge: a thread terminated for being idle comes back with its
 * model and data reloaded, and its numbers are those of an in-process sweep.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, defaultModelMissing } from '../test/fixtures.ts';
import { readDataset } from '../src/cli/io.ts';
import { EdgefoldError } from '../src/core/errors.ts';
import { prepareSweep, runSweepLocal } from '../src/core/sensitivity/run.ts';
import { executeSweep } from '../src/core/sensitivity/schedule.ts';
import type { SweepRequest } from '../src/core/sensitivity/types.ts';
import { NodeSweepPool } from './pool.ts';

ort.env.wasm.numThreads = 1;

const request: SweepRequest = { prune: { ratios: [0, 0.5], groups: ['/blocks/blocks.4/pw/conv/Conv'] }, limit: 40, batchSize: 20 };

describe.skipIf(defaultModelMissing)('NodeSweepPool (worker threads through WorkerBridge)', () => {
  it('reloads the model into a thread that was terminated for being idle, with unchanged numbers', async () => {
    const modelBytes = new Uint8Array(readFileSync(DEFAULT_MODEL));
    const data = await readDataset();
    const prepared = await prepareSweep(modelBytes, data, request, 'wasm');
    const pool = await NodeSweepPool.start(1, 'wasm', { modelBytes, modelKey: prepared.modelHash, data }, { idleMs: 300 });
    try {
      expect(pool.started).toBe(1);
      // Idle for longer than idleMs: the thread goes away.
      for (let i = 0; i < 100 && pool.alive; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(pool.alive).toBe(0);
      const result = await executeSweep(prepared.plan, pool.executors({ settings: prepared.plan.settings, limit: prepared.images }), {
        scope: prepared.scope,
        images: prepared.images,
        model: { name: 'model' },
        data: { name: data.name, split: data.split, classes: data.classes.length },
      });
      expect(pool.started).toBe(2);
      const local = await runSweepLocal(ort, modelBytes, data, request);
      expect(result.points.map((p) => p.metrics)).toEqual(local.points.map((p) => p.metrics));
      expect(result.points.length).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('a model a thread cannot load fails that load with its code; the thread keeps serving', async () => {
    const pool = await NodeSweepPool.start(1, 'wasm');
    try {
      const data = await readDataset();
      const error = await pool.load(0, { modelBytes: new Uint8Array([1, 2, 3]), modelKey: 'junk', data }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(EdgefoldError);
      expect((error as EdgefoldError).code).toBe('bad-input');
      await pool.load(0, { modelBytes: new Uint8Array(readFileSync(DEFAULT_MODEL)), modelKey: 'good', data });
      expect(pool.started).toBe(1);
    } finally {
      await pool.close();
    }
  });
});
