/**
 * The predicted accuracy as the summary shows it: the drop read off the sensitivity curves,
 * applied to the same float baseline (same data, same image count) the measured accuracy is
 * compared with, and saying so. The sweep's own baseline is often on fewer images (1,000 vs
 * 10,000): subtracting its drop from its own baseline would compare two different baselines.
 */
import type { Prediction } from '../../core/sensitivity/predictor.ts';
import type { WorkerEvalResult } from '../../workers-client/evaluator.ts';

export interface PredictedView {
  top1: number;
  detail: string;
  explain: string;
}

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)} %`;
const count = (n: number) => n.toLocaleString('en-US');

/** `drop` is a fraction; a negative drop (the curves say it helps) is shown as a gain. */
export function signedPoints(drop: number): string {
  const pp = 100 * drop;
  return `${pp >= 0 ? '−' : '+'} ${Math.abs(pp).toFixed(2)} pp`;
}

export function predictedOnMeasuredBaseline(prediction: Prediction, sweepImages: number | null, baseline: WorkerEvalResult | null): PredictedView {
  const extrapolated = prediction.warnings.length ? ' (extrapolated)' : '';
  if (!baseline) {
    return {
      top1: prediction.top1,
      detail: `sweep baseline ${pct(prediction.baseline, 1)} ${signedPoints(prediction.drop)}${sweepImages ? ` (${count(sweepImages)} images)` : ''}${extrapolated}`,
      explain: 'The float model has not been measured on the evaluation images yet: the sweep\'s own baseline is used.',
    };
  }
  const top1 = Math.min(1, Math.max(0, baseline.top1 - prediction.drop));
  return {
    top1,
    detail: `float ${pct(baseline.top1, 1)} on ${count(baseline.n)} images ${signedPoints(prediction.drop)} from the curves${extrapolated}`,
    explain: `Float baseline measured on the same ${count(baseline.n)} ${baseline.dataset} ${baseline.split} images as the measured top-1; the drop is read off sensitivity curves measured on ${
      sweepImages ? count(sweepImages) : 'their own'
    } images.`,
  };
}
