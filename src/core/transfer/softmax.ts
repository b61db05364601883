import { badInput, throwIfAborted } from '../errors.ts';
import { nextMacrotask } from '../yield.ts';
import { mulberry32, shuffleInPlace } from '../data/random.ts';

/** λ when none is given: mean CE + λ/2 |W|^2 on standardised features. */
export const DEFAULT_WEIGHT_DECAY = 1e-2;

/** A linear classifier: logits = weight · x + bias, weight [K, D] row-major. */
export interface LinearHead {
  weight: Float32Array;
  bias: Float32Array;
  classes: number;
  features: number;
}

export interface TrainProgress {
  iteration: number;
  maxIterations: number;
  /** Mean cross-entropy on the training features (without the weight-decay term). */
  trainLoss: number;
  trainAccuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** The objective minimised: mean cross-entropy + weightDecay / 2 * |W|^2. */
  objective: number;
  gradNorm: number;
}

export interface TrainOptions {
  /** λ in mean CE + λ/2 |W|^2, on standardised features (the bias is not decayed). Default 1e-2. */
  weightDecay?: number;
  /** Full-batch L-BFGS (default, deterministic, converges to the unique optimum) or mini-batch Adam. */
  optimizer?: 'lbfgs' | 'adam';
  /** L-BFGS iterations or Adam epochs. Default 500 (L-BFGS) / 100 (Adam). */
  maxIterations?: number;
  /** L-BFGS stops when the largest gradient entry falls below this. Default 1e-6. */
  tolerance?: number;
  /** Standardise each feature with the training mean / std (folded into the written head). Default true. */
  standardize?: boolean;
  /** L-BFGS memory. Default 10. */
  memory?: number;
  /** Adam only. */
  learningRate?: number;
  batchSize?: number;
  seed?: number;
  validation?: { features: Float32Array; labels: ArrayLike<number> };
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
}

export interface TrainResult {
  head: LinearHead;
  history: TrainProgress[];
  iterations: number;
  converged: boolean;
  objective: number;
  train: { loss: number; accuracy: number };
  validation?: { loss: number; accuracy: number };
  standardization: { mean: Float64Array; std: Float64Array };
}

interface Problem {
  z: Float32Array;
  labels: Int32Array;
  n: number;
  d: number;
  k: number;
  lambda: number;
}

/** Mean CE, accuracy, and (when grad is given) the gradient of the objective over rows [from, to) or a row list. */
function lossAndGrad(p: Problem, params: Float64Array, grad: Float64Array | null, rows?: Int32Array): { ce: number; accuracy: number; objective: number } {
  const { z, labels, d, k, lambda } = p;
  const wSize = k * d;
  const count = rows ? rows.length : p.n;
  const scores = new Float64Array(k);
  if (grad) grad.fill(0);
  let ce = 0;
  let correct = 0;
  for (let r = 0; r < count; r++) {
    const i = rows ? rows[r] : r;
    const off = i * d;
    let max = -Infinity;
    let best = 0;
    for (let c = 0; c < k; c++) {
      let s = params[wSize + c];
      const w = c * d;
      for (let j = 0; j < d; j++) s += params[w + j] * z[off + j];
      scores[c] = s;
      if (s > max) {
        max = s;
        best = c;
      }
    }
    const y = labels[i];
    if (best === y) correct++;
    const shiftedY = scores[y] - max;
    let sum = 0;
    for (let c = 0; c < k; c++) {
      scores[c] = Math.exp(scores[c] - max);
      sum += scores[c];
    }
    ce += Math.log(sum) - shiftedY;
    if (grad) {
      for (let c = 0; c < k; c++) {
        const g = scores[c] / sum - (c === y ? 1 : 0);
        if (g === 0) continue;
        grad[wSize + c] += g;
        const w = c * d;
        for (let j = 0; j < d; j++) grad[w + j] += g * z[off + j];
      }
    }
  }
  let reg = 0;
  for (let j = 0; j < wSize; j++) reg += params[j] * params[j];
  if (grad) {
    for (let j = 0; j < grad.length; j++) grad[j] /= count;
    for (let j = 0; j < wSize; j++) grad[j] += lambda * params[j];
  }
  ce /= count;
  return { ce, accuracy: correct / count, objective: ce + 0.5 * lambda * reg };
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

function standardise(features: Float32Array, n: number, d: number, on: boolean) {
  const mean = new Float64Array(d);
  const std = new Float64Array(d).fill(1);
  if (on && n > 0) {
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += features[i * d + j];
    for (let j = 0; j < d; j++) mean[j] /= n;
    const v = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const t = features[i * d + j] - mean[j];
        v[j] += t * t;
      }
    }
    for (let j = 0; j < d; j++) {
      const s = Math.sqrt(v[j] / n);
      std[j] = s > 1e-8 ? s : 1;
    }
  }
  const apply = (x: Float32Array) => {
    const z = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const j = i % d;
      z[i] = (x[i] - mean[j]) / std[j];
    }
    return z;
  };
  return { mean, std, apply };
}

/**
 * Softmax regression with weight decay, trained on fixed features: the head a re-fit writes into
 * the model. Deterministic (same inputs, same head). Cancelling via the signal throws a
 * 'cancelled' error and leaves nothing changed; the caller keeps its previous head.
 */
export async function trainSoftmaxRegression(
  features: Float32Array,
  labels: ArrayLike<number>,
  numClasses: number,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const k = numClasses;
  const n = labels.length;
  if (!(Number.isInteger(k) && k >= 2)) throw badInput(`a classifier needs at least two classes (got ${k}).`, 'classes');
  if (n === 0) throw badInput('the training split holds no images.', 'training');
  if (features.length % n !== 0) throw badInput(`${features.length} feature values do not divide into ${n} rows.`, 'features');
  const d = features.length / n;
  const y = Int32Array.from(labels);
  const bad = y.findIndex((l) => !(l >= 0 && l < k));
  if (bad >= 0) throw badInput(`training label ${y[bad]} at index ${bad} is out of range (${k} classes).`, 'labels');
  const lambda = options.weightDecay ?? DEFAULT_WEIGHT_DECAY;
  if (!(lambda >= 0)) throw badInput(`weight decay must be >= 0 (got ${lambda}).`, 'weightDecay');
  const optimizer = options.optimizer ?? 'lbfgs';
  const maxIterations = options.maxIterations ?? (optimizer === 'lbfgs' ? 500 : 100);
  const tolerance = options.tolerance ?? 1e-6;

  const norm = standardise(features, n, d, options.standardize ?? true);
  const problem: Problem = { z: norm.apply(features), labels: y, n, d, k, lambda };
  const val = options.validation && options.validation.labels.length > 0
    ? { ...problem, z: norm.apply(options.validation.features), labels: Int32Array.from(options.validation.labels), n: options.validation.labels.length }
    : undefined;

  const size = k * d + k;
  let params = new Float64Array(size);
  let grad = new Float64Array(size);
  const history: TrainProgress[] = [];
  const report = (iteration: number, stats: { ce: number; accuracy: number; objective: number }, gradNorm: number) => {
    const progress: TrainProgress = { iteration, maxIterations, trainLoss: stats.ce, trainAccuracy: stats.accuracy, objective: stats.objective, gradNorm };
    if (val) {
      const v = lossAndGrad(val, params, null);
      progress.valLoss = v.ce;
      progress.valAccuracy = v.accuracy;
    }
    history.push(progress);
    options.onProgress?.(progress);
  };

  let stats = lossAndGrad(problem, params, grad);
  report(0, stats, maxAbs(grad));
  let converged = false;
  let iterations = 0;

  if (optimizer === 'lbfgs') {
    const m = options.memory ?? 10;
    const S: Float64Array[] = [];
    const Y: Float64Array[] = [];
    const rho: number[] = [];
    const trial = new Float64Array(size);
    const trialGrad = new Float64Array(size);
    for (let it = 1; it <= maxIterations; it++) {
      await nextMacrotask();
      throwIfAborted(options.signal);
      // two-loop recursion: direction = -H g
      const q = Float64Array.from(grad);
      const alpha = new Array<number>(S.length);
      for (let i = S.length - 1; i >= 0; i--) {
        alpha[i] = rho[i] * dot(S[i], q);
        for (let j = 0; j < size; j++) q[j] -= alpha[i] * Y[i][j];
      }
      const gamma = S.length ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1]) : 1;
      for (let j = 0; j < size; j++) q[j] *= gamma;
      for (let i = 0; i < S.length; i++) {
        const beta = rho[i] * dot(Y[i], q);
        for (let j = 0; j < size; j++) q[j] += (alpha[i] - beta) * S[i][j];
      }
      const direction = q.map((v) => -v);
      let slope = dot(grad, direction);
      if (!(slope < 0)) {
        S.length = Y.length = rho.length = 0;
        for (let j = 0; j < size; j++) direction[j] = -grad[j];
        slope = -dot(grad, grad);
      }
      // Armijo backtracking; the first step is scaled so it moves by about 1
      let step = S.length ? 1 : Math.min(1, 1 / Math.sqrt(-slope));
      let next = stats;
      let accepted = false;
      for (let tries = 0; tries < 40; tries++) {
        for (let j = 0; j < size; j++) trial[j] = params[j] + step * direction[j];
        next = lossAndGrad(problem, trial, trialGrad);
        if (next.objective <= stats.objective + 1e-4 * step * slope) {
          accepted = true;
          break;
        }
        step /= 2;
      }
      if (!accepted) {
        converged = true; // no decrease possible at float precision: we are at the optimum
        break;
      }
      const s = new Float64Array(size);
      const yv = new Float64Array(size);
      for (let j = 0; j < size; j++) {
        s[j] = trial[j] - params[j];
        yv[j] = trialGrad[j] - grad[j];
      }
      const sy = dot(s, yv);
      if (sy > 1e-12) {
        S.push(s);
        Y.push(yv);
        rho.push(1 / sy);
        if (S.length > m) {
          S.shift();
          Y.shift();
          rho.shift();
        }
      }
      const decrease = stats.objective - next.objective;
      params = Float64Array.from(trial);
      grad = Float64Array.from(trialGrad);
      stats = next;
      iterations = it;
      const gradNorm = maxAbs(grad);
      report(it, stats, gradNorm);
      if (gradNorm < tolerance || decrease <= 1e-12 * Math.max(1, Math.abs(stats.objective))) {
        converged = true;
        break;
      }
    }
  } else {
    const lr = options.learningRate ?? 0.01;
    const batch = Math.max(1, Math.min(n, options.batchSize ?? 256));
    const random = mulberry32(options.seed ?? 0);
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const m1 = new Float64Array(size);
    const m2 = new Float64Array(size);
    const g = new Float64Array(size);
    let t = 0;
    for (let epoch = 1; epoch <= maxIterations; epoch++) {
      await nextMacrotask();
      throwIfAborted(options.signal);
      shuffleInPlace(order, random);
      for (let start = 0; start < n; start += batch) {
        lossAndGrad(problem, params, g, order.subarray(start, Math.min(n, start + batch)));
        t++;
        for (let j = 0; j < size; j++) {
          m1[j] = 0.9 * m1[j] + 0.1 * g[j];
          m2[j] = 0.999 * m2[j] + 0.001 * g[j] * g[j];
          params[j] -= (lr * (m1[j] / (1 - 0.9 ** t))) / (Math.sqrt(m2[j] / (1 - 0.999 ** t)) + 1e-8);
        }
      }
      stats = lossAndGrad(problem, params, grad);
      iterations = epoch;
      report(epoch, stats, maxAbs(grad));
    }
    converged = maxAbs(grad) < tolerance;
  }

  // fold the standardisation into the head: w' = w / std, b' = b - sum(w * mean / std)
  const weight = new Float32Array(k * d);
  const bias = new Float32Array(k);
  for (let c = 0; c < k; c++) {
    let b = params[k * d + c];
    for (let j = 0; j < d; j++) {
      const w = params[c * d + j] / norm.std[j];
      weight[c * d + j] = w;
      b -= w * norm.mean[j];
    }
    bias[c] = b;
  }
  const last = history[history.length - 1];
  return {
    head: { weight, bias, classes: k, features: d },
    history,
    iterations,
    converged,
    objective: stats.objective,
    train: { loss: last.trainLoss, accuracy: last.trainAccuracy },
    validation: val ? { loss: last.valLoss!, accuracy: last.valAccuracy! } : undefined,
    standardization: { mean: norm.mean, std: norm.std },
  };
}

/** Logits of a head on raw features, and accuracy / mean cross-entropy against labels. */
export function scoreHead(head: LinearHead, features: Float32Array, labels: ArrayLike<number>): { accuracy: number; loss: number; predictions: Int32Array } {
  const { classes: k, features: d } = head;
  const n = labels.length;
  const predictions = new Int32Array(n);
  const s = new Float64Array(k);
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      let v = head.bias[c];
      for (let j = 0; j < d; j++) v += head.weight[c * d + j] * features[i * d + j];
      s[c] = v;
      if (v > max) {
        max = v;
        predictions[i] = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(s[c] - max);
    loss += Math.log(sum) + max - s[labels[i]];
    if (predictions[i] === labels[i]) correct++;
  }
  return { accuracy: n ? correct / n : 0, loss: n ? loss / n : 0, predictions };
}
