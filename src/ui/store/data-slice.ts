/**
 * The data slice of the app store: an imported dataset (import, preprocessing, split, label
 * mapping), which dataset evaluations use, the head re-fit and recovery after compression.
 *
 * Heavy things stay out of React state: the decoded source stays in the dataset worker (by key),
 * the prepared pixel buffers are the session's (`session.buffers`, src/app/dataset-buffers.ts), the
 * recovered model bytes its recovered-model store, and the state
 * carries what views show (summary, identity, preview tiles, curves, accuracies).
 */
import { errorMessage } from './job-slots.ts';
import type { StoreApi } from 'zustand';
import type { PreprocessSpec } from '../../core/data/preprocess.ts';
import { DEFAULT_SPLIT, type SplitSpec } from '../../core/data/split.ts';
import type { DatasetSummary, ImportProgress } from '../../core/data/types.ts';
import { EdgefoldError, isAbortError } from '../../core/errors.ts';
import { recoverCompressed, type RecoveryStepName, type RecoveryStepRecord } from '../../core/transfer/recover.ts';
import {
  biasCorrectInWorker,
  importDataset,
  prepareImportedDataset,
  reconstructInWorker,
  refitInWorker,
  releaseDataset,
  suggestPreprocessing,
} from '../../workers-client/data.ts';
import { compressInWorker, evaluateInWorker } from '../../workers-client/evaluator.ts';
import { sha256Hex } from '../../core/hash.ts';
import type { Session } from '../../app/session.ts';
import { recoveryOf } from '../../core/design/design.ts';
import type { AppState, OpenModel } from './types.ts';

// ---- state (types in src/app/state.ts) --------------------------------------------------------

export { modelOutputs } from '../../app/dataset-buffers.ts';
export type { ImportedData, DataJob, EvaluationSource, CurvePoint, TrainSettings, RefitSummary, RefitState, RecoverySettings, RecoveryState, DataSliceState, SavedDataset } from '../../app/state.ts';
import type { DataJob, CurvePoint, TrainSettings, RefitSummary, DataSliceState } from '../../app/state.ts';

export type { DataSliceActions, DataSlice } from './types.ts';
import type { DataSlice } from './types.ts';

type Set = StoreApi<AppState>['setState'];
type Get = StoreApi<AppState>['getState'];

const idleJob = (): DataJob => ({ status: 'idle', stage: null, progress: { done: 0, total: 0 } });

export const DEFAULT_TRAIN_SETTINGS: TrainSettings = { optimizer: 'lbfgs', weightDecay: 0.01, maxIterations: 300 };

function initialState(): DataSliceState {
  return {
    dataset: { imported: null, job: idleJob(), source: 'bundled', mappingOverride: null, bundled: null },
    headRefit: { status: 'idle', phase: null, progress: { done: 0, total: 0 }, curve: [], settings: { ...DEFAULT_TRAIN_SETTINGS } },
    recovery: {
      status: 'idle',
      stage: null,
      progress: { done: 0, total: 0 },
      settings: { biasCorrection: true, headRefit: true, mode: 'sequential', reference: 'auto' },
      key: null,
      steps: [],
      curve: [],
    },
  };
}

// ---- derived (the buffers are the session's: src/app/dataset-buffers.ts) ---------------------------

/** The key a recovery result belongs to: the model, the exact design, the evaluation data. */
export function recoveryKey(session: Session<AppState>, state: Pick<AppState, 'model' | 'design' | 'evalLimit' | 'dataset'>): string | null {
  if (!state.model) return null;
  return session.keys.design(state);
}

/** Recovery steps to record in the deployment config: only those of the current design, model and data. */
export function currentRecoverySteps(session: Session<AppState>, state: AppState): RecoveryStepRecord[] {
  const r = state.recovery;
  return r.status === 'done' && r.key !== null && r.key === recoveryKey(session, state) ? r.steps : [];
}

/** The Recovery panel's models are kept apart from the design measurement's recovered model of the same key. */
const panelKey = (key: string) => `recovery-panel:${key}`;

/** The recovered model of the current design, if the Recovery panel ran for it (in this page's life). */
export function recoveredModel(session: Session<AppState>, state: AppState): { bytes: Uint8Array; fileName: string } | null {
  const key = recoveryKey(session, state);
  const kept = key ? session.recovered.peek(panelKey(key)) : null;
  return kept ? { bytes: kept.bytes, fileName: kept.fileName ?? 'recovered.onnx' } : null;
}

const inputShapeOf = (model: OpenModel) => model.loaded.summary.inputs[0]?.shape ?? [];
const sameShape = (a: readonly (number | null)[], b: readonly number[]) => a.length === b.length + 1 && b.every((d, i) => a[i + 1] === d);

export function createDataSlice(set: Set, get: Get, session: Session<AppState>): DataSlice {
  const jobs = session.dataJobs;
  const buffers = session.buffers;
  const setDataset = (patch: Partial<DataSliceState['dataset']>) => set((s) => ({ dataset: { ...s.dataset, ...patch } }));
  const setJob = (patch: Partial<DataJob>) => set((s) => ({ dataset: { ...s.dataset, job: { ...s.dataset.job, ...patch } } }));

  /** Evaluation data changed: the float and design accuracies are measured again. */
  const remeasure = () => session.remeasure();

  /** Prepares the dataset held under `key` and makes it the active one. */
  const prepare = async (
    key: string,
    answer: { summary: DatasetSummary; classIds?: number[] },
    spec: PreprocessSpec,
    suggested: PreprocessSpec,
    split: SplitSpec,
    job: { signal: AbortSignal; current: () => boolean },
  ): Promise<boolean> => {
    const model = get().model;
    if (!model) throw new EdgefoldError('bad-input', 'open a model first: the preprocessing follows its input.', 'model');
    setJob({ stage: 'preparing', progress: { done: 0, total: answer.summary.count }, file: undefined });
    const prepared = await prepareImportedDataset(key, spec, split, {
      inputShape: inputShapeOf(model),
      previewCount: 16,
      signal: job.signal,
      onProgress: (p) => job.current() && setJob({ progress: p }),
    });
    if (!job.current()) return false;
    const previous = get().dataset.imported;
    buffers.hold({ id: prepared.identity.id, all: prepared.all, calibration: prepared.calibration, training: prepared.training, validation: prepared.validation });
    if (previous && previous.key !== key) void releaseDataset(previous.key).catch(() => undefined);
    setDataset({
      imported: { key, summary: answer.summary, classIds: answer.classIds, spec, suggested, split, identity: prepared.identity, preview: prepared.preview, warnings: prepared.warnings },
      job: { status: 'done', stage: null, progress: { done: answer.summary.count, total: answer.summary.count } },
      mappingOverride: previous?.identity.contentSha256 === prepared.identity.contentSha256 ? get().dataset.mappingOverride : null,
    });
    if (get().dataset.source === 'imported') remeasure();
    return true;
  };

  const fail = (error: unknown, what: string) => {
    const cancelled = isAbortError(error);
    setJob({
      status: cancelled ? 'cancelled' : 'error',
      stage: null,
      error: cancelled ? undefined : `${what}: ${errorMessage(error)}${get().dataset.imported ? ` The dataset ${get().dataset.imported!.summary.name} is still in use.` : ''}`,
    });
  };

  return {
    ...initialState(),

    async importData(inputOrPicker) {
      const job = jobs.start('data');
      setJob({ status: 'running', stage: 'importing', progress: { done: 0, total: 0 }, file: undefined, error: undefined });
      let key: string | undefined;
      let name = 'the data';
      try {
        const input = typeof inputOrPicker === 'function' ? await inputOrPicker() : inputOrPicker;
        name = input.kind === 'pair' ? `${input.images.name} + ${input.labels.name}` : input.kind === 'manifest' ? input.url : input.name;
        const model = get().model;
        if (!model) throw new EdgefoldError('bad-input', 'open a model first: the preprocessing follows its input.', 'model');
        const manifest = await buffers.bundledManifest().catch(() => null);
        if (manifest && !get().dataset.bundled) setDataset({ bundled: { classes: manifest.classes, preprocessing: manifest.preprocessing, shape: manifest.shape } });
        const answer = await importDataset(input, {
          signal: job.signal,
          onProgress: (p: ImportProgress) => job.current() && setJob({ progress: { done: p.done, total: p.total }, file: p.file }),
        });
        key = answer.key;
        // The model's training normalisation: the bundled data's when the model takes its image shape.
        const hint = answer.preprocessingHint ?? (manifest && sameShape(inputShapeOf(model), manifest.shape) ? manifest.preprocessing : undefined);
        const spec = await suggestPreprocessing(key, inputShapeOf(model), hint);
        const ok = await prepare(key, answer, spec, spec, get().dataset.imported?.split ?? { ...DEFAULT_SPLIT }, job);
        if (!ok) void releaseDataset(key).catch(() => undefined);
        else buffers.input = input;
        return ok;
      } catch (error) {
        if (key) void releaseDataset(key).catch(() => undefined);
        if (job.current() || isAbortError(error)) fail(error, `Import of ${name} failed`);
        return false;
      }
    },

    async restoreData(saved) {
      const s = get();
      if (!(await s.importData(saved.input))) return false;
      const imported = get().dataset.imported!;
      const same = JSON.stringify([imported.spec, imported.split]) === JSON.stringify([saved.spec, saved.split]);
      if (!same && !(await get().prepareData(saved.spec, saved.split))) return false;
      setDataset({ mappingOverride: saved.mappingOverride });
      if (saved.source === 'imported') get().setEvaluationSource('imported');
      return true;
    },

    async prepareData(spec, split) {
      const imported = get().dataset.imported;
      if (!imported) return false;
      const job = jobs.start('data');
      setJob({ status: 'running', stage: 'preparing', progress: { done: 0, total: imported.summary.count }, error: undefined });
      try {
        return await prepare(imported.key, imported, spec, imported.suggested, split, job);
      } catch (error) {
        if (job.current() || isAbortError(error)) fail(error, 'These settings cannot be used');
        return false;
      }
    },

    cancelDataJob: () => jobs.cancel('data'),
    dismissDataError: () => setJob({ error: undefined, status: get().dataset.imported ? 'done' : 'idle' }),

    removeDataset() {
      const { imported, source } = get().dataset;
      jobs.cancel('data');
      if (imported) void releaseDataset(imported.key).catch(() => undefined);
      buffers.release();
      setDataset({ imported: null, job: idleJob(), source: 'bundled', mappingOverride: null });
      if (source === 'imported') remeasure();
    },

    setLabelMapping(datasetClass, output) {
      const state = get();
      const current = buffers.labelMapping(state);
      if (!state.model || !current) return;
      const toModel = [...current.toModel];
      toModel[datasetClass] = output;
      setDataset({ mappingOverride: { modelSha256: state.model.sha256, toModel } });
      if (state.dataset.source === 'imported') remeasure();
    },

    resetLabelMapping() {
      setDataset({ mappingOverride: null });
      if (get().dataset.source === 'imported') remeasure();
    },

    setEvaluationSource(source) {
      if (source === get().dataset.source) return;
      if (source === 'imported' && !get().dataset.imported) return;
      setDataset({ source });
      remeasure();
    },

    setTrainSettings: (settings) => set((s) => ({ headRefit: { ...s.headRefit, settings: { ...s.headRefit.settings, ...settings } } })),

    async runHeadRefit() {
      const state = get();
      const { model } = state;
      const imported = state.dataset.imported;
      if (!model || !imported) return;
      const job = jobs.start('refit');
      const settings = state.headRefit.settings;
      set((s) => ({ headRefit: { ...s.headRefit, status: 'running', phase: 'features', progress: { done: 0, total: 0 }, curve: [], error: undefined } }));
      // What the open model scores on the same validation images, when it was just measured on them.
      const b = state.baseline.result;
      const before = state.dataset.source === 'imported' && b && b.dataset === imported.summary.name && b.split === 'validation' ? { top1: b.top1, n: b.n } : undefined;
      try {
        const training = buffers.rawSplit(imported.identity.id, 'training');
        const validation = buffers.rawSplit(imported.identity.id, 'validation');
        if (!training.count) throw new EdgefoldError('bad-input', 'the training split is empty: give it a larger fraction.', 'split.training');
        const curve: CurvePoint[] = [];
        const result = await refitInWorker({
          modelBytes: model.bytes,
          training,
          validation: validation.count ? validation : undefined,
          options: settings,
          signal: job.signal,
          onProgress: (p) => {
            if (!job.current()) return;
            if (p.phase === 'training') {
              curve.push({ iteration: p.iteration, trainLoss: p.trainLoss, trainAccuracy: p.trainAccuracy, valLoss: p.valLoss, valAccuracy: p.valAccuracy });
              set((s) => ({ headRefit: { ...s.headRefit, phase: 'training', progress: { done: p.iteration, total: p.maxIterations }, curve: [...curve] } }));
            } else {
              set((s) => ({ headRefit: { ...s.headRefit, phase: p.phase, progress: { done: p.done, total: p.total } } }));
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
        setDataset({ source: 'imported' });
        const opened = await get().openModelBytes(result.modelBytes, toFileName);
        if (!opened) throw new EdgefoldError('internal', get().loadError ?? 'the re-fitted model could not be opened.');
        set((s) => ({ headRefit: { ...s.headRefit, status: 'done', phase: null, result: summary } }));
      } catch (error) {
        if (!job.latest()) return; // superseded: the newer job owns the state
        // Cancelled or failed: the open model (and its head) is unchanged.
        set((s) => ({ headRefit: { ...s.headRefit, status: isAbortError(error) ? 'cancelled' : 'error', phase: null, error: isAbortError(error) ? undefined : errorMessage(error) } }));
      }
    },

    cancelHeadRefit: () => jobs.cancel('refit'),

    setRecoverySettings: (settings) => set((s) => ({ recovery: { ...s.recovery, settings: { ...s.recovery.settings, ...settings } } })),

    async runRecovery() {
      const state = get();
      const { model, design, evalLimit } = state;
      if (!model) return;
      const job = jobs.start('recovery');
      const settings = state.recovery.settings;
      const key = recoveryKey(session, state)!;
      const steps: RecoveryStepName[] = [
        ...(recoveryOf(design).reconstruct ? (['reconstruct'] as const) : []),
        ...(settings.biasCorrection ? (['bias-correction'] as const) : []),
        ...(settings.headRefit ? (['head-refit'] as const) : []),
      ];
      const progress = (stage: string, p: { done: number; total: number }) =>
        job.current() && set((s) => ({ recovery: { ...s.recovery, stage, progress: p } }));
      set((s) => ({
        recovery: { ...s.recovery, status: 'running', stage: 'compressing', progress: { done: 0, total: 1 }, key, steps: [], curve: [], compressed: undefined, floatAccuracy: undefined, error: undefined },
      }));
      try {
        const imported = state.dataset.source === 'imported' && state.dataset.imported ? state.dataset.imported : null;
        const evaluation = session.evaluationData(state);
        const calibration = imported ? buffers.importedCalibrationData(state)! : await buffers.bundledSplit('calibration');
        const training = imported ? buffers.mappedSplit(state, 'training') : calibration;
        const validation = imported ? buffers.mappedSplit(state, 'validation') : undefined;
        const inputShape = inputShapeOf(model);
        const compressed = await compressInWorker({ modelBytes: model.bytes, inputShape, config: design.compression, calibration: session.calibrationData(state) });
        if (!job.current()) return;
        const b = state.baseline.result;
        const floatAccuracy = b && b.dataset === (imported ? imported.summary.name : 'Fashion-MNIST') && b.split === (imported ? 'validation' : 'test')
          ? { provenance: 'measured' as const, top1: b.top1, ci95: b.ci95, images: b.n, dataset: b.dataset, split: b.split }
          : undefined;
        set((s) => ({
          recovery: {
            ...s.recovery,
            floatAccuracy,
            data: {
              evaluation: imported ? `${imported.summary.name}, validation split` : 'Fashion-MNIST test split',
              calibration: imported ? `${imported.summary.name}, calibration split (${calibration.count} images)` : `Fashion-MNIST calibration split (${calibration.count} training-set images)`,
              training: imported ? `${imported.summary.name}, training split (${training.count} images)` : `Fashion-MNIST calibration split (${training.count} training-set images; no validation curve)`,
            },
          },
        }));
        const curve: CurvePoint[] = [];
        const result = await recoverCompressed(
          {
            reconstruct: (floatBytes, compressedBytes, data, { signal, onProgress, ...options }) =>
              reconstructInWorker({ floatBytes, compressedBytes, calibration: data, options, signal, onProgress }),
            biasCorrect: (floatBytes, compressedBytes, data, { signal, onProgress, ...options }) =>
              biasCorrectInWorker({ floatBytes, compressedBytes, calibration: data, options, signal, onProgress }),
            refit: (modelBytes, data, { signal, onProgress, ...options }) =>
              refitInWorker({ modelBytes, training: data.training, validation: data.validation, options, signal, onProgress }),
            measure: async (bytes, signal, onProgress) => {
              const r = await evaluateInWorker({ modelBytes: bytes, inputShape, data: evaluation, limit: evalLimit, signal, onProgress });
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
                if (job.current()) set((s) => ({ recovery: { ...s.recovery, curve: [...curve] } }));
              }
              const stage =
                p.step === 'measuring'
                  ? 'measuring'
                  : p.refit
                    ? `head re-fit: ${p.refit.phase}`
                    : `${p.step === 'reconstruct' ? 'reconstruction' : 'bias correction'}${p.layer ? `: ${p.layer}` : ''}`;
              progress(stage, { done: p.done, total: p.total });
            },
            onStep: (record) => job.current() && set((s) => ({ recovery: { ...s.recovery, steps: [...s.recovery.steps, record], compressed: s.recovery.compressed ?? record.accuracyBefore } })),
          },
        );
        if (!job.current()) return;
        const fileName = `${model.fileName.replace(/\.onnx$/i, '')}.recovered.onnx`;
        void session.recovered.keep(panelKey(key), { bytes: result.modelBytes, sha256: await sha256Hex(result.modelBytes), fileName }).catch(() => undefined);
        if (!job.current()) return;
        set((s) => ({ recovery: { ...s.recovery, status: 'done', stage: null, compressed: result.compressed, steps: result.steps } }));
      } catch (error) {
        if (!job.latest()) return; // superseded: the newer job owns the state
        set((s) => ({ recovery: { ...s.recovery, status: isAbortError(error) ? 'cancelled' : 'error', stage: null, error: isAbortError(error) ? undefined : errorMessage(error) } }));
      }
    },

    cancelRecovery: () => jobs.cancel('recovery'),
  };
}
