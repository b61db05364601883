import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../data/random.ts';
import { cholesky, choleskySolve, RidgeAccumulator } from './ridge.ts';

const f32 = (xs: number[]) => Float32Array.from(xs);

describe('ridge least squares', () => {
  it('factors a 2x2 matrix by hand: [[4, 2], [2, 3]] = L Lᵀ with L = [[2, 0], [1, √2]]', () => {
    const l = cholesky(Float64Array.from([4, 2, 2, 3]), 2);
    expect(Array.from(l)).toEqual([2, 0, 1, Math.SQRT2].map((v, i) => (i === 3 ? expect.closeTo(v, 15) : v)));
    // solve [[4, 2], [2, 3]] x = [2, 1]: x = [0.5, 0]
    expect(Array.from(choleskySolve(l, 2, Float64Array.from([2, 1]), 1)).map((v) => +v.toFixed(12))).toEqual([0.5, 0]);
    expect(() => cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
  });

  it('solves a hand-worked regression: x = 1, 2, 3; y = 2, 4, 7', () => {
    const acc = new RidgeAccumulator(1, 1);
    acc.add([f32([1, 2, 3])], [f32([2, 4, 7])], 3);
    // ordinary least squares: slope Sxy / Sxx = 5 / 2, intercept 13/3 - 2 * 2.5 = -2/3
    const ols = acc.solve(0);
    expect(ols.theta[0]).toBeCloseTo(2.5, 12);
    expect(ols.theta[1]).toBeCloseTo(-2 / 3, 12);
    // residual Syy - Sxy² / Sxx = 38/3 - 25/2 = 1/6; predicting the mean leaves Syy = 38/3
    expect(acc.residual(ols.theta)).toBeCloseTo(1 / 6, 10);
    expect(acc.totalVariation()).toBeCloseTo(38 / 3, 10);
    // ridge 1/14 of mean diag(XᵀX) = 14 gives λ = 1: [[15, 6], [6, 3]] θ = [31, 13] → θ = [5/3, 1]
    const ridge = acc.solve(1 / 14);
    expect(ridge.lambda).toBeCloseTo(1, 12);
    expect(ridge.theta[0]).toBeCloseTo(5 / 3, 12);
    expect(ridge.theta[1]).toBeCloseTo(1, 12);
    // the best intercept for the fixed slope 2: 13/3 - 2 * 2 = 1/3
    expect(acc.interceptFor([2])[0]).toBeCloseTo(1 / 3, 12);
  });

  it('recovers an exact multi-output linear map, however the samples are batched', () => {
    const random = mulberry32(3);
    const n = 7;
    const m = 5;
    const samples = 300;
    const w = Array.from({ length: n * m }, () => random() * 2 - 1);
    const b = Array.from({ length: m }, () => random() - 0.5);
    const xs = Array.from({ length: n }, () => new Float32Array(samples));
    const ys = Array.from({ length: m }, () => new Float32Array(samples));
    for (let p = 0; p < samples; p++) {
      for (let i = 0; i < n; i++) xs[i][p] = random() < 0.3 ? 0 : random() * 3; // ReLU-like: many zeros
      for (let k = 0; k < m; k++) {
        let y = b[k];
        for (let i = 0; i < n; i++) y += Math.fround(xs[i][p]) * w[i * m + k];
        ys[k][p] = y;
      }
    }
    const whole = new RidgeAccumulator(n, m);
    whole.add(xs, ys, samples);
    const batched = new RidgeAccumulator(n, m);
    for (let start = 0; start < samples; start += 64) {
      const count = Math.min(64, samples - start);
      batched.add(xs.map((x) => x.slice(start, start + count)), ys.map((y) => y.slice(start, start + count)), count);
    }
    for (let i = 0; i < whole.gram.length; i++) expect(batched.gram[i]).toBeCloseTo(whole.gram[i], 6);
    const { theta } = batched.solve(1e-12);
    for (let i = 0; i < n; i++) for (let k = 0; k < m; k++) expect(theta[i * m + k]).toBeCloseTo(w[i * m + k], 4);
    for (let k = 0; k < m; k++) expect(theta[n * m + k]).toBeCloseTo(b[k], 4);
    expect(batched.residual(theta) / batched.totalVariation()).toBeLessThan(1e-8);
  });

  it('without an intercept fits through the origin', () => {
    const acc = new RidgeAccumulator(1, 1, false);
    acc.add([f32([1, 2, 3])], [f32([2, 4, 7])], 3);
    // Σxy / Σx² = 31 / 14
    expect(acc.solve(0).theta[0]).toBeCloseTo(31 / 14, 12);
    expect(() => acc.inputMeans()).toThrow(/intercept/);
  });
});
