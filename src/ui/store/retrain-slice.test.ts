import { describe, expect, it } from 'vitest';
import { DEFAULT_RECOVERY, defaultDesign, type Design } from '../../core/design/design.ts';
import { recoveryLabel, stepRecords } from './retrain-slice.ts';
import { Session } from '../../app/session.ts';
import { MemoryKeyValue } from '../../app/stores.ts';
import type { MeasuredAccuracy } from './types.ts';
import type { WorkerRetrainResult } from '../../workers-client/train.ts';

// A session with no state host and no workers: only its keys and currentMeasurement are used.
const session = new Session({ getState: () => ({}) as never, setState: () => undefined, subscribe: () => () => undefined }, {
  workers: {} as never,
  measurements: new MemoryKeyValue(),
  recoveredModels: new MemoryKeyValue(),
  bundled: { manifestUrl: 'http://localhost/data/fmnist.json', evaluation: { manifestUrl: '', split: 'test' }, calibration: { manifestUrl: '', split: 'calibration' }, training: { manifestUrl: '', split: 'train' } },
});
const designKey = (state: Parameters<typeof session.keys.design>[0]) => session.keys.design(state);
const retrainKey = (state: Parameters<typeof session.keys.retrain>[0]) => session.keys.retrain(state);
const currentMeasurement = (state: Parameters<typeof session.currentMeasurement>[0]) => session.currentMeasurement(state);
const withRecipe = (change: Partial<Design['recovery'] & object>): Design => ({ ...defaultDesign(), recovery: { ...DEFAULT_RECOVERY, ...change } });
const measured = (top1: number, key: string): MeasuredAccuracy =>
  ({ top1, top5: 1, ci95: [top1 - 0.01, top1 + 0.01], n: 500, loss: 0, dataset: 'Fashion-MNIST', split: 'test', threads: 1, designKey: key }) as unknown as MeasuredAccuracy;
const idle = { status: 'idle' as const, progress: { done: 0, total: 0 } };
const bundled = { imported: null, job: { status: 'idle' as const, phase: null, progress: { done: 0, total: 0 } }, source: 'bundled' as const, mappingOverride: null, bundled: null };
const model = { sha256: 'a'.repeat(64) } as never;
const scope = (design: Design, evalLimit: number, other?: { model?: string; dataset?: unknown }) => ({
  model: other?.model ? ({ sha256: other.model } as never) : model,
  dataset: (other?.dataset ?? bundled) as never,
  design,
  evalLimit,
});

describe('recovery as part of the design', () => {
  it('the measurement key changes with reconstruction; the retrain key with every training setting and the data', () => {
    const base = withRecipe({});
    expect(designKey(scope(withRecipe({ reconstruct: true }), 500))).not.toBe(designKey(scope(base, 500)));
    const key = retrainKey(scope(base, 500));
    for (const change of [{ epochs: 4 }, { lr: 1e-3 }, { batchSize: 64 }, { kd: null }, { qat: false }, { seed: 2 }, { trainImages: 500 }]) {
      expect(retrainKey(scope(withRecipe({ retrain: { ...DEFAULT_RECOVERY.retrain, ...change } }), 500))).not.toBe(key);
    }
    expect(retrainKey(scope(base, 500, { model: 'b'.repeat(64) }))).not.toBe(key);
    expect(retrainKey(scope(base, 1000))).not.toBe(key);
  });

  it('shows a retrain only for the design and recipe it ran on, else the design\'s own measurement', () => {
    const design = withRecipe({ reconstruct: true });
    const own = measured(0.8, designKey(scope(design, 500)));
    const retrained = measured(0.9, retrainKey(scope(design, 500)));
    const state = { ...scope(design, 500), measured: { ...idle, status: 'done' as const, result: own }, retrain: { ...idle, phase: null, secondsLeft: null, curve: [], result: retrained } };
    expect(currentMeasurement(state)?.top1).toBe(0.9);
    expect(currentMeasurement({ ...state, model: { sha256: 'c'.repeat(64) } as never })).toBeNull(); // another model: neither applies
    const edited = { ...state, design: withRecipe({ reconstruct: true, retrain: { ...DEFAULT_RECOVERY.retrain, epochs: 1 } }) };
    expect(currentMeasurement(edited)?.top1).toBe(0.8); // same measured design, another recipe: the retrain is stale
    expect(currentMeasurement({ ...state, design: defaultDesign(), retrain: { ...state.retrain, result: undefined } })).toBeNull();
  });

  it('records each step with its data, recipe and the accuracy before and after', () => {
    const acc = (top1: number) => ({ top1, top5: 1, ci95: [top1 - 0.01, top1 + 0.01] as [number, number], n: 500, loss: 0, dataset: 'Fashion-MNIST', split: 'test' });
    const result = {
      accuracy: { compressed: acc(0.3), before: acc(0.8), after: acc(0.88) },
      reconstruction: { images: 1000, layers: [{ layer: 'a', op: 'Conv', inputs: 8, floatInputs: 16, outputs: 4, applied: true }, { layer: 'b', op: 'Conv', inputs: 8, floatInputs: 8, outputs: 4, applied: false, reason: 'inputs not pruned' }] },
      epochs: [{ epoch: 1, loss: 0.5, accuracy: 0.8, seconds: 3 }],
      options: { epochs: 1, lr: 3e-3, batchSize: 128, optimizer: 'adamw', weightDecay: 1e-4, kd: { weight: 0.7, temperature: 4 }, augment: { pad: 2, flip: true }, seed: 7, qat: true },
      data: { train: { dataset: 'Fashion-MNIST', split: 'train', images: 500 }, calibration: { dataset: 'Fashion-MNIST', split: 'calibration', images: 1000 } },
    } as unknown as WorkerRetrainResult;
    const records = stepRecords(result, true);
    expect(records.map((r) => r.step)).toEqual(['reconstruct', 'qat']);
    expect(records[0]).toMatchObject({ layersReconstructed: 1, layersSkipped: [{ layer: 'b', reason: 'inputs not pruned' }], data: { split: 'calibration', images: 1000 } });
    expect([records[0].accuracyBefore?.top1, records[0].accuracyAfter?.top1, records[1].accuracyBefore?.top1, records[1].accuracyAfter?.top1]).toEqual([0.3, 0.8, 0.8, 0.88]);
    expect(records[1]).toMatchObject({ recipe: { epochs: 1, seed: 7, qat: true }, data: { split: 'train', images: 500 } });
    expect(recoveryLabel({ ...measured(0.88, 'k'), recovery: records })).toBe('reconstruction + 1 epoch QAT with KD');
    expect(stepRecords(result, false).map((r) => r.step)).toEqual(['qat']);
  });
});
