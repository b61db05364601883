import { describe, expect, it } from 'vitest';
import { combineTop1 } from './predictor.ts';

describe('combineTop1 (how single-layer results add up)', () => {
  it('gives the baseline for no layers and a layer its own top-1', () => {
    expect(combineTop1(0.94, [], 10)).toBe(0.94);
    for (const s of [0.93, 0.9, 0.5, 0.15, 0.95]) expect(combineTop1(0.94, [s], 10)).toBeCloseTo(s, 12);
  });

  it('adds small drops almost linearly and compounds large ones, never below chance', () => {
    // Two half-point drops cost about one point.
    expect(0.94 - combineTop1(0.94, [0.935, 0.935], 10)).toBeCloseTo(0.0104, 3);
    // Two 4-point drops from 94 %: log-odds of (a - 0.1) / 0.9 go from ln 14 to ln 8 each, so 2 ln 8 - ln 14 together.
    const z = 2 * Math.log(8) - Math.log(14);
    expect(combineTop1(0.94, [0.9, 0.9], 10)).toBeCloseTo(0.1 + 0.9 / (1 + Math.exp(-z)), 12);
    expect(combineTop1(0.94, [0.9, 0.9], 10)).toBeLessThan(0.94 - 0.08);
    // Ten layers at 50 %: close to chance, not below it.
    const many = combineTop1(0.94, Array(10).fill(0.5), 10);
    expect(many).toBeGreaterThanOrEqual(0.1);
    expect(many).toBeLessThan(0.11);
    // Monotone: a worse layer never makes the whole better.
    expect(combineTop1(0.94, [0.9, 0.8], 10)).toBeLessThan(combineTop1(0.94, [0.9, 0.85], 10));
  });

  it('falls back to summing drops when the baseline is not above chance', () => {
    expect(combineTop1(0.1, [0.09, 0.08], 10)).toBeCloseTo(0.07, 12);
    expect(combineTop1(0.05, [0.04], 10)).toBeCloseTo(0.04, 12);
  });
});
