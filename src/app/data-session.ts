/**
 * The session's data side (issue 15 §6): an imported dataset (import, preprocessing, split, label
 * mapping), which dataset evaluations use, the head re-fit, and the Recovery panel's step-by-step
 * run. Plain TypeScript over the session's state host; the workers (dataset, re-fit, evaluator)
 * are the session's injected `workers.data`, so tests and the CLI run it in-process.
 *
 * Heavy things stay out of the view state: the decoded source stays with the dataset holder (by
 * key), the prepared pixel buffers are the session's (`session.buffers`), the recovered model bytes
 * its recovered-model store; the state carries what views show.
 *
 * The Recovery panel's last result for a design is kept in the measurement store under the
 * design's measurement key (and its model under the same key in the recovered-model store), so a
 * reload, or a return to the design, shows it at once with no new job.
 */
import type { DatasetInput, ImportAnswer, PrepareAnswer } from '../core/data/held.ts';
import type { PreprocessSpec } from '../core/data/preprocess.ts';
import { DEFAULT_SPLIT, type SplitSpec } from '../core/data/split.ts';
import type { DatasetSummary, ImportProgress } from '../core/data/types.ts';
import type { Preprocessing } from '../core/eval/dataset.ts';
import { recoveryOf } from '../core/design/design.ts';
import { EdgefoldError, isAbortError } from '../core/errors.ts';
import type { Shape } from '../core/graph/layer.ts';
import { sha256Hex } from '../core/hash.ts';
import type { BiasCorrectionResult } from '../core/transfer/bias-correction.ts';
import type { ReconstructionResult } from '../core/transfer/reconstruct.ts';
import { recoverCompressed, type RecoveryStepName, type RecoveryStepRecord } from '../core/transfer/recover.ts';
import type { BiasCorrectInWorkerOptions, ReconstructInWorkerOptions, RefitInWorkerOptions, WorkerRefitResult } from '../workers-client/data.ts';
import type { CompressedModel, EvaluateConfigOptions } from '../workers-client/evaluator.ts';
import { errorMessage } from './jobs.ts';
import { dataMismatch } from './data-fit.ts';
import type { Session, SessionState } from './session.ts';
import type { CurvePoint, DataJob, DataSliceState, OpenModel, RecoverySettings, RecoveryState, RefitSummary, SavedDataset, TrainSettings } from './state.ts';

/** The dataset holder, the re-fit / recovery steps and the compressor (workers in the browser, in-process in Node). */
export interface DataWorkers {
  /** Decodes and checks a dataset; it stays held (by key) until releaseDataset. */
  importDataset(input: DatasetInput, options: { signal?: AbortSignal; onProgress?: (p: ImportProgress) => void }): Promise<ImportAnswer>;
  suggestPreprocessing(key: string, inputShape: Shape, hint?: Preprocessing): Promise<PreprocessSpec>;
  prepareDataset(
    key: string,
    spec: PreprocessSpec,
    split: SplitSpec,
    options: { inputShape?: Shape; previewCount?: number; signal?: AbortSignal; onProgress?: (p: { done: number; total: number }) => void },
  ): Promise<PrepareAnswer>;
  releaseDataset(key: string): Promise<void>;
  refitHead(options: RefitInWorkerOptions): Promise<WorkerRefitResult>;
  biasCorrect(options: BiasCorrectInWorkerOptions): Promise<BiasCorrectionResult>;
  reconstruct(options: ReconstructInWorkerOptions): Promise<ReconstructionResult & { threads: number }>;
  /** The design's compressed model (activations calibrated when quantized). */
  compress(options: Pick<EvaluateConfigOptions, 'modelBytes' | 'inputShape' | 'config' | 'calibration'>): Promise<CompressedModel>;
}

export type DataSessionState = SessionState & Pick<DataSliceState, 'headRefit' | 'recovery'>;

export interface DataSessionOptions {
  /** Opens the re-fitted model as the session's model; rejects with the reason it could not. */
  openModel(bytes: Uint8Array, fileName: string): Promise<void>;
}

/** What the measurement store keeps of a Recovery panel run (the view's result, not its progress). */
type StoredRecovery = Pick<RecoveryState, 'settings' | 'floatAccuracy' | 'compressed' | 'steps' | 'curve' | 'data' | 'sha256' | 'fileName'>;

export const DEFAULT_TRAIN_SETTINGS: TrainSettings = { optimizer: 'lbfgs', weightDecay: 0.01, maxIterations: 300 };
export const DEFAULT_RECOVERY_SETTINGS: RecoverySettings = { biasCorrection: true, headRefit: true, mode: 'sequential', reference: 'auto' };

const idleDataJob = (): DataJob => ({ status: 'idle', stage: null, progress: { done: 0, total: 0 } });

export function initialDataState(): DataSliceState {
  return {
    dataset: { imported: null, job: idleDataJob(), source: 'bundled', mappingOverride: null, bundled: null },
    headRefit: { status: 'idle', phase: null, progress: { done: 0, total: 0 }, curve: [], settings: { ...DEFAULT_TRAIN_SETTINGS } },
    recovery: { status: 'idle', stage: null, progress: { done: 0, total: 0 }, settings: { ...DEFAULT_RECOVERY_SETTINGS }, key: null, steps: [], curve: [], jobs: 0 },
  };
}

/** The Recovery panel's results and models are kept apart from the design measurement's of the same key. */
export const recoveryPanelKey = (key: string): string => `recovery-panel:${key}`;

const inputShapeOf = (model: OpenModel) => model.loaded.summary.inputs[0]?.shape ?? [];
const sameShape = (a: readonly (number | null)[], b: readonly number[]) => a.length === b.length + 1 && b.every((d, i) => a[i + 1] === d);

export class DataSession<S extends DataSessionState = DataSessionState> {
  constructor(
    readonly session: Session<S>,
    private readonly options: DataSessionOptions,
  ) {
    session.addReaction(() => this.start());
  }

  private get state(): S {
    return this.session.host.getState();
  }
  private set(patch: Partial<DataSessionState> | ((state: S) => Partial<DataSessionState>)): void {
    this.session.host.setState(patch as Partial<S>);
  }
  private get workers(): DataWorkers {
    return this.session.deps.workers.data;
  }
  private get jobs() {
    return this.session.dataJobs;
  }
  private get buffers() {
    return this.session.buffers;
  }
  private setDataset(patch: Partial<DataSliceState['dataset']>): void {
    this.set((s) => ({ dataset: { ...s.dataset, ...patch } }));
  }
  private setJob(patch: Partial<DataJob>): void {
    this.set((s) => ({ dataset: { ...s.dataset, job: { ...s.dataset.job, ...patch } } }));
  }
  private release(key: string): void {
    void this.workers.releaseDataset(key).catch(() => undefined);
  }

  // ---- derived --------------------------------------------------------------------------------

  /** The key a recovery result belongs to: the model, the exact design, the evaluation data (the one measurement key). */
  recoveryKey(state: Pick<S, 'model' | 'design' | 'evalLimit' | 'dataset'> = this.state): string | null {
    return state.model ? this.session.keys.design(state) : null;
  }

  /** Recovery steps to record in the deployment config: only those of the current design, model and data. */
  currentRecoverySteps(state: S = this.state): RecoveryStepRecord[] {
    const r = state.recovery;
    return r.status === 'done' && r.key !== null && r.key === this.recoveryKey(state) ? r.steps : [];
  }

  /** The Recovery panel's model of the current design, when its result is shown (run now, or restored after a reload). */
  recoveredModel(state: S = this.state): { bytes: Uint8Array; fileName: string; sha256: string } | null {
    const key = this.recoveryKey(state);
    const kept = key ? this.session.recovered.peek(recoveryPanelKey(key)) : null;
    return kept ? { bytes: kept.bytes, fileName: kept.fileName ?? 'recovered.onnx', sha256: kept.sha256 } : null;
  }

  // ---- the imported dataset -------------------------------------------------------------------

  /** Prepares the dataset held under `key` and makes it the active one. */
  private async prepare(
    key: string,
    answer: { summary: DatasetSummary; classIds?: number[] },
    spec: PreprocessSpec,
    suggested: PreprocessSpec,
    split: SplitSpec,
    job: { signal: AbortSignal; current: () => boolean },
  ): Promise<boolean> {
    const model = this.state.model;
    if (!model) throw new EdgefoldError('bad-input', 'open a model first: the preprocessing follows its input.', 'model');
    this.setJob({ stage: 'preparing', progress: { done: 0, total: answer.summary.count }, file: undefined });
    const prepared = await this.workers.prepareDataset(key, spec, split, {
      inputShape: inputShapeOf(model),
      previewCount: 16,
      signal: job.signal,
      onProgress: (p) => job.current() && this.setJob({ progress: p }),
    });
    if (!job.current()) return false;
    const previous = this.state.dataset.imported;
    this.buffers.hold({ id: prepared.identity.id, all: prepared.all, calibration: prepared.calibration, training: prepared.training, validation: prepared.validation });
    if (previous && previous.key !== key) this.release(previous.key);
    this.setDataset({
      imported: { key, summary: answer.summary, classIds: answer.classIds, spec, suggested, split, identity: prepared.identity, preview: prepared.preview, warnings: prepared.warnings },
      job: { status: 'done', stage: null, progress: { done: answer.summary.count, total: answer.summary.count } },
      mappingOverride: previous?.identity.contentSha256 === prepared.identity.contentSha256 ? this.state.dataset.mappingOverride : null,
    });
    // A model the bundled images do not fit has no other data to evaluate on: use the imported data at once.
    if (this.state.dataset.source === 'bundled' && dataMismatch(this.state)) this.setEvaluationSource('imported');
    else if (this.state.dataset.source === 'imported') this.session.remeasure();
    return true;
  }

  private fail(error: unknown, what: string): void {
    const cancelled = isAbortError(error);
    const still = this.state.dataset.imported;
    this.setJob({
      status: cancelled ? 'cancelled' : 'error',
      stage: null,
      error: cancelled ? undefined : `${what}: ${errorMessage(error)}${still ? ` The dataset ${still.summary.name} is still in use.` : ''}`,
    });
  }

  /** Imports and prepares a dataset; on any error the previous dataset stays (and false comes back). */
  async importData(inputOrPicker: DatasetInput | (() => Promise<DatasetInput>)): Promise<boolean> {
    const job = this.jobs.start('data');
    this.setJob({ status: 'running', stage: 'importing', progress: { done: 0, total: 0 }, file: undefined, error: undefined });
    let key: string | undefined;
    let name = 'the data';
    try {
      const input = typeof inputOrPicker === 'function' ? await inputOrPicker() : inputOrPicker;
      name = input.kind === 'pair' ? `${input.images.name} + ${input.labels.name}` : input.kind === 'manifest' ? input.url : input.name;
      const model = this.state.model;
      if (!model) throw new EdgefoldError('bad-input', 'open a model first: the preprocessing follows its input.', 'model');
      const manifest = await this.buffers.bundledManifest().catch(() => null);
      if (manifest && !this.state.dataset.bundled) this.setDataset({ bundled: { classes: manifest.classes, preprocessing: manifest.preprocessing, shape: manifest.shape } });
      const answer = await this.workers.importDataset(input, {
        signal: job.signal,
        onProgress: (p) => job.current() && this.setJob({ progress: { done: p.done, total: p.total }, file: p.file }),
      });
      key = answer.key;
      // The model's training normalisation: the bundled data's when the model takes its image shape.
      const hint = answer.preprocessingHint ?? (manifest && sameShape(inputShapeOf(model), manifest.shape) ? manifest.preprocessing : undefined);
      const spec = await this.workers.suggestPreprocessing(key, inputShapeOf(model), hint);
      const ok = await this.prepare(key, answer, spec, spec, this.state.dataset.imported?.split ?? { ...DEFAULT_SPLIT }, job);
      if (!ok) this.release(key);
      else this.buffers.input = input;
      return ok;
    } catch (error) {
      if (key) this.release(key);
      if (job.current() || isAbortError(error)) this.fail(error, `Import of ${name} failed`);
      return false;
    }
  }

  /** Imports a saved dataset again with its saved preprocessing, split, label mapping and source. */
  async restoreData(saved: SavedDataset): Promise<boolean> {
    if (!(await this.importData(saved.input))) return false;
    const imported = this.state.dataset.imported!;
    const same = JSON.stringify([imported.spec, imported.split]) === JSON.stringify([saved.spec, saved.split]);
    if (!same && !(await this.prepareData(saved.spec, saved.split))) return false;
    this.setDataset({ mappingOverride: saved.mappingOverride });
    if (saved.source === 'imported') this.setEvaluationSource('imported');
    return true;
  }

  /** Preprocesses and splits the imported data again with new settings. */
  async prepareData(spec: PreprocessSpec, split: SplitSpec): Promise<boolean> {
    const imported = this.state.dataset.imported;
    if (!imported) return false;
    const job = this.jobs.start('data');
    this.setJob({ status: 'running', stage: 'preparing', progress: { done: 0, total: imported.summary.count }, error: undefined });
    try {
      return await this.prepare(imported.key, imported, spec, imported.suggested, split, job);
    } catch (error) {
      if (job.current() || isAbortError(error)) this.fail(error, 'These settings cannot be used');
      return false;
    }
  }

  cancelDataJob(): void {
    this.jobs.cancel('data');
  }

  dismissDataError(): void {
    this.setJob({ error: undefined, status: this.state.dataset.imported ? 'done' : 'idle' });
  }

  removeDataset(): void {
    const { imported, source } = this.state.dataset;
    this.jobs.cancel('data');
    if (imported) this.release(imported.key);
    this.buffers.release();
    this.setDataset({ imported: null, job: idleDataJob(), source: 'bundled', mappingOverride: null });
    if (source === 'imported') this.session.remeasure();
  }

  /** Dataset class -> model output (-1: left out of evaluation). */
  setLabelMapping(datasetClass: number, output: number): void {
    const state = this.state;
    const current = this.buffers.labelMapping(state);
    if (!state.model || !current) return;
    const toModel = [...current.toModel];
    toModel[datasetClass] = output;
    this.setDataset({ mappingOverride: { modelSha256: state.model.sha256, toModel } });
    if (state.dataset.source === 'imported') this.session.remeasure();
  }

  resetLabelMapping(): void {
    this.setDataset({ mappingOverride: null });
    if (this.state.dataset.source === 'imported') this.session.remeasure();
  }

  setEvaluationSource(source: DataSliceState['dataset']['source']): void {
    if (source === this.state.dataset.source) return;
    if (source === 'imported' && !this.state.dataset.imported) return;
    this.setDataset({ source });
    this.session.remeasure();
  }

  // ---- head re-fit ----------------------------------------------------------------------------

  setTrainSettings(settings: Partial<TrainSettings>): void {
    this.set((s) => ({ headRefit: { ...s.headRefit, settings: { ...s.headRefit.settings, ...settings } } }));
  }

  async runHeadRefit(): Promise<void> {
    const state = this.state;
    const { model } = state;
    const imported = state.dataset.imported;
    if (!model || !imported) return;
    const job = this.jobs.start('refit');
    const settings = state.headRefit.settings;
    this.set((s) => ({ headRefit: { ...s.headRefit, status: 'running', phase: 'features', progress: { done: 0, total: 0 }, curve: [], error: undefined } }));
    // What the open model scores on the same validation images, when it was just measured on them.
    const b = state.baseline.result;
    const before = state.dataset.source === 'imported' && b && b.dataset === imported.summary.name && b.split === 'validation' ? { top1: b.top1, n: b.n } : undefined;
    try {
      const training = this.buffers.rawSplit(imported.identity.id, 'training');
      const validation = this.buffers.rawSplit(imported.identity.id, 'validation');
      if (!training.count) throw new EdgefoldError('bad-input', 'the training split is empty: give it a larger fraction.', 'split.training');
      const curve: CurvePoint[] = [];
      const result = await this.workers.refitHead({
        modelBytes: model.bytes,
        training,
        validation: validation.count ? validation : undefined,
        options: settings,
        signal: job.signal,
        onProgress: (p) => {
          if (!job.current()) return;
          if (p.phase === 'training') {
            curve.push({ iteration: p.iteration, trainLoss: p.trainLoss, trainAccuracy: p.trainAccuracy, valLoss: p.valLoss, valAccuracy: p.valAccuracy });
            this.set((s) => ({ headRefit: { ...s.headRefit, phase: 'training', progress: { done: p.iteration, total: p.maxIterations }, curve: [...curve] } }));
          } else {
            this.set((s) => ({ headRefit: { ...s.headRefit, phase: p.phase, progress: { done: p.done, total: p.total } } }));
          }
        },
      });
      if (!job.current()) return;
      const toFileName = `${model.fileName.replace(/\.onnx$/i, '').replace(/\.refit$/, '')}.refit.onnx`;
      const summary: RefitSummary = {
        fromSha256: model.sha256,
        toFileName,
        classes: result.classes,
        iterations: result.iterations,
        converged: result.converged,
        train: result.train,
        validation: result.validation,
        verified: result.verified ? { top1: result.verified.top1, ci95: result.verified.ci95, n: result.verified.n } : undefined,
        before,
        seconds: result.seconds,
        datasetId: imported.identity.id,
      };
      // The new head's outputs are the dataset's classes: evaluations follow the imported data.
      this.setDataset({ source: 'imported' });
      await this.options.openModel(result.modelBytes, toFileName);
      this.set((s) => ({ headRefit: { ...s.headRefit, status: 'done', phase: null, result: summary } }));
    } catch (error) {
      if (!job.latest()) return; // superseded: the newer job owns the state
      // Cancelled or failed: the open model (and its head) is unchanged.
      this.set((s) => ({ headRefit: { ...s.headRefit, status: isAbortError(error) ? 'cancelled' : 'error', phase: null, error: isAbortError(error) ? undefined : errorMessage(error) } }));
    }
  }

  cancelHeadRefit(): void {
    this.jobs.cancel('refit');
  }

  // ---- the Recovery panel ---------------------------------------------------------------------

  setRecoverySettings(settings: Partial<RecoverySettings>): void {
    this.set((s) => ({ recovery: { ...s.recovery, settings: { ...s.recovery.settings, ...settings } } }));
  }

  async runRecovery(): Promise<void> {
    const state = this.state;
    const { model, design, evalLimit } = state;
    if (!model) return;
    const job = this.jobs.start('recovery');
    const settings = state.recovery.settings;
    const key = this.recoveryKey(state)!;
    const steps: RecoveryStepName[] = [
      ...(recoveryOf(design).reconstruct ? (['reconstruct'] as const) : []),
      ...(settings.biasCorrection ? (['bias-correction'] as const) : []),
      ...(settings.headRefit ? (['head-refit'] as const) : []),
    ];
    const progress = (stage: string, p: { done: number; total: number }) => job.current() && this.set((s) => ({ recovery: { ...s.recovery, stage, progress: p } }));
    this.set((s) => ({
      recovery: {
        ...s.recovery,
        status: 'running',
        stage: 'compressing',
        progress: { done: 0, total: 1 },
        key,
        steps: [],
        curve: [],
        compressed: undefined,
        floatAccuracy: undefined,
        sha256: undefined,
        fileName: undefined,
        fromCache: undefined,
        error: undefined,
        jobs: s.recovery.jobs + 1,
      },
    }));
    const workers = this.workers;
    try {
      const imported = state.dataset.source === 'imported' && state.dataset.imported ? state.dataset.imported : null;
      const evaluation = this.session.evaluationData(state);
      const calibration = imported ? this.buffers.importedCalibrationData(state)! : await this.buffers.bundledSplit('calibration');
      const training = imported ? this.buffers.mappedSplit(state, 'training') : calibration;
      const validation = imported ? this.buffers.mappedSplit(state, 'validation') : undefined;
      const inputShape = inputShapeOf(model);
      const compressed = await workers.compress({ modelBytes: model.bytes, inputShape, config: design.compression, calibration: this.session.calibrationData(state) });
      if (!job.current()) return;
      const b = state.baseline.result;
      const floatAccuracy =
        b && b.dataset === (imported ? imported.summary.name : 'Fashion-MNIST') && b.split === (imported ? 'validation' : 'test')
          ? { provenance: 'measured' as const, top1: b.top1, ci95: b.ci95, images: b.n, dataset: b.dataset, split: b.split }
          : undefined;
      const data = {
        evaluation: imported ? `${imported.summary.name}, validation split` : 'Fashion-MNIST test split',
        calibration: imported ? `${imported.summary.name}, calibration split (${calibration.count} images)` : `Fashion-MNIST calibration split (${calibration.count} training-set images)`,
        training: imported ? `${imported.summary.name}, training split (${training.count} images)` : `Fashion-MNIST calibration split (${training.count} training-set images; no validation curve)`,
      };
      this.set((s) => ({ recovery: { ...s.recovery, floatAccuracy, data } }));
      const curve: CurvePoint[] = [];
      const result = await recoverCompressed(
        {
          reconstruct: (floatBytes, compressedBytes, calibrationData, { signal, onProgress, ...options }) =>
            workers.reconstruct({ floatBytes, compressedBytes, calibration: calibrationData, options, signal, onProgress }),
          biasCorrect: (floatBytes, compressedBytes, calibrationData, { signal, onProgress, ...options }) =>
            workers.biasCorrect({ floatBytes, compressedBytes, calibration: calibrationData, options, signal, onProgress }),
          refit: (modelBytes, splits, { signal, onProgress, ...options }) => workers.refitHead({ modelBytes, training: splits.training, validation: splits.validation, options, signal, onProgress }),
          measure: async (bytes, signal, onProgress) => {
            const r = await this.session.deps.workers.evaluate({ modelBytes: bytes, inputShape, data: evaluation, limit: evalLimit, signal, onProgress });
            return { provenance: 'measured', top1: r.top1, ci95: r.ci95, images: r.n, dataset: r.dataset, split: r.split };
          },
        },
        {
          floatBytes: model.bytes,
          compressedBytes: compressed.bytes,
          config: design.compression,
          quantReport: compressed.report.quant,
          calibration,
          training,
          validation,
          datasetId: imported?.identity.id,
        },
        {
          steps,
          biasCorrection: { mode: settings.mode, ...(settings.reference !== 'auto' ? { reference: settings.reference } : {}) },
          refit: state.headRefit.settings,
          signal: job.signal,
          onProgress: (p) => {
            if (p.refit?.phase === 'training') {
              const t = p.refit;
              curve.push({ iteration: t.iteration, trainLoss: t.trainLoss, trainAccuracy: t.trainAccuracy, valLoss: t.valLoss, valAccuracy: t.valAccuracy });
              if (job.current()) this.set((s) => ({ recovery: { ...s.recovery, curve: [...curve] } }));
            }
            const stage =
              p.step === 'measuring'
                ? 'measuring'
                : p.refit
                  ? `head re-fit: ${p.refit.phase}`
                  : `${p.step === 'reconstruct' ? 'reconstruction' : 'bias correction'}${p.layer ? `: ${p.layer}` : ''}`;
              progress(stage, { done: p.done, total: p.total });
          },
          onStep: (record) => {
            if (job.current()) this.set((s) => ({ recovery: { ...s.recovery, steps: [...s.recovery.steps, record], compressed: s.recovery.compressed ?? record.accuracyBefore } }));
          },
        },
      );
      if (!job.current()) return;
      const fileName = `${model.fileName.replace(/\.onnx$/i, '')}.recovered.onnx`;
      const sha256 = await sha256Hex(result.modelBytes);
      // Kept under the design's key: a reload (or a return to this design) shows it with no new job.
      const stored: StoredRecovery = { settings, floatAccuracy, compressed: result.compressed, steps: result.steps, curve, data, sha256, fileName };
      await Promise.all([
        this.session.recovered.keep(recoveryPanelKey(key), { bytes: result.modelBytes, sha256, fileName }).catch(() => undefined),
        this.session.cacheMeasurement(recoveryPanelKey(key), stored),
      ]);
      if (!job.current()) return;
      this.set((s) => ({ recovery: { ...s.recovery, status: 'done', stage: null, compressed: result.compressed, steps: result.steps, sha256, fileName } }));
    } catch (error) {
      if (!job.latest()) return; // superseded: the newer job owns the state
      this.set((s) => ({ recovery: { ...s.recovery, status: isAbortError(error) ? 'cancelled' : 'error', stage: null, error: isAbortError(error) ? undefined : errorMessage(error) } }));
    }
  }

  cancelRecovery(): void {
    this.jobs.cancel('recovery');
  }

  /**
   * Shows the last Recovery panel result of the current design from the stores (after a reload, or
   * back on a design run before), with its model: no job starts. False when there is none (the
   * panel then keeps what it showed, marked stale when it was of another design).
   */
  async restoreRecovery(): Promise<boolean> {
    const key = this.recoveryKey();
    if (!key || this.state.recovery.status === 'running' || (this.state.recovery.key === key && this.state.recovery.status === 'done')) return false;
    const stored = await this.session.cachedMeasurement<StoredRecovery>(recoveryPanelKey(key));
    if (!stored?.sha256) return false;
    // The model's bytes must be the ones the result recorded (an entry trimmed from the model store is not shown).
    const model = await this.session.recovered.get(recoveryPanelKey(key), stored.sha256).catch(() => null);
    const now: RecoveryState = this.state.recovery; // read again: a run may have started meanwhile
    if (!model || this.recoveryKey() !== key || now.status === 'running') return false;
    this.set((s) => ({
      recovery: {
        ...s.recovery,
        ...stored,
        status: 'done',
        stage: null,
        progress: { done: 0, total: 0 },
        key,
        fromCache: true,
        error: undefined,
      },
    }));
    return true;
  }

  /** The reaction: a design, model or data the panel ran on before shows its result at once. */
  private start(): () => void {
    const inputs = (s: S) => [s.model, s.design, s.evalLimit, s.dataset.source, s.dataset.imported, s.dataset.mappingOverride];
    const unsubscribe = this.session.host.subscribe((state, previous) => {
      const now = inputs(state);
      const before = inputs(previous);
      if (now.some((v, i) => v !== before[i])) void this.restoreRecovery();
    });
    void this.restoreRecovery();
    return unsubscribe;
  }
}
