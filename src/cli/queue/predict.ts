/**
 * How long a sweep takes on the job queue with H hosts of S slots each: a model fitted to
 * measurements (tools/bench/hosts.bench.ts; formula in docs/queue.md, numbers in
 * docs/benchmarks.md). The tasks are the ones the client builds (`makeTasks`, as many executors
 * as slots), handed out longest first to whichever slot is free, as `executeSweep` does.
 */
import { makeTasks, type SweepPlan } from '../../core/sensitivity/index.ts';

/** Seconds of one task on one slot: tJob + tPoint x models + tMac x images x cost (cost in MACs per image). */
export interface TaskTimeModel {
  /** Per job: the queue's round trip plus the task's fixed work (prefix session, scheduling). */
  tJob: number;
  /** Per model evaluated: building the point's model and its onnxruntime session. */
  tPoint: number;
  /** Per MAC of one image on one slot (one onnxruntime thread). */
  tMac: number;
}

/** Moving the blobs: the client uploads once, every host downloads once (from one Redis). */
export interface TransferModel {
  /** Bytes the client uploads (model + dataset blob). */
  bytes: number;
  /** Bytes per second the client uploads at. */
  uploadBytesPerSecond: number;
  /** Bytes per second one host downloads (and hashes and decodes) at. */
  hostDownloadBytesPerSecond: number;
  /** Bytes per second Redis sends in all: hosts downloading at once share it. */
  redisBytesPerSecond: number;
}

export interface TaskSample {
  models: number;
  images: number;
  cost: number;
  seconds: number;
}

export const taskSeconds = (m: TaskTimeModel, models: number, images: number, cost: number): number => m.tJob + m.tPoint * models + m.tMac * images * cost;

/** Least squares on the given columns (normal equations, Gaussian elimination with partial pivoting); undefined when singular. */
function leastSquares(rows: number[][], y: number[]): number[] | undefined {
  const k = rows[0].length;
  const idx = [...Array(k).keys()];
  const a = idx.map((i) => idx.map((j) => rows.reduce((n, r) => n + r[i] * r[j], 0)));
  const b = idx.map((i) => rows.reduce((n, r, m) => n + r[i] * y[m], 0));
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    [b[col], b[pivot]] = [b[pivot], b[col]];
    if (Math.abs(a[col][col]) < 1e-9 * Math.max(1, ...a.map((r) => Math.abs(r[col])))) return undefined;
    for (let r = col + 1; r < k; r++) {
      const f = a[r][col] / a[col][col];
      for (let c = col; c < k; c++) a[r][c] -= f * a[col][c];
      b[r] -= f * b[col];
    }
  }
  const x = new Array<number>(k).fill(0);
  for (let r = k - 1; r >= 0; r--) x[r] = (b[r] - idx.filter((c) => c > r).reduce((n, c) => n + a[r][c] * x[c], 0)) / a[r][r];
  return x;
}

/**
 * Least squares fit of seconds = tJob + tPoint x models + tMac x images x cost with every
 * parameter >= 0 (a negative time is noise, not a cost): the best of the fits on every subset of
 * the three terms whose parameters all come out non-negative. Columns are scaled to 1 first so
 * MAC-images of 1e12 and counts of 1 stay well conditioned.
 */
export function fitTaskModel(samples: readonly TaskSample[]): TaskTimeModel {
  if (samples.length < 3) throw new Error('fitting the task model needs at least 3 samples');
  const columns = [samples.map(() => 1), samples.map((s) => s.models), samples.map((s) => s.images * s.cost)];
  const scale = columns.map((c) => Math.max(...c.map(Math.abs)) || 1);
  const y = samples.map((s) => s.seconds);
  if (!leastSquares(samples.map((_, m) => columns.map((c, j) => c[m] / scale[j])), y)) {
    throw new Error('the samples do not determine the task model (vary models per task and images x cost)');
  }
  let best: { x: number[]; sse: number } | undefined;
  for (let mask = 1; mask < 8; mask++) {
    const used = [0, 1, 2].filter((j) => mask & (1 << j));
    const fit = leastSquares(samples.map((_, m) => used.map((j) => columns[j][m] / scale[j])), y);
    if (!fit || fit.some((v) => v < 0)) continue;
    const x = [0, 0, 0];
    used.forEach((j, i) => (x[j] = fit[i] / scale[j]));
    const sse = samples.reduce((n, _, m) => n + (x[0] * columns[0][m] + x[1] * columns[1][m] + x[2] * columns[2][m] - y[m]) ** 2, 0);
    if (!best || sse < best.sse - 1e-15) best = { x, sse };
  }
  if (!best) throw new Error('no non-negative fit of the task model');
  return { tJob: best.x[0], tPoint: best.x[1], tMac: best.x[2] };
}

/** List scheduling: durations in the order given, each to the slot that is free first; returns the makespan. */
export function listSchedule(durations: readonly number[], slots: number): number {
  const free = new Array<number>(Math.max(1, slots)).fill(0);
  for (const d of durations) {
    let i = 0;
    for (let k = 1; k < free.length; k++) if (free[k] < free[i]) i = k;
    free[i] += d;
  }
  return Math.max(...free);
}

export interface SweepPrediction {
  hosts: number;
  slots: number;
  tasks: number;
  /** Seconds: upload by the client, download by the hosts (at once), then the tasks. */
  uploadSeconds: number;
  downloadSeconds: number;
  computeSeconds: number;
  totalSeconds: number;
  /** The longest single task: no number of hosts finishes sooner than this. */
  longestTaskSeconds: number;
}

/**
 * The sweep of `plan` on `images` images on `hosts` hosts of `slotsPerHost` slots: the client
 * cuts it into tasks for min(slots, units) executors (as runSensitivityOnQueue does), the tasks
 * run longest first (executeSweep), each on the first free slot.
 */
export function predictSweep(plan: Pick<SweepPlan, 'units'>, images: number, hosts: number, slotsPerHost: number, time: TaskTimeModel, transfer?: TransferModel): SweepPrediction {
  const slots = hosts * slotsPerHost;
  const executors = Math.min(slots, plan.units.length);
  const tasks = makeTasks(plan.units, executors, false).sort((x, y) => y.cost - x.cost);
  const durations = tasks.map((t) => taskSeconds(time, t.units.reduce((n, u) => n + u.points.length, 0), images, t.cost));
  const computeSeconds = listSchedule(durations, executors);
  const uploadSeconds = transfer ? transfer.bytes / transfer.uploadBytesPerSecond : 0;
  const downloadSeconds = transfer ? transfer.bytes / Math.min(transfer.hostDownloadBytesPerSecond, transfer.redisBytesPerSecond / hosts) : 0;
  return {
    hosts,
    slots,
    tasks: tasks.length,
    uploadSeconds,
    downloadSeconds,
    computeSeconds,
    totalSeconds: uploadSeconds + downloadSeconds + computeSeconds,
    longestTaskSeconds: Math.max(...durations),
  };
}
