import { describe, expect, it } from 'vitest';
import { sweepForModel, sweepProvenance } from './format.ts';
import type { SweepResult } from './types.ts';

const sweep = (hosts?: string[]) =>
  ({
    model: { name: 'dscnn', hash: 'ab'.repeat(32), params: 1, macs: 1 },
    data: { name: 'Fashion-MNIST', split: 'test', n: 10000, hash: 'x', classes: 10 },
    engine: 'native',
    stats: { seconds: 1, evaluated: 1, cached: 0, skipped: 0, workers: 2, ...(hosts ? { hosts } : {}) },
  }) as unknown as SweepResult;

describe('a sweep read from a file', () => {
  it('applies only to the model whose sha256 it names', () => {
    const same = sweep();
    expect(sweepForModel(same, 'ab'.repeat(32))).toBe(same);
    expect(() => sweepForModel(sweep(), 'cd'.repeat(32), 'run.json')).toThrow(/run.json was measured on model "dscnn" \(sha256 abababababab…\), not on the open model \(sha256 cdcdcdcdcdcd…\)/);
  });

  it('says where its numbers come from', () => {
    expect(sweepProvenance(sweep(['a', 'b', 'c']))).toBe('measured on 3 hosts (job queue), engine native, 10,000 images');
    expect(sweepProvenance(sweep(['a']))).toBe('measured on 1 host (job queue), engine native, 10,000 images');
    expect(sweepProvenance(sweep())).toBe('measured on this machine, engine native, 10,000 images');
  });
});
