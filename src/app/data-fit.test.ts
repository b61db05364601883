import { describe, expect, it } from 'vitest';
import { activationControl, dataMismatch } from './data-fit.ts';

const state = (shape: (number | null)[], source: 'bundled' | 'imported' = 'bundled') =>
  ({
    model: { loaded: { summary: { inputs: [{ name: 'x', shape }] } } },
    dataset: { source, imported: source === 'imported' ? {} : null, bundled: null },
  }) as never;

describe('dataMismatch', () => {
  it('accepts the bundled images for a 1x28x28 model in either layout', () => {
    expect(dataMismatch(state([1, 1, 28, 28]))).toBeNull();
    expect(dataMismatch(state([null, 28, 28, 1]))).toBeNull();
  });

  it('names the input a keyword-spotting or face model needs', () => {
    const kws = dataMismatch(state([1, 49, 10, 1]))!;
    expect(kws.modelInput).toBe('[1, 49, 10, 1]');
    expect(kws.needs).toBe('49×10 inputs with 1 channel');
    expect(kws.message).toMatch(/bundled Fashion-MNIST images are 1×28×28/);
    expect(dataMismatch(state([1, 3, 240, 320]))!.needs).toBe('240×320 inputs with 3 channels');
  });

  it('leaves imported data to its own preprocessing', () => {
    expect(dataMismatch(state([1, 49, 10, 1], 'imported'))).toBeNull();
  });
});

describe('activationControl', () => {
  it('offers model-wide activation bits only once data of the model\'s input exists', () => {
    const without = activationControl(state([1, 49, 10, 1]));
    expect(without.canQuantize).toBe(false);
    expect(without.reason).toMatch(/\[1, 49, 10, 1\].*49×10 inputs with 1 channel/);
    expect(activationControl(state([1, 49, 10, 1], 'imported'))).toEqual({ canQuantize: true, reason: null });
    expect(activationControl(state([1, 1, 28, 28]))).toEqual({ canQuantize: true, reason: null });
  });
});
