/**
 * The joint search (issue 15 section 3): at several targets, allocate per-layer prune ratios and
 * weight bits from the sweep curves, fold the result onto the pipeline, and *measure* each
 * resulting design (after the user's recovery recipe), giving a measured accuracy-vs-FPS frontier.
 *
 * Targets:
 * - `max-fps`: the fastest design whose measured top-1 drop is <= X pp;
 * - `min-resources`: the design that reaches >= F FPS with the least resources (largest
 *   utilization over LUT/FF/DSP/BRAM/URAM), within the same measured drop bound X.
 *
 * Recovery-aware budgeting (issue 13): the allocator budgets with the raw (unrecovered) sweep
 * curves, which are too pessimistic once reconstruction runs and can be optimistic when several
 * drops combine. So the budget it is given is searched on *measured* accuracy: start at X, measure
 * the allocated design (recovered when the recipe says so), then bisect the budget between the
 * largest budget that met X and the smallest that missed it (doubling while nothing missed yet).
 * Every design is measured at most once per search (keyed by its compression and recovery; the
 * folding does not change accuracy). See docs/decisions.md.
 *
 * Measuring is injected (`FrontierDeps.measure`): workers in the browser, onnxruntime-node in the
 * CLI and tests. Each measurement is a plain serializable `FrontierJob`: `edgefold frontier --queue`
 * runs them as jobs on other hosts (issue 18), with the targets searched concurrently.
 */
import type { CompressionConfig } from '../config/compression.ts';
import { badInput, throwIfAborted } from '../errors.ts';
import { autoFold, type FoldObjective } from '../hw/fold.ts';
import type { Device } from '../hw/devices.ts';
import type { Resource } from '../hw/pipeline.ts';
import { allocate, type Allocation } from '../sensitivity/allocator.ts';
import type { SweepResult } from '../sensitivity/types.ts';
import { DEFAULT_ROUND_TO, evaluateDesign, recoveryOf, type Design, type DesignContext, type DesignMetrics } from './design.ts';
import { paretoMax } from './pareto.ts';

export type FrontierTarget = { kind: 'max-fps'; maxDropPp: number } | { kind: 'min-resources'; minFps: number; maxDropPp: number };

/** One measurement the search asks for: plain data (a queue could carry it). */
export interface FrontierJob {
  /** Stable id of the measured subject within the search (compression + recovery). */
  key: string;
  design: Design;
  /** Whether the measured model is the reconstructed one (the design's recipe). */
  reconstruct: boolean;
}

export interface FrontierMeasurement {
  top1: number;
  ci95: [number, number];
  n: number;
  /** Top-1 of the same design with no recovery, when a recovery step ran. */
  rawTop1?: number;
}

export interface FrontierDeps {
  measure(job: FrontierJob, signal?: AbortSignal): Promise<FrontierMeasurement>;
}

export interface FrontierProgress {
  target: number;
  targets: number;
  /** Budget steps tried for this target so far. */
  attempt: number;
  measurements: number;
  message: string;
}

export interface FrontierOptions {
  signal?: AbortSignal;
  onProgress?: (p: FrontierProgress) => void;
  /** Called as each target's point is decided. */
  onPoint?: (p: FrontierPoint) => void;
  /** Budget steps (allocations) per target, each measured unless already measured (default 4). */
  maxAttempts?: number;
  customDevices?: readonly Device[];
  /** Fold each design with auto-fold (default); false keeps the starting design's folding (auto-allocate). */
  fold?: boolean;
  /**
   * Search the targets at the same time (default false: one after another). For a measure that
   * runs elsewhere (a job queue): the targets' measurements then run on as many hosts. The result
   * is the same either way; only the order of `onPoint` calls follows completion.
   */
  concurrentTargets?: boolean;
}

export interface FrontierInput {
  ctx: DesignContext;
  sweep: SweepResult;
  /** The design the search starts from: its hardware (device, clock, budget), scheme, multiple and recovery recipe are kept. */
  design: Design;
  /** The float model's top-1 measured on the same images as the designs (drops are measured against it). */
  baseline: { top1: number; n: number };
  targets: FrontierTarget[];
}

export interface FrontierAttempt {
  /** The predicted (raw sweep curve) drop the allocator was allowed, fraction. */
  budget: number;
  predictedTop1: number;
  measuredTop1: number;
  /** Baseline minus measured, fraction. */
  measuredDrop: number;
  accuracyOk: boolean;
  fps: number;
  fits: boolean | null;
  maxUtilization: number;
}

export interface FrontierPoint {
  target: FrontierTarget;
  label: string;
  design: Design;
  /** The target was met: measured drop within X and (min-resources) the FPS reached within the budget. */
  met: boolean;
  message: string;
  predicted: { top1: number; drop: number };
  /** The allocation the design's compression came from (raw sweep curves). */
  allocation: Allocation;
  measured: FrontierMeasurement;
  recovered: boolean;
  fps: number;
  latencyMs: number;
  lut: number;
  ff: number;
  dsp: number;
  bram18: number;
  powerW: number;
  gopsPerWatt: number;
  fits: boolean | null;
  maxUtilization: number;
  params: number;
  macs: number;
  attempts: FrontierAttempt[];
}

export interface FrontierResult {
  points: FrontierPoint[];
  /** Points no other point beats in both measured top-1 and FPS, by FPS. */
  front: FrontierPoint[];
  measurements: number;
  baseline: { top1: number; n: number };
}

export function targetLabel(t: FrontierTarget): string {
  return t.kind === 'max-fps' ? `max FPS, drop <= ${t.maxDropPp} pp` : `min resources, >= ${t.minFps} FPS, drop <= ${t.maxDropPp} pp`;
}

/** The design with an allocation's compression; the design's multiple and quantization scheme are kept (as auto-allocate does). */
export function withAllocation(design: Design, config: CompressionConfig): Design {
  const roundTo = design.compression.prune?.roundTo ?? DEFAULT_ROUND_TO;
  return {
    ...design,
    compression: { ...config, prune: { ...config.prune, roundTo }, quant: { ...design.compression.quant, ...config.quant } },
  };
}

const RESOURCES: Resource[] = ['lut', 'ff', 'dsp', 'bram', 'uram'];

function maxUtilization(m: DesignMetrics): number {
  return Math.max(0, ...RESOURCES.map((r) => m.estimate.resources[r].utilization ?? 0));
}

function checkTargets(targets: FrontierTarget[]) {
  if (!targets.length) throw badInput('Give at least one target.', 'targets');
  if (targets.length > 12) throw badInput(`At most 12 targets a search, got ${targets.length}.`, 'targets');
  for (const t of targets) {
    if (!(t.maxDropPp >= 0 && t.maxDropPp <= 100)) throw badInput(`An accuracy drop bound is 0 to 100 pp, got ${t.maxDropPp}.`, 'maxDropPp');
    if (t.kind === 'min-resources' && !(t.minFps > 0 && Number.isFinite(t.minFps))) throw badInput(`A target FPS must be a positive number, got ${t.minFps}.`, 'minFps');
  }
}

/** The subject a measurement is of: compression and recovery (never the folding). */
export function frontierJobKey(design: Design): string {
  return JSON.stringify([design.compression, recoveryOf(design).reconstruct]);
}

interface Candidate {
  design: Design;
  metrics: DesignMetrics;
  allocation: Allocation;
  measured: FrontierMeasurement;
  attempt: FrontierAttempt;
  foldMet: boolean;
  foldMessage: string;
}

export async function searchFrontier(input: FrontierInput, deps: FrontierDeps, options: FrontierOptions = {}): Promise<FrontierResult> {
  const { ctx, sweep, baseline, targets } = input;
  checkTargets(targets);
  if (!sweep.settings.prune && !sweep.settings.weightBits) throw badInput('The sweep has neither prune nor weight-bit curves: nothing to allocate.', 'sweep');
  const maxAttempts = options.maxAttempts ?? 4;
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1 && maxAttempts <= 12)) throw badInput(`maxAttempts is 1 to 12, got ${maxAttempts}.`, 'maxAttempts');
  const roundTo = input.design.compression.prune?.roundTo ?? DEFAULT_ROUND_TO;
  const reconstruct = recoveryOf(input.design).reconstruct;
  const measured = new Map<string, Promise<FrontierMeasurement>>();
  let measurements = 0;
  // The most compression the curves allow: budgets above its predicted drop change nothing.
  const ceiling = allocate(sweep, { maxDrop: 1 }, { roundTo }).prediction.drop;
  // Concurrent targets: the first failure stops the others' measurements too.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;

  const searchTarget = async (t: number): Promise<FrontierPoint> => {
    const target = targets[t];
    const bound = target.maxDropPp / 100;
    const objective: FoldObjective = target.kind === 'max-fps' ? 'max-fps' : { targetFps: target.minFps };
    const progress = (attempt: number, message: string) => options.onProgress?.({ target: t, targets: targets.length, attempt, measurements, message });

    const tryBudget = async (budget: number, attempt: number): Promise<Candidate> => {
      throwIfAborted(signal);
      const allocation = allocate(sweep, { maxDrop: budget }, { roundTo });
      const compressed = withAllocation(input.design, allocation.config);
      const before = evaluateDesign(ctx, compressed, options.customDevices);
      const fold =
        options.fold === false
          ? { folding: compressed.hardware.layers, met: target.kind === 'max-fps' || before.estimate.fps >= target.minFps, message: 'folding kept' }
          : autoFold(before.hwLayers, before.device, compressed.hardware.clockMHz, { budget: compressed.hardware.budget, objective });
      const design: Design = { ...compressed, hardware: { ...compressed.hardware, layers: fold.folding } };
      const metrics = options.fold === false ? before : evaluateDesign(ctx, design, options.customDevices);
      const key = frontierJobKey(design);
      if (!measured.has(key)) {
        measurements++;
        progress(attempt, `measuring the design allocated for a predicted drop of ${(100 * budget).toFixed(2)} pp${reconstruct ? ' (after reconstruction)' : ''}`);
        const job: FrontierJob = { key, design, reconstruct };
        const pending = deps.measure(job, signal);
        measured.set(key, pending);
        pending.catch(() => measured.delete(key));
      }
      const m = await measured.get(key)!;
      throwIfAborted(signal);
      const drop = baseline.top1 - m.top1;
      const attemptRecord: FrontierAttempt = {
        budget,
        predictedTop1: allocation.prediction.top1,
        measuredTop1: m.top1,
        measuredDrop: drop,
        accuracyOk: drop <= bound + 1e-12,
        fps: metrics.estimate.fps,
        fits: metrics.estimate.fits,
        maxUtilization: maxUtilization(metrics),
      };
      return { design, metrics, allocation, measured: m, attempt: attemptRecord, foldMet: fold.met, foldMessage: fold.message };
    };

    const ok = (c: Candidate) => c.attempt.accuracyOk && (target.kind === 'max-fps' || c.foldMet);
    const better = (a: Candidate, b: Candidate | undefined) => {
      if (!b) return true;
      const fa = a.metrics.estimate.fps;
      const fb = b.metrics.estimate.fps;
      // max-fps: faster, and at equal FPS (a pipeline capped by a layer that cannot fold further) fewer resources.
      if (target.kind === 'max-fps' && Math.abs(fa - fb) > 1e-6 * Math.max(fa, fb)) return fa > fb;
      return a.attempt.maxUtilization < b.attempt.maxUtilization - 1e-12;
    };

    // Bisection on the allocator's budget with measured (recovered) accuracy as the test.
    const tried: Candidate[] = [];
    let lo: number | null = null; // largest budget that met the bound
    let hi: number | null = null; // smallest budget that missed it
    let budget = Math.min(bound, ceiling);
    const seen = new Set<string>();
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      progress(attempt, `allocating for a predicted drop of ${(100 * budget).toFixed(2)} pp`);
      const c = await tryBudget(budget, attempt);
      tried.push(c);
      const configKey = JSON.stringify(c.design.compression);
      const repeat = seen.has(configKey);
      seen.add(configKey);
      if (c.attempt.accuracyOk) lo = Math.max(lo ?? 0, budget);
      else hi = Math.min(hi ?? Infinity, budget);
      let next: number;
      if (hi === null) {
        if (budget >= ceiling) break; // nothing more to compress
        next = Math.min(ceiling, Math.max(2 * budget, budget + 0.005));
      } else {
        next = ((lo ?? 0) + hi) / 2;
      }
      // Stop once the interval is below what the curves resolve, or the allocation stopped changing.
      if (Math.abs(next - budget) < 5e-4 || (repeat && attempt > 0 && hi !== null && lo !== null)) break;
      budget = next;
    }

    let chosen: Candidate | undefined;
    for (const c of tried) if (ok(c) && better(c, chosen)) chosen = c;
    const met = !!chosen;
    if (!chosen) {
      // Nothing met the target: the most accurate design tried, said so.
      chosen = tried.reduce((a, b) => (b.measured.top1 > a.measured.top1 ? b : a));
    }
    const e = chosen.metrics.estimate;
    const pp = (x: number) => (100 * x).toFixed(2);
    const drop = chosen.attempt.measuredDrop;
    const message = met
      ? `${e.fps.toFixed(1)} FPS at a measured drop of ${pp(drop)} pp (${tried.length} budget step${tried.length === 1 ? '' : 's'})`
      : !chosen.attempt.accuracyOk
        ? `no allocation kept the measured drop within ${target.maxDropPp} pp (best: ${pp(drop)} pp at ${e.fps.toFixed(1)} FPS)`
        : `${chosen.foldMessage}; reached ${e.fps.toFixed(1)} FPS`;
    const point: FrontierPoint = {
      target,
      label: targetLabel(target),
      design: chosen.design,
      met,
      message,
      predicted: { top1: chosen.allocation.prediction.top1, drop: chosen.allocation.prediction.drop },
      allocation: chosen.allocation,
      measured: chosen.measured,
      recovered: reconstruct,
      fps: e.fps,
      latencyMs: e.latency.ms,
      lut: e.totals.lut,
      ff: e.totals.ff,
      dsp: e.totals.dsp,
      bram18: e.totals.bram18,
      powerW: e.power.totalW,
      gopsPerWatt: e.gopsPerWatt,
      fits: e.fits,
      maxUtilization: chosen.attempt.maxUtilization,
      params: chosen.metrics.params,
      macs: chosen.metrics.macs,
      attempts: tried.map((c) => c.attempt),
    };
    options.onPoint?.(point);
    return point;
  };

  const points: FrontierPoint[] = [];
  try {
    if (options.concurrentTargets) points.push(...(await Promise.all(targets.map((_, t) => searchTarget(t)))));
    else for (let t = 0; t < targets.length; t++) points.push(await searchTarget(t));
  } catch (error) {
    stop.abort(error);
    throw error;
  }
  return { points, front: frontierOf(points), measurements, baseline };
}

/** Pareto front of measured points: top-1 against FPS, both maximized, by FPS. */
export function frontierOf(points: FrontierPoint[]): FrontierPoint[] {
  const unique = [...new Map(points.map((p) => [`${p.fps}|${p.measured.top1}`, p])).values()];
  return paretoMax(unique, (p) => p.fps, (p) => p.measured.top1).sort((a, b) => a.fps - b.fps);
}
