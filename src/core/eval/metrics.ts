/** Classification metrics over logits or probabilities, accumulated batch by batch. */

const Z95 = 1.959963984540054;

/** Wilson score interval for a binomial proportion (95 %): honest for small n and p near 0 or 1. */
export function wilsonInterval(successes: number, n: number, z = Z95): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

export interface ClassificationMetrics {
  n: number;
  top1: number;
  top5: number;
  /** Mean cross-entropy in nats. */
  loss: number;
  /** 95 % Wilson interval for top-1. */
  ci95: [number, number];
  perClass: { correct: number; total: number; accuracy: number }[];
  /** confusion[true][predicted] = count. */
  confusion: number[][];
}

export class MetricsAccumulator {
  private n = 0;
  private top1Hits = 0;
  private top5Hits = 0;
  private lossSum = 0;
  private readonly confusion: number[][];

  constructor(readonly classCount: number) {
    this.confusion = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  }

  /** `scores` is [batch, classCount] row-major: logits, or probabilities if a model ends in Softmax. */
  add(scores: Float32Array, labels: ArrayLike<number>, batch: number): void {
    const k = this.classCount;
    if (scores.length !== batch * k) {
      throw new Error(`model output has ${scores.length / batch} values per image, the dataset has ${k} classes`);
    }
    for (let b = 0; b < batch; b++) {
      const row = scores.subarray(b * k, (b + 1) * k);
      const label = labels[b];
      let best = 0;
      let above = 0; // classes scoring strictly higher than the true one (ties favour the label)
      for (let c = 0; c < k; c++) {
        if (row[c] > row[best]) best = c;
        if (row[c] > row[label]) above++;
      }
      this.confusion[label][best]++;
      if (best === label) this.top1Hits++;
      if (above < 5) this.top5Hits++;
      this.lossSum += crossEntropy(row, label);
      this.n++;
    }
  }

  result(): ClassificationMetrics {
    const n = this.n;
    return {
      n,
      top1: n ? this.top1Hits / n : 0,
      top5: n ? this.top5Hits / n : 0,
      loss: n ? this.lossSum / n : 0,
      ci95: wilsonInterval(this.top1Hits, n),
      perClass: this.confusion.map((row, c) => {
        const total = row.reduce((a, b) => a + b, 0);
        return { correct: row[c], total, accuracy: total ? row[c] / total : 0 };
      }),
      confusion: this.confusion.map((row) => [...row]),
    };
  }
}

/** Cross-entropy of one row; rows that already look like probabilities are not re-normalised. */
function crossEntropy(row: Float32Array, label: number): number {
  let sum = 0;
  let min = Infinity;
  for (const v of row) {
    sum += v;
    if (v < min) min = v;
  }
  if (min >= 0 && Math.abs(sum - 1) < 1e-3) return -Math.log(Math.max(row[label], 1e-12));
  let max = -Infinity;
  for (const v of row) if (v > max) max = v;
  let expSum = 0;
  for (const v of row) expSum += Math.exp(v - max);
  return -(row[label] - max - Math.log(expSum));
}
