/**
 * Optimizer and schedule corners (issue 14), each value worked by hand from the update rules in
 * PyTorch's documentation (torch.optim.AdamW, torch.optim.SGD, CosineAnnealingLR with a linear warm-up).
 */
import { describe, expect, it } from 'vitest';
import { createOptimizer } from './optimizer.ts';
import { cosineLearningRate } from './schedule.ts';

describe('optimizer corners', () => {
  it('AdamW: no decay where the parameter is excluded; betas and eps as given', () => {
    // beta1 = beta2 = 0.5, eps = 1, lr 0.1, g = 1: m-hat = 1, v-hat = 1, step = 0.1 x 1 / (1 + 1) = 0.05.
    // 'w' decays (wd 0.5): 2 x (1 - 0.1 x 0.5) - 0.05 = 1.85; 'b' does not: 2 - 0.05 = 1.95.
    const opt = createOptimizer({ name: 'adamw', weightDecay: 0.5, beta1: 0.5, beta2: 0.5, eps: 1 }, (n) => n === 'w');
    const p = new Map([['w', Float32Array.from([2])], ['b', Float32Array.from([2])]]);
    opt.step(p, new Map([['w', Float32Array.from([1])], ['b', Float32Array.from([1])]]), 0.1);
    expect(p.get('w')![0]).toBeCloseTo(1.85, 6);
    expect(p.get('b')![0]).toBeCloseTo(1.95, 6);
    // step 2, g = 3 on 'b': after step 1 m = 0.5 and v = 0.5 (bias-corrected to 1 and 1);
    // m = 0.5 x 0.5 + 0.5 x 3 = 1.75, m-hat = 1.75 / (1 - 0.5^2) = 7/3;
    // v = 0.5 x 0.5 + 0.5 x 9 = 4.75, v-hat = 4.75 / 0.75 = 19/3; step = 0.1 x (7/3) / (sqrt(19/3) + 1)
    opt.step(p, new Map([['w', Float32Array.from([0])], ['b', Float32Array.from([3])]]), 0.1);
    expect(p.get('b')![0]).toBeCloseTo(1.95 - (0.1 * 7) / 3 / (Math.sqrt(19 / 3) + 1), 6);
  });

  it('SGD: momentum 0.9 by default, the first step takes the gradient as the buffer', () => {
    const opt = createOptimizer({ name: 'sgd', weightDecay: 0 }, () => true);
    const p = new Map([['w', Float32Array.from([1, 1])]]);
    opt.step(p, new Map([['w', Float32Array.from([1, -2])]]), 0.5); // buf = g: w = 1 - 0.5 g = [0.5, 2]
    expect(Array.from(p.get('w')!)).toEqual([0.5, 2]);
    opt.step(p, new Map([['w', Float32Array.from([1, 0])]]), 0.5); // buf = 0.9 buf + g = [1.9, -1.8]: w = [-0.45, 2.9]
    expect(p.get('w')![0]).toBeCloseTo(-0.45, 6);
    expect(p.get('w')![1]).toBeCloseTo(2.9, 6);
  });
});

describe('learning-rate schedule corners', () => {
  it('warm-up reaches lr at its last step, cosine starts after it, and ends at lr x minFactor', () => {
    const o = { lr: 2, totalSteps: 14, warmupSteps: 4, minFactor: 0.1 };
    expect(cosineLearningRate(0, o)).toBe(0.5); // 2 x 1/4
    expect(cosineLearningRate(3, o)).toBe(2); // 2 x 4/4
    expect(cosineLearningRate(4, o)).toBe(2); // progress 0 of 10 cosine steps
    // half-way (step 9): 0.2 + 0.5 x 1.8 x (1 + cos(pi/2)) = 1.1; end (step 14): 0.2
    expect(cosineLearningRate(9, o)).toBeCloseTo(1.1, 12);
    expect(cosineLearningRate(14, o)).toBeCloseTo(0.2, 12);
    // past the end it stays at the floor (progress capped at 1)
    expect(cosineLearningRate(30, o)).toBeCloseTo(0.2, 12);
    // all steps warm-up: the cosine span is at least one step, so the step after is still lr
    expect(cosineLearningRate(4, { lr: 1, totalSteps: 4, warmupSteps: 4 })).toBe(1);
    expect(cosineLearningRate(5, { lr: 1, totalSteps: 4, warmupSteps: 4 })).toBeCloseTo(0, 12);
  });
});
