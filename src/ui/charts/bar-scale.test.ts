import { describe, expect, it } from 'vitest';
import { niceTicks, shortNumber } from './bar-scale.ts';

describe('niceTicks', () => {
  it('covers the maximum in steps of 1, 2 or 5 times a power of ten', () => {
    expect(niceTicks(100)).toEqual([0, 50, 100]);
    expect(niceTicks(37_000)).toEqual([0, 10_000, 20_000, 30_000, 40_000]);
    expect(niceTicks(0.7)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
  });
  it('gives a usable axis for an empty or broken maximum', () => {
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(Number.NaN)).toEqual([0, 1]);
  });
});

describe('shortNumber', () => {
  it('shortens thousands and millions', () => {
    expect(shortNumber(12_000)).toBe('12k');
    expect(shortNumber(1_500_000)).toBe('1.5M');
    expect(shortNumber(40)).toBe('40');
    expect(shortNumber(0.30000000000000004)).toBe('0.3');
  });
});
