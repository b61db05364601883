/**
 * Ridge least squares for layer-wise reconstruction: min ||X W + 1 b - Y||² + λ ||W||² with the
 * intercept b not penalised. X is a stream of samples (pixels of calibration images) with n input
 * channels, Y has m output channels. Only the normal equations are kept: the Gram matrix
 * [X 1]ᵀ[X 1] ((n+1)², float64), [X 1]ᵀ Y ((n+1) x m) and Σ y² per output, so memory does not
 * grow with the data. Solved by Cholesky. Small by design: n is at most a few hundred.
 */
import { EdgefoldError } from '../errors.ts';

/** Cholesky factor L (lower, row-major n x n) of a symmetric positive definite A; throws if A is not. */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
    if (!(d > 0)) throw new EdgefoldError('internal', `the normal equations are not positive definite (pivot ${j} is ${d}).`);
    const root = Math.sqrt(d);
    l[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / root;
    }
  }
  return l;
}

/** Solves L Lᵀ X = B for X (n x m, row-major), B overwritten by X. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      let s = b[i * m + c];
      for (let k = 0; k < i; k++) s -= l[i * n + k] * b[k * m + c];
      b[i * m + c] = s / l[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = b[i * m + c];
      for (let k = i + 1; k < n; k++) s -= l[k * n + i] * b[k * m + c];
      b[i * m + c] = s / l[i * n + i];
    }
  }
  return b;
}

export interface RidgeSolution {
  /** (n + 1) x m row-major when there is an intercept (its row last), else n x m: y ≈ Σ_i x_i W[i][k] + b[k]. */
  theta: Float64Array;
  /** The absolute λ used: ridge x mean of diag(XᵀX). */
  lambda: number;
}

/**
 * out[offset + j] += Σ_p a[p] rows[j][p] for j >= start, four rows at a time (a is read once per
 * four products); zeros of a (after ReLU, often half) are skipped.
 */
function addDots(a: Float32Array, rows: readonly Float32Array[], start: number, count: number, out: Float64Array, offset: number): void {
  let j = start;
  for (; j + 3 < rows.length; j += 4) {
    const b0 = rows[j], b1 = rows[j + 1], b2 = rows[j + 2], b3 = rows[j + 3];
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let p = 0; p < count; p++) {
      const v = a[p];
      if (v === 0) continue;
      s0 += v * b0[p];
      s1 += v * b1[p];
      s2 += v * b2[p];
      s3 += v * b3[p];
    }
    out[offset + j] += s0;
    out[offset + j + 1] += s1;
    out[offset + j + 2] += s2;
    out[offset + j + 3] += s3;
  }
  for (; j < rows.length; j++) {
    const b = rows[j];
    let s = 0;
    for (let p = 0; p < count; p++) s += a[p] * b[p];
    out[offset + j] += s;
  }
}

/** Streams samples into the normal equations of a multi-output ridge regression. */
export class RidgeAccumulator {
  readonly inputs: number;
  readonly outputs: number;
  readonly intercept: boolean;
  /** Rows of the unknowns: inputs, plus one for the intercept. */
  readonly size: number;
  /** Upper triangle of [X 1]ᵀ[X 1], row-major size x size (the lower half is filled on solve). */
  readonly gram: Float64Array;
  /** [X 1]ᵀ Y, size x outputs. */
  readonly cross: Float64Array;
  /** Σ y² and Σ y per output. */
  readonly yy: Float64Array;
  readonly ySum: Float64Array;
  samples = 0;

  constructor(inputs: number, outputs: number, intercept = true) {
    this.inputs = inputs;
    this.outputs = outputs;
    this.intercept = intercept;
    this.size = inputs + (intercept ? 1 : 0);
    this.gram = new Float64Array(this.size * this.size);
    this.cross = new Float64Array(this.size * outputs);
    this.yy = new Float64Array(outputs);
    this.ySum = new Float64Array(outputs);
  }

  /**
   * Adds `count` samples given channel-major: xs[i][p] is input channel i of sample p, ys[k][p]
   * output k, summed in float64 in JavaScript (reconstruct.ts has onnxruntime compute the products
   * and uses addProducts; this is the reference the tests hold it to).
   */
  add(xs: readonly Float32Array[], ys: readonly Float32Array[], count: number): void {
    const { inputs: n, outputs: m, size, gram, cross } = this;
    if (xs.length !== n || ys.length !== m) throw new EdgefoldError('internal', `ridge: got ${xs.length} inputs and ${ys.length} outputs, expected ${n} and ${m}.`);
    for (let i = 0; i < n; i++) {
      addDots(xs[i], xs, i, count, gram, i * size);
      addDots(xs[i], ys, 0, count, cross, i * m);
      if (this.intercept) {
        let s = 0;
        for (let p = 0; p < count; p++) s += xs[i][p];
        gram[i * size + n] += s;
      }
    }
    for (let k = 0; k < m; k++) {
      const b = ys[k];
      let s = 0;
      let q = 0;
      for (let p = 0; p < count; p++) {
        s += b[p];
        q += b[p] * b[p];
      }
      this.ySum[k] += s;
      this.yy[k] += q;
      if (this.intercept) cross[n * m + k] += s;
    }
    if (this.intercept) gram[n * size + n] += count;
    this.samples += count;
  }

  /**
   * Adds products already summed over groups of samples (e.g. the pixels of one image, computed by
   * onnxruntime in float32), group by group in float64: xx [groups, n, n], xy [groups, n, m],
   * x [groups, n], y and yy [groups, m] (Σx, Σy, Σy² of each group); `samples` in all.
   */
  addProducts(p: { xx: Float32Array; xy: Float32Array; x: Float32Array; y: Float32Array; yy: Float32Array }, groups: number, samples: number): void {
    const { inputs: n, outputs: m, size, gram, cross } = this;
    if (p.xx.length !== groups * n * n || p.xy.length !== groups * n * m || p.x.length !== groups * n || p.y.length !== groups * m || p.yy.length !== groups * m) {
      throw new EdgefoldError('internal', `ridge: product sizes do not match ${groups} groups of ${n} inputs and ${m} outputs.`);
    }
    for (let g = 0; g < groups; g++) {
      const xx = g * n * n;
      for (let i = 0; i < n; i++) for (let j = i; j < n; j++) gram[i * size + j] += p.xx[xx + i * n + j];
      const xy = g * n * m;
      for (let r = 0; r < n * m; r++) cross[r] += p.xy[xy + r];
      for (let k = 0; k < m; k++) {
        this.ySum[k] += p.y[g * m + k];
        this.yy[k] += p.yy[g * m + k];
      }
      if (this.intercept) {
        for (let i = 0; i < n; i++) gram[i * size + n] += p.x[g * n + i];
        for (let k = 0; k < m; k++) cross[n * m + k] += p.y[g * m + k];
      }
    }
    if (this.intercept) gram[n * size + n] += samples;
    this.samples += samples;
  }

  /** The full symmetric Gram matrix. */
  private symmetric(): Float64Array {
    const { size } = this;
    const a = this.gram.slice();
    for (let i = 0; i < size; i++) for (let j = 0; j < i; j++) a[i * size + j] = a[j * size + i];
    return a;
  }

  /**
   * Solves the ridge problem with λ = ridge x mean(diag XᵀX) (scale-free); the intercept is not
   * penalised. ridge must be > 0 unless XᵀX is known to be well conditioned.
   */
  solve(ridge: number): RidgeSolution {
    const { size, inputs: n, outputs: m } = this;
    if (!this.samples) throw new EdgefoldError('internal', 'ridge: no samples.');
    const a = this.symmetric();
    let trace = 0;
    for (let i = 0; i < n; i++) trace += a[i * size + i];
    const meanDiagonal = n ? trace / n : 0;
    const lambda = ridge * (meanDiagonal > 0 ? meanDiagonal : 1);
    for (let i = 0; i < n; i++) a[i * size + i] += lambda;
    const theta = choleskySolve(cholesky(a, size), size, this.cross.slice(), m);
    return { theta, lambda };
  }

  /** Σ over samples and outputs of (y - prediction)², for any theta of the solution's shape (computed from the sums). */
  residual(theta: ArrayLike<number>): number {
    const { size, outputs: m } = this;
    const a = this.symmetric();
    let total = 0;
    for (let k = 0; k < m; k++) {
      let cross = 0;
      let quad = 0;
      for (let i = 0; i < size; i++) {
        const ti = theta[i * m + k];
        if (ti === 0) continue;
        cross += ti * this.cross[i * m + k];
        let s = 0;
        for (let j = 0; j < size; j++) s += a[i * size + j] * theta[j * m + k];
        quad += ti * s;
      }
      total += this.yy[k] - 2 * cross + quad;
    }
    return Math.max(0, total);
  }

  /** Σ over outputs of Σ (y - mean y)²: the residual of predicting every output by its mean. */
  totalVariation(): number {
    let total = 0;
    for (let k = 0; k < this.outputs; k++) total += this.yy[k] - (this.ySum[k] * this.ySum[k]) / this.samples;
    return Math.max(0, total);
  }

  /** Mean of each input over the samples (needs the intercept column). */
  inputMeans(): Float64Array {
    const { size, inputs: n } = this;
    if (!this.intercept) throw new EdgefoldError('internal', 'ridge: input means need the intercept column.');
    return Float64Array.from({ length: n }, (_, i) => this.gram[i * size + n] / this.samples);
  }

  /** The best intercept for fixed weights w (n x m row-major): mean y - Σ_i mean x_i w[i][k]. */
  interceptFor(w: ArrayLike<number>): Float64Array {
    const { inputs: n, outputs: m } = this;
    const xm = this.inputMeans();
    return Float64Array.from({ length: m }, (_, k) => {
      let s = this.ySum[k] / this.samples;
      for (let i = 0; i < n; i++) s -= xm[i] * w[i * m + k];
      return s;
    });
  }
}
