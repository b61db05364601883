import { describe, expect, it } from 'vitest';
import type { SweepPoint, SweepUnit } from '../../core/sensitivity/index.ts';
import { fitTaskModel, listSchedule, predictSweep, taskSeconds } from './predict.ts';

/** A curve of `n` points, no shared prefix, 10 MACs per image per point. */
const unit = (id: string, n: number): SweepUnit => ({
  id,
  kind: 'weight-bits',
  target: id,
  base: 'original',
  cutIndex: 0,
  points: Array.from({ length: n }, (_, i) => ({ kind: 'weight-bits', target: id, layer: id, value: i + 2, modelKey: `${id}|${i}` }) as SweepPoint),
  cost: 10 * n,
  prefixCost: 0,
  pointCost: 10,
});
const time = { tJob: 1, tPoint: 0.5, tMac: 0.01 };

describe('the queue time model', () => {
  it('task time: tJob + tPoint x models + tMac x images x cost', () => {
    // 1 + 0.5 x 3 + 0.01 x 10 x 30 = 1 + 1.5 + 3
    expect(taskSeconds(time, 3, 10, 30)).toBeCloseTo(5.5, 12);
  });

  it('list scheduling gives each task to the slot that is free first', () => {
    // Slot A: 5.5; slot B: 4 then 2.5 = 6.5.
    expect(listSchedule([5.5, 4, 2.5], 2)).toBeCloseTo(6.5, 12);
    expect(listSchedule([5.5, 4, 2.5], 1)).toBeCloseTo(12, 12);
    expect(listSchedule([5.5, 4, 2.5], 8)).toBeCloseTo(5.5, 12);
  });

  it('a sweep: the tasks makeTasks builds, longest first, plus upload and the hosts downloading at once', () => {
    // Curves of 1, 2, 3 points; with 2 executors the task target is 60 / 8 = 7.5 MACs, so every curve is a task:
    // costs 30, 20, 10 -> 5.5, 4, 2.5 s at 10 images. Upload 1000 B at 100 B/s = 10 s; download at 50 B/s = 20 s.
    const plan = { units: [unit('a', 1), unit('b', 2), unit('c', 3)] };
    const transfer = { bytes: 1000, uploadBytesPerSecond: 100, hostDownloadBytesPerSecond: 50, redisBytesPerSecond: 100 };
    const one = predictSweep(plan, 10, 1, 2, time, transfer);
    expect(one).toMatchObject({ hosts: 1, slots: 2, tasks: 3 });
    expect(one.computeSeconds).toBeCloseTo(6.5, 12);
    expect(one.uploadSeconds).toBeCloseTo(10, 12);
    expect(one.downloadSeconds).toBeCloseTo(20, 12);
    expect(one.totalSeconds).toBeCloseTo(36.5, 12);
    expect(one.longestTaskSeconds).toBeCloseTo(5.5, 12);
    // 4 hosts of 1 slot: 3 executors (one per curve) -> 5.5 s; Redis's 100 B/s shared by 4 hosts = 25 B/s -> 40 s.
    const four = predictSweep(plan, 10, 4, 1, time, transfer);
    expect(four.computeSeconds).toBeCloseTo(5.5, 12);
    expect(four.downloadSeconds).toBeCloseTo(40, 12);
    // 1 slot: the three curves merge into fewer tasks (target 60 / 4 = 15: a+b = 30 MACs, then c),
    // a + b: 1 + 0.5 x 3 + 0.01 x 10 x 30 = 5.5; c: 5.5 -> 11 s.
    const single = predictSweep(plan, 10, 1, 1, time);
    expect(single.tasks).toBe(2);
    expect(single.computeSeconds).toBeCloseTo(11, 12);
    expect(single.totalSeconds).toBeCloseTo(11, 12);
  });

  it('the fit recovers the parameters the samples were made with, and refuses samples that cannot determine them', () => {
    const samples = [
      { models: 1, images: 10, cost: 10, seconds: 2.5 },
      { models: 2, images: 10, cost: 20, seconds: 4 },
      { models: 3, images: 10, cost: 30, seconds: 5.5 },
      { models: 1, images: 10, cost: 50, seconds: 6.5 },
    ];
    const fit = fitTaskModel(samples);
    expect(fit.tJob).toBeCloseTo(1, 9);
    expect(fit.tPoint).toBeCloseTo(0.5, 9);
    expect(fit.tMac).toBeCloseTo(0.01, 12);
    // Models and MACs in proportion: tPoint and tMac cannot be told apart.
    expect(() => fitTaskModel(samples.slice(0, 3))).toThrow(/do not determine/);
    // Times that need a negative tJob: unconstrained, seconds = -1 + 2 x models + 0 x MACs exactly.
    // Feasible fits (every parameter >= 0), by hand:
    //   tJob only: 2.5, SSE 11;  tMac only: 11/7, SSE 18.7;  tPoint only: 23/15 (sum m*y / sum m^2), SSE 0.73;
    //   tJob + tPoint: -1 + 2m (infeasible);  tJob + tMac: 5 - 2c (infeasible);
    //   tPoint + tMac: [15 8; 8 7][p; m] = [23; 11] -> m = -19/41 (infeasible).
    // Best: tPoint = 23/15, the others 0.
    const noisy = [
      { models: 1, images: 1, cost: 1, seconds: 1 },
      { models: 2, images: 1, cost: 1, seconds: 3 },
      { models: 3, images: 1, cost: 1, seconds: 5 },
      { models: 1, images: 1, cost: 2, seconds: 1 },
    ];
    const clamped = fitTaskModel(noisy);
    expect(clamped.tJob).toBe(0);
    expect(clamped.tMac).toBe(0);
    expect(clamped.tPoint).toBeCloseTo(23 / 15, 12);
  });
});
