/**
 * Runs a planned sweep on a set of executors (one per worker): cached models are skipped, the
 * remaining curves are merged into tasks that share a prefix, tasks are handed out longest first
 * to whichever executor is free, results are cached as soon as a task completes, progress is
 * reported as points and work (images x models) with time left. Cancelling rejects with
 * EdgefoldError('cancelled'); only whole, finished tasks ever reach the cache or `onPoint`, so
 * nothing partial survives a cancel.
 */
import { EdgefoldError, isAbortError, throwIfAborted } from '../errors.ts';
import { cacheKey, type CacheScope, type SweepCache } from './cache.ts';
import type { TaskResult } from './engine.ts';
import type { SweepPlan } from './plan.ts';
import type { PointMetrics, PointResult, SweepProgress, SweepResult, SweepTask, SweepUnit } from './types.ts';

export interface SweepExecutor {
  runTask(task: SweepTask, options: { baselineTop1?: number; onProgress?: (work: number) => void; signal: AbortSignal }): Promise<TaskResult>;
}

/** Tasks per executor when curves are merged: fewer share more prefix work, more balance the workers better. */
const TASKS_PER_EXECUTOR = 4;

/**
 * Merges curves into tasks: per base model, in the order of where their suffixes start, a run of
 * neighbouring curves shares one prefix (computed once per batch up to the latest of their cuts).
 * Runs are cut at about equal suffix work, `TASKS_PER_EXECUTOR` per executor. With early stop
 * every curve is its own task (a curve must finish point by point).
 */
export function makeTasks(units: readonly SweepUnit[], executors: number, earlyStop: boolean): SweepTask[] {
  const single = (u: SweepUnit): SweepTask => ({ id: u.id, units: [u], cost: u.cost });
  if (earlyStop) return units.map(single);
  const pointWork = (u: SweepUnit) => u.points.length * u.pointCost;
  const target = units.reduce((n, u) => n + pointWork(u), 0) / Math.max(1, executors * TASKS_PER_EXECUTOR);
  const tasks: SweepTask[] = [];
  for (const base of new Set(units.map((u) => u.base))) {
    const ordered = units.filter((u) => u.base === base).sort((a, b) => a.prefixCost - b.prefixCost);
    let run: SweepUnit[] = [];
    const close = () => {
      if (!run.length) return;
      const prefix = Math.max(...run.map((u) => u.prefixCost));
      tasks.push({ id: run.map((u) => u.id).join(' + '), units: run, cost: prefix + run.reduce((n, u) => n + pointWork(u), 0) });
      run = [];
    };
    for (const u of ordered) {
      run.push(u);
      if (run.reduce((n, x) => n + pointWork(x), 0) >= target) close();
    }
    close();
  }
  return tasks;
}

export interface ExecuteOptions {
  scope: CacheScope;
  /** Images each model is evaluated on. */
  images: number;
  model: { name: string };
  data: { name: string; split: string; classes: number };
  cache?: SweepCache;
  signal?: AbortSignal;
  onProgress?: (progress: SweepProgress) => void;
  /** Called once per finished point (cached ones first), in completion order. */
  onPoint?: (point: PointResult) => void;
}

interface Known {
  metrics: PointMetrics;
  cached: boolean;
}

export async function executeSweep(plan: SweepPlan, executors: SweepExecutor[], options: ExecuteOptions): Promise<SweepResult> {
  if (!executors.length) throw new EdgefoldError('internal', 'A sweep needs at least one executor.');
  const started = performance.now();
  const { scope, cache, images } = options;
  throwIfAborted(options.signal);
  const known = new Map<string, Known>();
  const skipped = new Set<string>();
  const keys = new Set(plan.points.map((p) => p.modelKey).concat('baseline'));
  if (cache) {
    for (const key of keys) {
      const hit = await cache.get(cacheKey(scope, key, images));
      if (hit && hit.n === images) known.set(key, { metrics: hit, cached: true });
    }
  }
  const emitted = new Set<number>();
  const emit = () => {
    plan.points.forEach((p, i) => {
      if (emitted.has(i)) return;
      const k = known.get(p.modelKey);
      if (k) {
        emitted.add(i);
        options.onPoint?.({ ...p, status: 'complete', metrics: k.metrics, ...(k.cached ? { cached: true } : {}) });
      } else if (skipped.has(p.modelKey)) {
        emitted.add(i);
        options.onPoint?.({ ...p, status: 'skipped' });
      }
    });
  };
  emit();

  const earlyStop = plan.settings.earlyStop;
  const pending = (unit: SweepUnit, baselineTop1?: number): SweepUnit | undefined => {
    const points = [];
    let stop = false;
    for (const p of unit.points) {
      if (stop) {
        skipped.add(p.modelKey);
        continue;
      }
      const k = known.get(p.modelKey);
      if (k) {
        if (earlyStop && baselineTop1 !== undefined && baselineTop1 - k.metrics.top1 > earlyStop.maxDrop) stop = true;
        continue;
      }
      points.push(p);
    }
    if (!points.length) return undefined;
    return { ...unit, points, cost: unit.prefixCost + points.length * unit.pointCost };
  };

  const controller = new AbortController();
  const onAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let workTotal = 0;
  let workDone = 0;
  const report = () => {
    if (!options.onProgress) return;
    const elapsed = (performance.now() - started) / 1000;
    const pointsDone = plan.points.filter((p) => known.has(p.modelKey) || skipped.has(p.modelKey)).length;
    options.onProgress({
      pointsDone,
      pointsTotal: plan.points.length,
      workDone,
      workTotal,
      elapsedSeconds: elapsed,
      etaSeconds: workDone > 0 && workTotal > 0 ? (elapsed * (workTotal - workDone)) / workDone : workTotal === 0 ? 0 : null,
    });
  };
  const record = async (result: TaskResult) => {
    for (const [key, metrics] of Object.entries(result.results)) {
      known.set(key, { metrics, cached: false });
      await cache?.set(cacheKey(scope, key, images), metrics);
    }
    for (const key of result.skipped) skipped.add(key);
    emit();
  };
  const run = async (executor: SweepExecutor, task: SweepTask, baselineTop1?: number) => {
    let last = 0;
    const result = await executor.runTask(task, {
      baselineTop1,
      signal: controller.signal,
      onProgress: (work) => {
        workDone += work - last;
        last = work;
        report();
      },
    });
    throwIfAborted(controller.signal);
    workTotal -= result.skipped.length * images;
    const models = task.units.reduce((n, u) => n + u.points.length, 0);
    workDone += models * images - result.skipped.length * images - last;
    await record(result);
    report();
  };

  try {
    const baselineUnit = plan.units.find((u) => u.kind === 'baseline')!;
    if (earlyStop && !known.has('baseline')) {
      workTotal += images;
      report();
      await run(executors[0], { id: baselineUnit.id, units: [baselineUnit], cost: baselineUnit.cost });
    }
    const baselineTop1 = known.get('baseline')?.metrics.top1;
    const units = plan.units.map((u) => pending(u, baselineTop1)).filter((u): u is SweepUnit => !!u);
    const queue = makeTasks(units, executors.length, !!earlyStop).sort((a, b) => b.cost - a.cost);
    workTotal += units.reduce((n, u) => n + u.points.length * images, 0);
    emit();
    report();
    let failure: unknown;
    await Promise.all(
      executors.map(async (executor) => {
        for (;;) {
          if (failure || controller.signal.aborted) return;
          const task = queue.shift();
          if (!task) return;
          try {
            await run(executor, task, known.get('baseline')?.metrics.top1 ?? baselineTop1);
          } catch (error) {
            if (!failure) failure = error;
            controller.abort();
            return;
          }
        }
      }),
    );
    if (options.signal?.aborted) throw new EdgefoldError('cancelled', 'Cancelled.');
    if (failure) throw isAbortError(failure) ? new EdgefoldError('cancelled', 'Cancelled.') : failure;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }

  const baseline = known.get('baseline')!.metrics;
  const points: PointResult[] = plan.points.map((p) => {
    const k = known.get(p.modelKey);
    return k ? { ...p, status: 'complete', metrics: k.metrics, ...(k.cached ? { cached: true } : {}) } : { ...p, status: 'skipped' };
  });
  const cached = [...known.values()].filter((k) => k.cached).length;
  return {
    format: 'edgefold-sensitivity',
    version: 1,
    model: { name: options.model.name, hash: scope.modelHash, params: plan.params, macs: plan.macs },
    data: { name: options.data.name, split: options.data.split, n: images, hash: scope.dataHash, classes: options.data.classes },
    engine: scope.engine,
    settings: plan.settings,
    baseline,
    groups: plan.groups,
    layers: plan.layers,
    points,
    complete: points.every((p) => p.status === 'complete' || skipped.has(p.modelKey)),
    stats: {
      seconds: (performance.now() - started) / 1000,
      evaluated: known.size - cached,
      cached,
      skipped: points.filter((p) => p.status === 'skipped').length,
      workers: executors.length,
    },
  };
}
