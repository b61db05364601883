/**
 * The joint search in the explorer (issue 15 section 3): one click runs src/core/design/frontier.ts
 * at several targets; each design it asks for is measured in the workers (the evaluator, or the
 * train worker's reconstruction when the recovery recipe says so), through the measurement cache,
 * so a design measured before is not measured again and a restored frontier point shows its
 * accuracy at once. Each decided point is added to the design points.
 */
import type { StoreApi } from 'zustand';
import { recoveryOf, type Design } from '../../core/design/design.ts';
import { frontierJobKey, searchFrontier, type FrontierJob, type FrontierMeasurement, type FrontierPoint, type FrontierProgress, type FrontierTarget } from '../../core/design/frontier.ts';
import { EdgefoldError, isAbortError } from '../../core/errors.ts';
import type { SweepResult } from '../../core/sensitivity/types.ts';
import { evaluateConfigInWorker, type AnyDatasetRef } from '../../workers-client/evaluator.ts';
import { errorMessage, type jobSlots } from './job-slots.ts';
import { designKey, withMeasurement } from './measurement.ts';
import { cacheMeasurement, cachedMeasurement } from './measurement-cache.ts';
import { measureReconstructed } from './retrain-slice.ts';
import type { AppState, DesignPoint, JobStatus, MeasuredAccuracy } from './types.ts';

export interface FrontierState {
  status: JobStatus;
  progress: FrontierProgress | null;
  /** The model the points belong to. */
  modelSha256: string | null;
  targets: FrontierTarget[];
  /** Points decided so far (all of them once done), in target order. */
  points: FrontierPoint[];
  /** Measurements started by the search (cache hits count none). */
  measurements: number;
  /** Whether the designs were measured after reconstruction. */
  recovered: boolean;
  baseline: { top1: number; n: number } | null;
  /** Auto-allocate with a recovery recipe: the search for its one target, whose design is applied when done. */
  forAllocation: boolean;
  error?: string;
  /** Points read from a file (`edgefold frontier --json`, src/ui/import-results.ts): which, and where they were measured. */
  imported?: { fileName: string; provenance: string };
}

export interface FrontierSliceActions {
  /** `forAllocation`: auto-allocate's measured budget search (the design's folding kept, the chosen design applied). */
  runFrontier(targets: FrontierTarget[], options?: { maxAttempts?: number; forAllocation?: boolean }): Promise<void>;
  cancelFrontier(): void;
  /** Makes a frontier point's design the current design. */
  applyFrontierPoint(index: number): void;
}

export interface FrontierDepsForStore {
  jobs: ReturnType<typeof jobSlots>;
  sweep: (state: AppState) => SweepResult | null;
  data: (state: AppState) => { calibration: AnyDatasetRef; evaluation: AnyDatasetRef };
  pointMetrics: (state: AppState, design: Design, measured: MeasuredAccuracy) => DesignPoint['metrics'];
  /** Applies an allocation's design as auto-allocate does. */
  applyAllocation: (point: FrontierPoint) => void;
}

type Set = StoreApi<AppState>['setState'];
type Get = StoreApi<AppState>['getState'];

export const idleFrontier = (): FrontierState => ({ status: 'idle', progress: null, modelSha256: null, targets: [], points: [], measurements: 0, recovered: false, baseline: null, forAllocation: false });

export function createFrontierSlice(set: Set, get: Get, deps: FrontierDepsForStore): { frontier: FrontierState } & FrontierSliceActions {
  return {
    frontier: idleFrontier(),

    async runFrontier(targets, options = {}) {
      const start = get();
      const { model } = start;
      if (!model) return;
      const job = deps.jobs.start('frontier');
      const recovered = recoveryOf(start.design).reconstruct;
      const forAllocation = options.forAllocation ?? false;
      set({ frontier: { ...idleFrontier(), status: 'running', modelSha256: model.sha256, targets, recovered, forAllocation } });
      const still = () => job.current() && get().model === model;
      try {
        const sweep = deps.sweep(start);
        if (!sweep) throw new EdgefoldError('bad-input', 'Run (or import) a sensitivity sweep of this model on this data first: the search allocates from its curves.', 'sweep');
        // Drops are measured against the float model on the same images.
        if (get().baseline.status !== 'done' || !get().baseline.result) await get().runBaseline();
        const b = get().baseline.result;
        if (!still()) return;
        if (!b) throw new EdgefoldError('bad-input', `The float baseline could not be measured: ${get().baseline.error ?? 'unknown reason'}.`, 'baseline');
        const baseline = { top1: b.top1, n: b.n };
        set((s) => ({ frontier: { ...s.frontier, baseline } }));

        // The full measurement of each design (with its recovery records), by the search's job key.
        const byJob = new Map<string, MeasuredAccuracy>();
        const measure = async (request: FrontierJob, signal?: AbortSignal): Promise<FrontierMeasurement> => {
          // The data and image count the search started with (and its baseline was measured on).
          const state = { ...get(), evalLimit: start.evalLimit, dataset: start.dataset };
          const key = designKey(state, request.design);
          const cached = await cachedMeasurement<MeasuredAccuracy>(key);
          const done = (m: MeasuredAccuracy): FrontierMeasurement => {
            byJob.set(request.key, m);
            return { top1: m.top1, ci95: m.ci95, n: m.n, ...(m.raw ? { rawTop1: m.raw.top1 } : {}) };
          };
          if (cached) return done(cached);
          set((s) => ({ frontier: { ...s.frontier, measurements: s.frontier.measurements + 1 } }));
          const data = deps.data(state);
          const measured: MeasuredAccuracy = request.reconstruct
            ? await measureReconstructed(
                { modelBytes: model.bytes, design: request.design, evalLimit: state.evalLimit, train: data.calibration, calibration: data.calibration, evaluation: data.evaluation, signal: signal ?? job.signal },
                key,
                () => undefined,
              )
            : {
                ...(await evaluateConfigInWorker({
                  modelBytes: model.bytes,
                  inputShape: model.loaded.summary.inputs[0]?.shape ?? [],
                  data: data.evaluation,
                  calibration: data.calibration,
                  config: request.design.compression,
                  limit: state.evalLimit,
                  signal: signal ?? job.signal,
                })),
                designKey: key,
              };
          void cacheMeasurement(key, measured);
          // A saved point (or the current design) waiting for this design's measurement receives it.
          if (still()) set((s) => ({ points: withMeasurement(s.points, s, measured) }));
          return done(measured);
        };

        const result = await searchFrontier(
          { ctx: model.context, sweep, design: start.design, baseline, targets },
          { measure },
          {
            signal: job.signal,
            customDevices: start.customDevices,
            maxAttempts: options.maxAttempts,
            fold: !forAllocation,
            onProgress: (progress) => still() && set((s) => ({ frontier: { ...s.frontier, progress } })),
            onPoint: (point) => {
              if (!still() || forAllocation) return;
              const measured = byJob.get(frontierJobKey(point.design));
              set((s) => ({ frontier: { ...s.frontier, points: [...s.frontier.points, point] }, points: measured ? withFrontierPoint(s, point, measured, deps) : s.points }));
            },
          },
        );
        if (!still()) return;
        set((s) => ({ frontier: { ...s.frontier, status: 'done', progress: null, points: result.points } }));
        if (forAllocation && result.points[0]) deps.applyAllocation(result.points[0]);
      } catch (error) {
        if (!job.latest()) return; // superseded: the newer search owns the state
        set((s) => ({ frontier: { ...s.frontier, status: isAbortError(error) ? 'cancelled' : 'error', progress: null, error: isAbortError(error) ? undefined : errorMessage(error) } }));
      }
    },

    cancelFrontier() {
      deps.jobs.cancel('frontier');
      set((s) => (s.frontier.status === 'running' ? { frontier: { ...s.frontier, status: 'cancelled', progress: null } } : {}));
    },

    applyFrontierPoint(index) {
      const point = get().frontier.points[index];
      if (point && get().model?.sha256 === get().frontier.modelSha256) get().loadDesign(point.design);
    },
  };
}

/** The design points with the frontier point added (once per design and folding), with its measurement. */
function withFrontierPoint(state: AppState, point: FrontierPoint, measured: MeasuredAccuracy, deps: FrontierDepsForStore): DesignPoint[] {
  const model = state.model!;
  const key = designKey(state, point.design);
  const same = state.points.some((p) => p.modelSha256 === model.sha256 && designKey(state, p.design) === key && JSON.stringify(p.design.hardware) === JSON.stringify(point.design.hardware));
  if (same) return state.points;
  const metrics = deps.pointMetrics(state, point.design, measured);
  const created: DesignPoint = {
    id: `f${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
    name: `search: ${point.label}${point.met ? '' : ' (not met)'}`,
    createdAt: new Date().toISOString(),
    modelSha256: model.sha256,
    design: structuredClone(point.design),
    metrics,
  };
  return [...state.points, created];
}

const NO_POINTS: FrontierPoint[] = [];

/** For views (a stable selector: the same array while nothing changed): the frontier points of the open model. */
export function frontierOfModel(state: Pick<AppState, 'frontier' | 'model'>): FrontierPoint[] {
  return state.frontier.modelSha256 && state.frontier.modelSha256 === state.model?.sha256 ? state.frontier.points : NO_POINTS;
}
