/**
 * The joint search (issue 15 §3) as part of the session: one call runs src/core/design/frontier.ts
 * at several targets; each design it asks for is measured by the session's workers (the
 * evaluator, or reconstruction when the recovery recipe says so), through the measurement cache,
 * so a design measured before is not measured again and a restored frontier point shows its
 * accuracy at once. Each decided point is added to the design points.
 */
import { evaluateDesign, recoveryOf, type Design } from '../core/design/design.ts';
import { frontierJobKey, searchFrontier, type FrontierJob, type FrontierMeasurement, type FrontierPoint, type FrontierTarget } from '../core/design/frontier.ts';
import { EdgefoldError, isAbortError } from '../core/errors.ts';
import type { Device } from '../core/hw/devices.ts';
import { errorMessage } from './jobs.ts';
import { pointMetrics } from './measurement.ts';
import type { Session, SessionState } from './session.ts';
import type { DesignPoint, FrontierState, MeasuredAccuracy } from './state.ts';

export type FrontierSessionState = SessionState & { frontier: FrontierState; customDevices: Device[] };

export const idleFrontier = (): FrontierState => ({ status: 'idle', progress: null, modelSha256: null, targets: [], points: [], measurements: 0, recovered: false, baseline: null, forAllocation: false });

export class FrontierSearch<S extends FrontierSessionState = FrontierSessionState> {
  constructor(readonly session: Session<S>) {}

  private get state(): S {
    return this.session.host.getState();
  }
  private set(patch: Partial<FrontierSessionState> | ((state: S) => Partial<FrontierSessionState>)): void {
    this.session.host.setState(patch as Partial<S>);
  }

  /** `forAllocation`: auto-allocate's measured budget search (the design's folding kept, the chosen design applied). */
  async run(targets: FrontierTarget[], options: { maxAttempts?: number; forAllocation?: boolean } = {}): Promise<void> {
    const session = this.session;
    const start = this.state;
    const { model } = start;
    if (!model) return;
    const job = session.jobs.start('frontier');
    const recovered = recoveryOf(start.design).reconstruct;
    const forAllocation = options.forAllocation ?? false;
    this.set({ frontier: { ...idleFrontier(), status: 'running', modelSha256: model.sha256, targets, recovered, forAllocation } });
    const still = () => job.current() && this.state.model === model;
    try {
      const sweep = session.currentSweep(start);
      if (!sweep) throw new EdgefoldError('bad-input', 'Run (or import) a sensitivity sweep of this model on this data first: the search allocates from its curves.', 'sweep');
      // Drops are measured against the float model on the same images.
      if (this.state.baseline.status !== 'done' || !this.state.baseline.result) await session.runBaseline();
      const b = this.state.baseline.result;
      if (!still()) return;
      if (!b) throw new EdgefoldError('bad-input', `The float baseline could not be measured: ${this.state.baseline.error ?? 'unknown reason'}.`, 'baseline');
      const baseline = { top1: b.top1, n: b.n };
      this.set((s) => ({ frontier: { ...s.frontier, baseline } }));

      // The full measurement of each design (with its recovery records), by the search's job key.
      const byJob = new Map<string, MeasuredAccuracy>();
      const measure = async (request: FrontierJob, signal?: AbortSignal): Promise<FrontierMeasurement> => {
        // The data and image count the search started with (and its baseline was measured on).
        const state = { ...this.state, evalLimit: start.evalLimit, dataset: start.dataset };
        const key = session.keys.design(state, request.design);
        const cached = await session.cachedMeasurement<MeasuredAccuracy>(key);
        const done = (m: MeasuredAccuracy): FrontierMeasurement => {
          byJob.set(request.key, m);
          return { top1: m.top1, ci95: m.ci95, n: m.n, ...(m.raw ? { rawTop1: m.raw.top1 } : {}) };
        };
        if (cached) return done(cached);
        this.set((s) => ({ frontier: { ...s.frontier, measurements: s.frontier.measurements + 1 } }));
        const calibration = session.calibrationData(state);
        const evaluation = session.evaluationData(state);
        const measured: MeasuredAccuracy = request.reconstruct
          ? await session.measureReconstructed(
              { modelBytes: model.bytes, design: request.design, evalLimit: state.evalLimit, train: calibration, calibration, evaluation, signal: signal ?? job.signal },
              key,
              () => undefined,
            )
          : {
              ...(await session.deps.workers.evaluateConfig({
                modelBytes: model.bytes,
                inputShape: model.loaded.summary.inputs[0]?.shape ?? [],
                data: evaluation,
                calibration,
                config: request.design.compression,
                limit: state.evalLimit,
                signal: signal ?? job.signal,
              })),
              designKey: key,
            };
        void session.cacheMeasurement(key, measured);
        // A saved point (or the current design) waiting for this design's measurement receives it.
        if (still()) this.set((s) => ({ points: session.keys.withMeasurement(s.points, s, measured) }));
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
          onProgress: (progress) => still() && this.set((s) => ({ frontier: { ...s.frontier, progress } })),
          onPoint: (point) => {
            if (!still() || forAllocation) return;
            const measured = byJob.get(frontierJobKey(point.design));
            this.set((s) => ({ frontier: { ...s.frontier, points: [...s.frontier.points, point] }, points: measured ? this.withFrontierPoint(s, point, measured) : s.points }));
          },
        },
      );
      if (!still()) return;
      this.set((s) => ({ frontier: { ...s.frontier, status: 'done', progress: null, points: result.points } }));
      const chosen = result.points[0];
      if (forAllocation && chosen) {
        this.set({ allocation: chosen.allocation });
        session.editDesign(() => chosen.design);
      }
    } catch (error) {
      if (!job.latest()) return; // superseded: the newer search owns the state
      this.set((s) => ({ frontier: { ...s.frontier, status: isAbortError(error) ? 'cancelled' : 'error', progress: null, error: isAbortError(error) ? undefined : errorMessage(error) } }));
    }
  }

  cancel(): void {
    this.session.jobs.cancel('frontier');
    this.set((s) => (s.frontier.status === 'running' ? { frontier: { ...s.frontier, status: 'cancelled', progress: null } } : {}));
  }

  /** Makes a frontier point's design the current design. */
  apply(index: number): void {
    const { frontier, model } = this.state;
    const point = frontier.points[index];
    if (point && model?.sha256 === frontier.modelSha256) this.session.editDesign(() => structuredClone(point.design) as Design);
  }

  /** The design points with the frontier point added (once per design and folding), with its measurement. */
  private withFrontierPoint(state: S, point: FrontierPoint, measured: MeasuredAccuracy): DesignPoint[] {
    const model = state.model!;
    const keys = this.session.keys;
    const key = keys.design(state, point.design);
    const same = state.points.some((p) => p.modelSha256 === model.sha256 && keys.design(state, p.design) === key && JSON.stringify(p.design.hardware) === JSON.stringify(point.design.hardware));
    if (same) return state.points;
    const created: DesignPoint = {
      id: `f${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
      name: `search: ${point.label}${point.met ? '' : ' (not met)'}`,
      createdAt: new Date().toISOString(),
      modelSha256: model.sha256,
      design: structuredClone(point.design),
      metrics: pointMetrics(evaluateDesign(model.context, point.design, state.customDevices), measured),
    };
    return [...state.points, created];
  }
}
