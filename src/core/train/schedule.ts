/** Learning rate per step: cosine annealing from `lr` to `lr x minFactor` over all steps, after an optional linear warm-up. */
export interface ScheduleOptions {
  lr: number;
  totalSteps: number;
  warmupSteps?: number;
  minFactor?: number;
}

export function cosineLearningRate(step: number, o: ScheduleOptions): number {
  const warm = o.warmupSteps ?? 0;
  if (step < warm) return (o.lr * (step + 1)) / warm;
  const span = Math.max(1, o.totalSteps - warm);
  const progress = Math.min(1, (step - warm) / span);
  const min = o.lr * (o.minFactor ?? 0);
  return min + 0.5 * (o.lr - min) * (1 + Math.cos(Math.PI * progress));
}
