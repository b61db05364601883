/**
 * The explorer's application layer, in plain TypeScript (in the spirit of tldraw's `Editor`): a
 * Session owns the jobs and their results (float baseline, the design's measurement, sweeps), the
 * caches (measurements and recovered models by measurement key), the data buffers, and the
 * reactions (measure once the design is still; measure the float baseline of every newly opened
 * model). What sets a reaction up tears it down: `start()` returns the function that stops them.
 *
 * It reads and writes its state through a `StateHost` (the zustand store in the browser is one;
 * anything with getState/setState/subscribe is), and reaches workers only through the `workers`
 * it is given, so a test or the CLI constructs it with in-process implementations
 * (src/app/in-process.ts) and no module is mocked.
 */
import { recoveryOf, type Design, type RecoveryRecipe } from '../core/design/design.ts';
import type { RetrainOptions } from '../core/train/retrain.ts';
import { isComputeKind } from '../core/graph/layer.ts';
import { isAbortError } from '../core/errors.ts';
import { DEFAULT_BITS, DEFAULT_RATIOS, type SweepResult } from '../core/sensitivity/types.ts';
import type { AnyDatasetRef, DatasetRef, EvaluateConfigOptions, EvaluateModelOptions, WorkerEvalResult } from '../workers-client/evaluator.ts';
import type { SweepCallbacks, SweepJobInput } from '../workers-client/sweep.ts';
import type { Allocation } from '../core/sensitivity/allocator.ts';
import { dataMismatch } from './data-fit.ts';
import { DatasetBuffers } from './dataset-buffers.ts';
import { errorMessage, JobSlots } from './jobs.ts';
import { MeasurementKeys } from './measurement.ts';
import { measureReconstructed, measurementOf, type RetrainFn } from './recovery.ts';
import type { DataWorkers } from './data-session.ts';
import type { CurvePoint, DataSliceState, DesignPoint, JobState, MeasuredAccuracy, OpenModel, RetrainState, SweepOptions, SweepState } from './state.ts';
import { BoundedStore, MAX_MEASUREMENTS, RecoveredModels, type KeyValueStore, type RecoveredModel } from './stores.ts';

/** What the session reads and writes of the shared state. */
export interface SessionState {
  model: OpenModel | null;
  openingModel: string | null;
  dataset: DataSliceState['dataset'];
  design: Design;
  evalLimit: number;
  baseline: JobState<WorkerEvalResult & { fromCache?: boolean }>;
  measured: JobState<MeasuredAccuracy>;
  measureJobs: number;
  retrain: RetrainState;
  points: DesignPoint[];
  sweep: SweepState;
  allocation: Allocation | null;
}

/** A zustand store is one; so is anything with these three. */
export interface StateHost<S> {
  getState(): S;
  setState(patch: Partial<S> | ((state: S) => Partial<S>)): void;
  subscribe(listener: (state: S, previous: S) => void): () => void;
}

/** Everything heavy the session runs, each call cancellable by its signal. */
export interface SessionWorkers {
  /** Float accuracy of a model. */
  evaluate(options: EvaluateModelOptions): Promise<WorkerEvalResult>;
  /** Accuracy of the model compressed with a config (calibrating activations when needed). */
  evaluateConfig(options: EvaluateConfigOptions): Promise<WorkerEvalResult>;
  /** Retraining; epochs 0 with reconstruct: the reconstructed model and its accuracy. */
  retrain: RetrainFn;
  sweep(input: SweepJobInput, callbacks: SweepCallbacks): Promise<SweepResult>;
  /** The dataset holder, head re-fit, recovery steps and compressor (src/app/data-session.ts). */
  data: DataWorkers;
}

export interface SessionDeps {
  workers: SessionWorkers;
  /** Measured accuracies by measurement key (IndexedDB in the browser). */
  measurements: KeyValueStore<unknown>;
  /** Recovered model bytes by measurement key (IndexedDB in the browser). */
  recoveredModels: KeyValueStore<RecoveredModel>;
  /** The bundled dataset: its manifest URL, its splits as the workers take them, and how to fetch its files. */
  bundled: { manifestUrl: string; evaluation: DatasetRef; calibration: DatasetRef; training: DatasetRef; fetch?: typeof fetch };
  /** Timers of the quiet-period reaction (tests may pass their own). */
  timers?: { setTimeout: (fn: () => void, ms: number) => unknown; clearTimeout: (handle: unknown) => void };
}

/** Pointer events that tell a drag from a still design (the page's window in the browser). */
export interface PointerSource {
  addEventListener(type: 'pointerdown' | 'pointerup' | 'pointercancel', listener: () => void, capture: boolean): void;
  removeEventListener(type: 'pointerdown' | 'pointerup' | 'pointercancel', listener: () => void, capture: boolean): void;
}

/** A measurement starts once the design has been still this long (and no pointer is held down). */
export const QUIET_MS = 700;

export const idleJob = <T>(): JobState<T> => ({ status: 'idle', progress: { done: 0, total: 0 } });
export const idleRetrain = (): RetrainState => ({ status: 'idle', phase: null, progress: { done: 0, total: 0 }, secondsLeft: null, curve: [] });

export class Session<S extends SessionState = SessionState> {
  /** One slot per job kind: starting one cancels the previous of its kind. */
  readonly jobs = new JobSlots();
  /** The data panel's jobs (import, head re-fit, recovery): opening a model cancels only the last two. */
  readonly dataJobs = new JobSlots();
  readonly buffers: DatasetBuffers;
  readonly keys: MeasurementKeys;
  readonly recovered: RecoveredModels;
  private readonly measurements: BoundedStore<unknown>;
  /** Reactions of collaborating parts (the data session): started and stopped with the session's own. */
  private readonly reactions: (() => () => void)[] = [];

  constructor(
    readonly host: StateHost<S>,
    readonly deps: SessionDeps,
  ) {
    const bundled = deps.bundled;
    this.buffers = new DatasetBuffers({ manifestUrl: () => bundled.manifestUrl, fetch: bundled.fetch ?? ((...args) => globalThis.fetch(...args)) });
    this.keys = new MeasurementKeys((state) => this.buffers.labelMapping(state));
    this.recovered = new RecoveredModels(deps.recoveredModels);
    this.measurements = new BoundedStore(deps.measurements, MAX_MEASUREMENTS);
  }

  private get state(): S {
    return this.host.getState();
  }
  private set(patch: Partial<SessionState> | ((state: S) => Partial<SessionState>)): void {
    this.host.setState(patch as Partial<S>);
  }

  /** A collaborator's reaction (set up by `start()`, torn down by the function it returns). */
  addReaction(startReaction: () => () => void): void {
    this.reactions.push(startReaction);
  }

  // ---- data -----------------------------------------------------------------------------------

  /** What evaluations use: the imported dataset when the user chose it, else the bundled test split. */
  evaluationData(state: SessionState = this.state): AnyDatasetRef {
    return this.buffers.evaluationRef(state) ?? this.deps.bundled.evaluation;
  }
  calibrationData(state: SessionState = this.state): AnyDatasetRef {
    return this.buffers.calibrationRef(state) ?? this.deps.bundled.calibration;
  }
  trainingData(state: SessionState = this.state): AnyDatasetRef {
    return this.buffers.trainingRef(state) ?? this.deps.bundled.training;
  }
  /** Identifies the data evaluations run on: the bundled test set, or an imported dataset by its id. */
  evaluationDataKey(state: Pick<SessionState, 'dataset'> = this.state): string {
    return state.dataset.source === 'imported' && state.dataset.imported ? `imported:${state.dataset.imported.identity.id}` : 'bundled';
  }

  /** The complete sweep of the open model on the current evaluation data, or null. */
  currentSweep(state: SessionState = this.state): SweepResult | null {
    const s = state.sweep;
    return s.result && s.modelSha256 === state.model?.sha256 && s.dataKey === this.evaluationDataKey(state) ? s.result : null;
  }

  // ---- caches ---------------------------------------------------------------------------------

  cachedMeasurement<T>(key: string): Promise<T | undefined> {
    return this.measurements.get(key).catch(() => undefined) as Promise<T | undefined>;
  }
  cacheMeasurement(key: string, value: unknown): Promise<void> {
    return this.measurements.set(key, value).catch(() => undefined);
  }
  /** Forgets every cached measurement and recovered model (a new session). */
  async clearCaches(): Promise<void> {
    await Promise.all([this.measurements.clear().catch(() => undefined), this.recovered.clear().catch(() => undefined)]);
  }

  /** The measurement the views show for the current design: a retrain of it, else its own measurement. */
  currentMeasurement(state: Pick<SessionState, 'model' | 'dataset' | 'design' | 'evalLimit' | 'measured' | 'retrain'> = this.state): MeasuredAccuracy | null {
    const retrained = state.retrain.result;
    if (retrained && retrained.designKey === this.keys.retrain(state)) return retrained;
    const measured = state.measured.result;
    return measured && measured.designKey === this.keys.design(state) ? measured : null;
  }

  /**
   * The recovered model the current design's measurement was of (reconstructed or retrained), from
   * memory or, after a reload, from the recovered-model store; null when its measurement was of
   * the compressed model, or its bytes were never kept.
   */
  recoveredModel(state: Pick<SessionState, 'model' | 'dataset' | 'design' | 'evalLimit' | 'measured' | 'retrain'> = this.state): Promise<RecoveredModel | null> {
    const own = this.currentMeasurement(state);
    return own ? this.recovered.get(own.designKey, own.sha256) : Promise.resolve(null);
  }

  /** Reconstruction-only measurement of a design: its bytes are kept under its key. */
  async measureReconstructed(input: Parameters<typeof measureReconstructed>[1], key: string, onProgress: (p: { done: number; total: number }) => void): Promise<MeasuredAccuracy> {
    const { measured, model } = await measureReconstructed(this.deps.workers.retrain, input, key, onProgress);
    void this.recovered.keep(key, model).catch(() => undefined);
    return measured;
  }

  // ---- the design -----------------------------------------------------------------------------

  /** Applies a pure design edit; measured accuracy of the old design no longer applies. */
  editDesign(edit: (design: Design) => Design): void {
    this.jobs.cancel('measure');
    // Already idle (a drag's later steps): the same object, so views of the measurement do not re-render.
    this.set((s) => ({ design: edit(s.design), measured: s.measured.status === 'idle' && !s.measured.result ? s.measured : idleJob() }));
  }

  /** The design's measurement no longer applies (its recipe changed what it is of): measured again once still. */
  forgetMeasurement(): void {
    this.jobs.cancel('measure');
    this.set({ measured: idleJob() });
  }

  /** Evaluation data or images changed: the float and design accuracies are measured again. */
  remeasure(): void {
    if (!this.state.model) return;
    this.jobs.cancel('measure');
    this.set({ measured: idleJob() });
    void this.runBaseline();
  }

  // ---- jobs -----------------------------------------------------------------------------------

  /** Cancels the open model's jobs (an open of another model starts); says which were running. */
  cancelModelJobs(): { baseline: boolean; measure: boolean; sweep: boolean; retrain: boolean } {
    const s = this.state;
    const running = {
      baseline: s.baseline.status === 'running',
      measure: s.measured.status === 'running',
      sweep: s.sweep.status === 'running',
      retrain: s.retrain.status === 'running',
    };
    for (const kind of ['baseline', 'measure', 'sweep', 'retrain'] as const) this.jobs.cancel(kind);
    for (const kind of ['recovery', 'refit'] as const) this.dataJobs.cancel(kind);
    return running;
  }

  async runBaseline(): Promise<void> {
    const model = this.state.model;
    if (!model) return;
    const mismatch = dataMismatch(this.state);
    if (mismatch) {
      this.jobs.cancel('baseline');
      this.set({ baseline: { status: 'error', progress: { done: 0, total: 0 }, error: mismatch.message } });
      return;
    }
    const key = this.keys.baseline(this.state);
    const cached = await this.cachedMeasurement<WorkerEvalResult>(key);
    if (cached && this.state.model === model && this.keys.baseline(this.state) === key) {
      this.jobs.cancel('baseline');
      this.set({ baseline: { status: 'done', progress: { done: cached.n, total: cached.n }, result: { ...cached, fromCache: true } } });
      return;
    }
    const job = this.jobs.start('baseline');
    this.set({ baseline: { status: 'running', progress: { done: 0, total: this.state.evalLimit } } });
    try {
      const result = await this.deps.workers.evaluate({
        modelBytes: model.bytes,
        inputShape: model.loaded.summary.inputs[0]?.shape ?? [],
        data: this.evaluationData(),
        limit: this.state.evalLimit,
        signal: job.signal,
        onProgress: (progress) => job.current() && this.set((s) => ({ baseline: { ...s.baseline, progress } })),
      });
      if (!job.current()) return;
      void this.cacheMeasurement(key, result);
      this.set({ baseline: { status: 'done', progress: { done: result.n, total: result.n }, result } });
    } catch (error) {
      if (!job.latest()) return; // superseded: the newer job owns the state
      this.set((s) => ({ baseline: { ...s.baseline, status: isAbortError(error) ? 'cancelled' : 'error', error: errorMessage(error) } }));
    }
  }

  cancelBaseline(): void {
    this.jobs.cancel('baseline');
  }

  /** Shows the cached measurement of the design, else measures it (fresh: always measure; cacheOnly: never start a job). */
  async measureDesign(options: { fresh?: boolean; cacheOnly?: boolean } = {}): Promise<void> {
    const { model, design, evalLimit } = this.state;
    if (!model) return;
    const key = this.keys.design(this.state);
    if (this.state.measured.result?.designKey === key && !options.fresh) return;
    const mismatch = dataMismatch(this.state);
    if (mismatch) {
      this.set({ measured: { status: 'error', progress: { done: 0, total: 0 }, error: mismatch.message } });
      return;
    }
    // A result measured before (this session or an earlier one) is shown at once, with no job.
    if (!options.fresh) {
      const retrained = this.keys.retrain(this.state);
      const [cached, cachedRetrain] = await Promise.all([this.cachedMeasurement<MeasuredAccuracy>(key), this.cachedMeasurement<MeasuredAccuracy>(retrained)]);
      if (this.keys.design(this.state) !== key) return; // the design moved on meanwhile
      if (cachedRetrain && this.keys.retrain(this.state) === retrained && this.state.retrain.result?.designKey !== retrained) {
        this.set((s) => ({ retrain: { ...s.retrain, result: { ...cachedRetrain, designKey: retrained, fromCache: true } } }));
      }
      if (cached) {
        this.jobs.cancel('measure');
        const result = { ...cached, designKey: key, fromCache: true };
        this.set((s) => ({ measured: { status: 'done', progress: { done: result.n, total: result.n }, result }, points: this.keys.withMeasurement(s.points, s, result) }));
        return;
      }
      if (options.cacheOnly) return;
    }
    const job = this.jobs.start('measure');
    this.set((s) => ({ measured: { status: 'running', progress: { done: 0, total: evalLimit } }, measureJobs: s.measureJobs + 1 }));
    const finish = (result: MeasuredAccuracy) => {
      if (!job.current()) return;
      void this.cacheMeasurement(key, result);
      this.set((s) => ({ measured: { status: 'done', progress: { done: result.n, total: result.n }, result }, points: this.keys.withMeasurement(s.points, s, result) }));
    };
    const onProgress = (progress: { done: number; total: number }) => job.current() && this.set((s) => ({ measured: { ...s.measured, progress } }));
    try {
      const state = this.state;
      if (recoveryOf(design).reconstruct) {
        const calibration = this.calibrationData(state);
        finish(await this.measureReconstructed({ modelBytes: model.bytes, design, evalLimit, train: calibration, calibration, evaluation: this.evaluationData(state), signal: job.signal }, key, onProgress));
        return;
      }
      const result = await this.deps.workers.evaluateConfig({
        modelBytes: model.bytes,
        inputShape: model.loaded.summary.inputs[0]?.shape ?? [],
        data: this.evaluationData(state),
        calibration: this.calibrationData(state),
        config: design.compression,
        limit: evalLimit,
        signal: job.signal,
        onProgress,
      });
      finish({ ...result, designKey: key });
    } catch (error) {
      if (!job.latest()) return; // superseded: the newer job owns the state
      if (!job.current()) return; // superseded by a newer design: nothing stale is kept
      this.set((s) => ({ measured: { ...s.measured, status: isAbortError(error) ? 'cancelled' : 'error', error: errorMessage(error) } }));
    }
  }

  cancelMeasure(): void {
    this.jobs.cancel('measure');
    this.set((s) => ({ measured: { ...s.measured, status: 'cancelled' } }));
  }

  // ---- retrain (recovery as part of the design, issue 13) ---------------------------------------

  /** Changes the design's recovery recipe; switching reconstruction changes what the measurement is of. */
  setRecovery(change: Partial<Omit<RecoveryRecipe, 'retrain'>> & { retrain?: Partial<RecoveryRecipe['retrain']> }): void {
    const current = recoveryOf(this.state.design);
    const next: RecoveryRecipe = { ...current, ...change, retrain: { ...current.retrain, ...change.retrain } };
    this.set((s) => ({ design: { ...s.design, recovery: next } }));
    if (next.reconstruct !== current.reconstruct) this.forgetMeasurement();
  }

  /**
   * Fine-tunes (or trains quantization-aware) the design with its recipe; the result belongs to
   * exactly one design + recipe + data + image count (the retrain key), and its model is kept.
   */
  async retrainDesign(): Promise<void> {
    const state = this.state;
    const { model, design, evalLimit } = state;
    if (!model) return;
    const job = this.jobs.start('retrain');
    const recipe = recoveryOf(design);
    const key = this.keys.retrain(state);
    const r = recipe.retrain;
    const options: Partial<RetrainOptions> = {
      epochs: Math.max(1, r.epochs),
      lr: r.lr,
      batchSize: r.batchSize,
      kd: r.kd,
      qat: r.qat && !!design.compression.quant,
      seed: r.seed,
      ...(r.trainImages ? { limit: r.trainImages } : {}),
    };
    const curve: CurvePoint[] = [];
    this.set({ retrain: { ...idleRetrain(), status: 'running', phase: 'prepare', result: state.retrain.result } });
    try {
      const result = await this.deps.workers.retrain({
        modelBytes: model.bytes,
        config: design.compression,
        train: this.trainingData(state),
        calibration: this.calibrationData(state),
        evaluation: this.evaluationData(state),
        evaluationLimit: evalLimit,
        reconstruct: recipe.reconstruct,
        options,
        signal: job.signal,
        onProgress: (p) => {
          if (!job.current()) return;
          const t = p.training;
          if (t) {
            const iteration = (t.epoch - 1) * Math.ceil(t.steps / t.epochs) + t.step;
            if (curve.at(-1)?.iteration !== iteration) curve.push({ iteration, trainLoss: t.loss, trainAccuracy: t.accuracy });
            this.set((s) => ({ retrain: { ...s.retrain, phase: `epoch ${t.epoch}/${t.epochs}`, progress: { done: t.step, total: t.steps }, secondsLeft: t.secondsLeft, curve: [...curve] } }));
          } else this.set((s) => ({ retrain: { ...s.retrain, phase: p.phase } }));
        },
      });
      if (!job.current()) return;
      void this.recovered.keep(key, { bytes: result.bytes, sha256: result.sha256 }).catch(() => undefined);
      const measured = measurementOf(result, key, recipe.reconstruct);
      void this.cacheMeasurement(key, measured);
      this.set((s) => ({ retrain: { ...s.retrain, status: 'done', phase: null, secondsLeft: null, result: measured } }));
    } catch (error) {
      if (!job.latest()) return; // superseded: the newer job owns the state
      // Cancelled or failed: the previous result (and the open model) stay as they were.
      this.set((s) => ({
        retrain: { ...s.retrain, status: isAbortError(error) ? 'cancelled' : 'error', phase: null, secondsLeft: null, error: isAbortError(error) ? undefined : errorMessage(error) },
      }));
    }
  }

  cancelRetrain(): void {
    this.jobs.cancel('retrain');
  }

  /** The sweep request of the form's options for the current design (the scheme and channel multiple it uses). */
  sweepRequest(options: SweepOptions, state: SessionState = this.state): SweepJobInput['request'] {
    const model = state.model!;
    const quant = state.design.compression.quant ?? {};
    const analysis = model.context.analysis;
    const layers = options.layers.length ? options.layers.filter((name) => isComputeKind(model.loaded.layers.find((l) => l.name === name)?.kind)) : null;
    const groups = options.layers.length
      ? [...new Set(options.layers.map((name) => analysis.layerGroup.get(name)).filter((g): g is string => !!g && !!analysis.groups.find((x) => x.id === g)?.prunable))]
      : null;
    return {
      ...(options.prune ? { prune: { ratios: [...DEFAULT_RATIOS], roundTo: state.design.compression.prune?.roundTo ?? 1, ...(groups ? { groups } : {}) } } : {}),
      ...(options.weightBits ? { weightBits: { bits: [...DEFAULT_BITS], ...(layers ? { layers } : {}) } } : {}),
      ...(options.activationBits ? { activationBits: { bits: [...DEFAULT_BITS], ...(layers ? { layers } : {}) } } : {}),
      scheme: { granularity: quant.granularity ?? 'per-channel', scale: quant.scale ?? 'float', rounding: quant.rounding ?? 'half-even' },
      limit: options.limit,
      ...(options.earlyStopDrop !== null ? { earlyStop: { maxDrop: options.earlyStopDrop } } : {}),
    };
  }

  async runSweep(options: SweepOptions): Promise<void> {
    const { model } = this.state;
    if (!model) return;
    const mismatch = dataMismatch(this.state);
    if (mismatch) {
      this.set((s) => ({ sweep: { ...s.sweep, status: 'error', progress: null, error: mismatch.message } }));
      return;
    }
    const job = this.jobs.start('sweep');
    this.set((s) => ({ sweep: { ...s.sweep, status: 'running', progress: null, error: undefined } }));
    try {
      const state = this.state;
      const result = await this.deps.workers.sweep(
        {
          modelBytes: model.bytes,
          modelName: model.loaded.summary.name,
          data: this.buffers.importedEvaluationData(state) ?? this.deps.bundled.evaluation,
          calibration: this.buffers.importedCalibrationData(state) ?? this.deps.bundled.calibration,
          request: this.sweepRequest(options, state),
        },
        { signal: job.signal, onProgress: (progress) => job.current() && this.set((s) => ({ sweep: { ...s.sweep, progress } })) },
      );
      if (job.current()) this.set({ sweep: { status: 'done', progress: null, result, modelSha256: model.sha256, dataKey: this.evaluationDataKey() } });
    } catch (error) {
      if (!job.latest()) return; // superseded: the newer job owns the state
      // A cancelled sweep keeps the previous complete result, never a partial one.
      this.set((s) => ({ sweep: { ...s.sweep, status: isAbortError(error) ? 'cancelled' : 'error', progress: null, error: errorMessage(error) } }));
    }
  }

  cancelSweep(): void {
    this.jobs.cancel('sweep');
  }

  /** Shows a sweep read from a file (already checked against the open model) as the current one. */
  loadSweep(result: SweepResult): void {
    const model = this.state.model;
    if (!model) return;
    this.jobs.cancel('sweep');
    this.set({ sweep: { status: 'done', progress: null, result, modelSha256: model.sha256, dataKey: this.evaluationDataKey() }, allocation: null });
  }

  // ---- reactions ------------------------------------------------------------------------------

  /**
   * Starts the session's reactions; the returned function stops every one of them.
   * - Every newly opened model gets its float accuracy measured (from the cache when known).
   * - Measured accuracy follows the design, but never during a drag: a measurement starts once
   *   the design has been still for QUIET_MS and no pointer is held down. A cached result is
   *   shown at once, even while the baseline runs (no second job competes with the baseline).
   */
  start(pointers?: PointerSource): () => void {
    const timers = this.deps.timers ?? { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>) };
    let timer: unknown;
    let pointerDown = false;
    const ready = (s: SessionState) => !!s.model && !s.openingModel && s.baseline.status !== 'idle';
    const fire = () => {
      if (pointerDown) return; // released later: pointerup schedules again
      const s = this.state;
      // While another file is being opened the old model's jobs are cancelled: nothing new starts for it.
      if (!ready(s)) return;
      void this.measureDesign({ cacheOnly: s.baseline.status === 'running' });
    };
    const schedule = () => {
      timers.clearTimeout(timer);
      timer = timers.setTimeout(fire, QUIET_MS);
    };
    const down = () => {
      pointerDown = true;
      timers.clearTimeout(timer);
    };
    const up = () => {
      if (!pointerDown) return;
      pointerDown = false;
      schedule();
    };
    pointers?.addEventListener('pointerdown', down, true);
    pointers?.addEventListener('pointerup', up, true);
    pointers?.addEventListener('pointercancel', up, true);
    /** What a measurement depends on: when none of these changed, there is nothing to do. */
    const inputs = (s: SessionState) => [s.model, s.openingModel, s.design.compression, s.design.recovery?.reconstruct, s.evalLimit, s.baseline.status, s.dataset.source, s.dataset.imported, s.dataset.mappingOverride];
    const unsubscribe = this.host.subscribe((state, previous) => {
      if (state.model && state.model !== previous.model) void this.runBaseline();
      const now = inputs(state);
      const before = inputs(previous);
      if (!now.some((v, i) => v !== before[i])) return;
      // A result measured before shows at once (a reload, a restored point); a job waits for quiet.
      if (!pointerDown && ready(state)) void this.measureDesign({ cacheOnly: true });
      schedule();
    });
    // A model opened before the reactions started gets its baseline too.
    if (this.state.model && this.state.baseline.status === 'idle') void this.runBaseline();
    const stopCollaborators = this.reactions.map((startReaction) => startReaction());
    return () => {
      stopCollaborators.forEach((stop) => stop());
      timers.clearTimeout(timer);
      unsubscribe();
      pointers?.removeEventListener('pointerdown', down, true);
      pointers?.removeEventListener('pointerup', up, true);
      pointers?.removeEventListener('pointercancel', up, true);
    };
  }

  /** Stops every job of the session. */
  cancelAll(): void {
    this.jobs.cancelAll();
  }
}
