import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRAIN_RECIPE } from './design.ts';
import { measurementKey, WEB_ENGINE, type MeasurementSubject } from './measurement-key.ts';

const subject: MeasurementSubject = {
  model: 'a'.repeat(64),
  compression: { version: 1, prune: { criterion: 'l1', ratio: 0.25, roundTo: 8 }, quant: { weightBits: 6, activationBits: 8 } },
  recovery: { reconstruct: false, retrain: null },
  data: 'bundled',
  images: 1000,
  engine: WEB_ENGINE,
};

describe('measurementKey', () => {
  it('is the same for the same subject whatever the key order', () => {
    const reordered: MeasurementSubject = { engine: WEB_ENGINE, images: 1000, data: 'bundled', recovery: { retrain: null, reconstruct: false }, compression: { quant: { activationBits: 8, weightBits: 6 }, prune: { roundTo: 8, ratio: 0.25, criterion: 'l1' }, version: 1 }, model: 'a'.repeat(64) };
    expect(measurementKey(reordered)).toBe(measurementKey(subject));
    expect(measurementKey(subject)).toMatch(/^m1:[0-9a-f]{64}$/);
  });

  it('changes with every input a measurement depends on', () => {
    const base = measurementKey(subject);
    const variants: MeasurementSubject[] = [
      { ...subject, model: 'b'.repeat(64) },
      { ...subject, compression: { ...subject.compression, prune: { criterion: 'l1', ratio: 0.3, roundTo: 8 } } },
      { ...subject, recovery: { reconstruct: true, retrain: null } },
      { ...subject, recovery: { reconstruct: false, retrain: DEFAULT_RETRAIN_RECIPE } },
      { ...subject, recovery: { reconstruct: false, retrain: { ...DEFAULT_RETRAIN_RECIPE, seed: 2 } } },
      { ...subject, data: 'imported:abc' },
      { ...subject, images: 500 },
      { ...subject, engine: 'onnxruntime-node@1.30/cpu' },
    ];
    const keys = variants.map(measurementKey);
    expect(new Set([base, ...keys]).size).toBe(variants.length + 1);
  });
});
