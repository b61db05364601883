/**
 * The data slice of the app store: an imported dataset (import, preprocessing, split, label
 * mapping), which dataset evaluations use, the head re-fit and recovery after compression.
 *
 * Heavy things stay out of React state: the decoded source stays in the dataset worker (by key),
 * the prepared pixel buffers and recovered model bytes live in this module (`held`), and the state
 * carries what views show (summary, identity, preview tiles, curves, accuracies).
 */
import { errorMessage, jobSlots } from './job-slots.ts';
import type { StoreApi } from 'zustand';
import { datasetForModel, defaultLabelMapping, type LabelMapping } from '../../core/data/labels.ts';
import type { DatasetIdentity, PreviewTile } from '../../core/data/prepare.ts';
import type { PreprocessSpec } from '../../core/data/preprocess.ts';
import { DEFAULT_SPLIT, type SplitSpec } from '../../core/data/split.ts';
import type { DatasetSummary, ImportProgress } from '../../core/data/types.ts';
import { EdgefoldError, isAbortError } from '../../core/errors.ts';
import { loadDataset, validateManifest, type Dataset, type DatasetManifest } from '../../core/eval/dataset.ts';
import type { RefitProgress } from '../../core/transfer/refit.ts';
import { recoverCompressed, type BiasReference, type RecoveryAccuracy, type RecoveryStepName, type RecoveryStepRecord } from '../../core/transfer/recover.ts';
import {
  biasCorrectInWorker,
  importDataset,
  prepareImportedDataset,
  reconstructInWorker,
  refitInWorker,
  releaseDataset,
  suggestPreprocessing,
  type DatasetInput,
} from '../../workers-client/data.ts';
import { compressInWorker, evaluateInWorker, type AnyDatasetRef, type DatasetRef } from '../../workers-client/evaluator.ts';
import { designKey } from './measurement.ts';
import { recoveryOf } from '../../core/design/design.ts';
import type { AppState, JobStatus, OpenModel } from './types.ts';

// ---- state -----------------------------------------------------------------------------------

/** The imported dataset the session uses, as prepared for the open model. */
export interface ImportedData {
  /** Key of the decoded source in the dataset worker (re-preparing starts from it). */
  key: string;
  summary: DatasetSummary;
  classIds?: number[];
  spec: PreprocessSpec;
  /** The spec the form was pre-filled with (for "reset"). */
  suggested: PreprocessSpec;
  split: SplitSpec;
  identity: DatasetIdentity;
  preview: PreviewTile[];
  warnings: string[];
}

export interface DataJob {
  status: JobStatus;
  stage: 'importing' | 'preparing' | null;
  progress: { done: number; total: number };
  /** The file being decoded. */
  file?: string;
  /** What went wrong, naming the file or field; the previous dataset is still in use. */
  error?: string;
}

export type EvaluationSource = 'bundled' | 'imported';

export interface CurvePoint {
  iteration: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss?: number;
  valAccuracy?: number;
}

export interface TrainSettings {
  optimizer: 'lbfgs' | 'adam';
  weightDecay: number;
  maxIterations: number;
}

export interface RefitSummary {
  /** The model that was re-fitted, and the one it became. */
  fromSha256: string;
  toFileName: string;
  classes: string[];
  iterations: number;
  converged: boolean;
  train: { loss: number; accuracy: number };
  validation?: { loss: number; accuracy: number };
  /** Top-1 of the written model on the validation split, run by onnxruntime (measured). */
  verified?: { top1: number; ci95: [number, number]; n: number };
  /** The open model's top-1 on the same images before the re-fit, when it was measured. */
  before?: { top1: number; n: number };
  seconds: { features: number; training: number; verify: number };
  datasetId: string;
}

export interface RefitState {
  status: JobStatus;
  phase: RefitProgress['phase'] | null;
  progress: { done: number; total: number };
  curve: CurvePoint[];
  settings: TrainSettings;
  result?: RefitSummary;
  error?: string;
}

/** The Recovery panel's own steps; reconstruction is the design's recipe (design.recovery), one switch for everything. */
export interface RecoverySettings {
  biasCorrection: boolean;
  headRefit: boolean;
  mode: 'sequential' | 'all-at-once';
  /** 'auto': the original model after reconstruction, else the float model pruned alike (recoverCompressed decides). */
  reference: BiasReference | 'auto';
}

export interface RecoveryState {
  status: JobStatus;
  /** What is running: compressing, measuring, a step. */
  stage: string | null;
  progress: { done: number; total: number };
  settings: RecoverySettings;
  /** Model sha256 + design + evaluation data the result belongs to. */
  key: string | null;
  /** Float model and compressed model accuracy on the evaluation data. */
  floatAccuracy?: RecoveryAccuracy;
  compressed?: RecoveryAccuracy;
  steps: RecoveryStepRecord[];
  curve: CurvePoint[];
  /** Where the steps learned from, for the view. */
  data?: { evaluation: string; calibration: string; training: string };
  error?: string;
}

export interface DataSliceState {
  dataset: {
    imported: ImportedData | null;
    job: DataJob;
    source: EvaluationSource;
    /** A mapping the user set, for the model it was set on. */
    mappingOverride: { modelSha256: string; toModel: number[] } | null;
    /** Class names and normalisation of the bundled Fashion-MNIST (once fetched). */
    bundled: { classes: string[]; preprocessing: DatasetManifest['preprocessing']; shape: [number, number, number] } | null;
  };
  headRefit: RefitState;
  recovery: RecoveryState;
}

/** What a saved session keeps of the imported dataset: the files themselves and the user's settings. */
export interface SavedDataset {
  input: DatasetInput;
  spec: PreprocessSpec;
  split: SplitSpec;
  source: EvaluationSource;
  mappingOverride: DataSliceState['dataset']['mappingOverride'];
}

export interface DataSliceActions {
  /** Imports and prepares a dataset; on any error the previous dataset stays (and false comes back). */
  importData(input: DatasetInput | (() => Promise<DatasetInput>)): Promise<boolean>;
  /** Imports a saved dataset again with its saved preprocessing, split, label mapping and source. */
  restoreData(saved: SavedDataset): Promise<boolean>;
  /** Preprocesses and splits the imported data again with new settings. */
  prepareData(spec: PreprocessSpec, split: SplitSpec): Promise<boolean>;
  cancelDataJob(): void;
  dismissDataError(): void;
  removeDataset(): void;
  /** Dataset class -> model output (-1: left out of evaluation). */
  setLabelMapping(datasetClass: number, output: number): void;
  resetLabelMapping(): void;
  setEvaluationSource(source: EvaluationSource): void;
  setTrainSettings(settings: Partial<TrainSettings>): void;
  runHeadRefit(): Promise<void>;
  cancelHeadRefit(): void;
  setRecoverySettings(settings: Partial<RecoverySettings>): void;
  runRecovery(): Promise<void>;
  cancelRecovery(): void;
}

export type DataSlice = DataSliceState & DataSliceActions;

type Set = StoreApi<AppState>['setState'];
type Get = StoreApi<AppState>['getState'];

// ---- what stays out of React state -----------------------------------------------------------

interface Held {
  /** Prepared datasets of the imported data, by identity id. */
  id: string | null;
  all?: Dataset;
  calibration?: Dataset;
  training?: Dataset;
  validation?: Dataset;
  /** datasetForModel results, by identity id + split + mapping. */
  mapped: Map<string, Dataset>;
  /** The recovered model of the last recovery run, by recovery key. */
  recovered: { key: string; bytes: Uint8Array; fileName: string } | null;
  /** What the imported dataset was imported from (files are kept by reference), for saving the session. */
  input: DatasetInput | null;
}
const held: Held = { id: null, mapped: new Map(), recovered: null, input: null };

/** The imported dataset with what re-importing it needs, or null (for the saved session). */
export function savedDataset(state: Pick<AppState, 'dataset'>): SavedDataset | null {
  const { imported, source, mappingOverride } = state.dataset;
  if (!imported || !held.input) return null;
  return { input: held.input, spec: imported.spec, split: imported.split, source, mappingOverride };
}

const base = import.meta.env?.BASE_URL ?? '/';
const pageUrl = globalThis.location?.href ?? 'http://localhost/';
const bundledManifestUrl = () => new URL(`${base}data/fmnist.json`, pageUrl).href;
const bundledRef = (split: string): DatasetRef => ({ manifestUrl: bundledManifestUrl(), split });

const jobs = jobSlots();

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

// ---- derived: model outputs, mapping, evaluation data -----------------------------------------

/** The open model's outputs: how many, and their names (stored by a re-fit, or the bundled classes when the count matches). */
export function modelOutputs(model: OpenModel, bundled: DataSliceState['dataset']['bundled']): { count: number; names?: string[] } | null {
  const last = model.loaded.summary.outputs[0]?.shape.at(-1);
  if (typeof last !== 'number' || last < 1) return null;
  const stored = model.loaded.classNames;
  if (stored?.length === last) return { count: last, names: stored };
  return { count: last, names: bundled?.classes.length === last ? bundled.classes : undefined };
}

let mappingMemo: { key: string; value: LabelMapping | null } | null = null;

/** How the imported classes map onto the open model's outputs: the user's mapping for this model, else the default guess. */
export function labelMapping(state: Pick<AppState, 'model' | 'dataset'>): LabelMapping | null {
  const { model } = state;
  const { imported, mappingOverride, bundled } = state.dataset;
  if (!model || !imported) return null;
  const key = `${model.sha256}|${imported.identity.id}|${mappingOverride?.modelSha256 === model.sha256 ? mappingOverride.toModel.join(',') : ''}|${bundled ? 1 : 0}`;
  if (mappingMemo?.key === key) return mappingMemo.value;
  const outputs = modelOutputs(model, bundled);
  let value: LabelMapping | null = null;
  if (outputs) {
    value = defaultLabelMapping({ classes: imported.summary.classes, classIds: imported.classIds }, outputs.count, outputs.names);
    if (mappingOverride?.modelSha256 === model.sha256 && mappingOverride.toModel.length === imported.summary.classes.length) {
      value = { ...value, toModel: [...mappingOverride.toModel], basis: 'user' };
    }
  }
  mappingMemo = { key, value };
  return value;
}

/** A split of the imported data with labels as model outputs (cached: the pixels are copied when classes are left out). */
function mappedSplit(state: Pick<AppState, 'model' | 'dataset'>, split: 'validation' | 'training' | 'calibration' | 'all'): Dataset {
  const imported = state.dataset.imported;
  const data = held[split];
  if (!imported || !data || held.id !== imported.identity.id) throw new EdgefoldError('bad-input', 'the imported dataset is no longer loaded; import it again.', 'dataset');
  if (data.count === 0) throw new EdgefoldError('bad-input', `the ${split} split of ${imported.summary.name} is empty: give it a larger fraction.`, `split.${split}`);
  const mapping = labelMapping(state);
  if (!mapping) throw new EdgefoldError('bad-input', 'the model has no class output to map the dataset labels to.', 'mapping');
  const key = `${imported.identity.id}|${split}|${mapping.toModel.join(',')}|${mapping.modelClasses.join('\u0001')}`;
  let out = held.mapped.get(key);
  if (!out) {
    const { dropped, ...dataset } = datasetForModel(data, mapping);
    void dropped;
    out = dataset;
    if (held.mapped.size > 8) held.mapped.clear();
    held.mapped.set(key, out);
  }
  return out;
}

/** The imported validation split (labels mapped to model outputs) when evaluations use imported data; null for the bundled data. */
export function importedEvaluationData(state: Pick<AppState, 'model' | 'dataset'>): Dataset | null {
  if (state.dataset.source !== 'imported' || !state.dataset.imported) return null;
  return mappedSplit(state, 'validation');
}

/** The imported calibration split when evaluations use imported data (labels are not used). */
export function importedCalibrationData(state: Pick<AppState, 'dataset'>): Dataset | null {
  const { source, imported } = state.dataset;
  if (source !== 'imported' || !imported) return null;
  if (!held.calibration || held.id !== imported.identity.id) throw new EdgefoldError('bad-input', 'the imported dataset is no longer loaded; import it again.', 'dataset');
  if (held.calibration.count === 0) throw new EdgefoldError('bad-input', `the calibration split of ${imported.summary.name} is empty: give it a larger fraction.`, 'split.calibration');
  return held.calibration;
}

/** Evaluation data as the evaluator worker takes it: inline imported data, or null for the bundled split. */
export function evaluationRef(state: Pick<AppState, 'model' | 'dataset'>): AnyDatasetRef | null {
  const data = importedEvaluationData(state);
  return data ? { inline: data } : null;
}

/** The imported training split (labels mapped to model outputs) when evaluations use imported data; null for the bundled data. */
export function trainingRef(state: Pick<AppState, 'model' | 'dataset'>): AnyDatasetRef | null {
  if (state.dataset.source !== 'imported' || !state.dataset.imported) return null;
  return { inline: mappedSplit(state, 'training') };
}

export function calibrationRef(state: Pick<AppState, 'dataset'>): AnyDatasetRef | null {
  const data = importedCalibrationData(state);
  return data ? { inline: data } : null;
}

/** The dataset identity for the deployment config, when evaluations use imported data. */
export function deploymentDataset(state: Pick<AppState, 'model' | 'dataset' | 'evalLimit'>):
  | { name: string; split: string; images: number; calibrationSplit: string; sha256: string; preprocessing: object; identity: object }
  | null {
  const { source, imported } = state.dataset;
  if (source !== 'imported' || !imported) return null;
  const evaluation = importedEvaluationData(state)!;
  const mapping = labelMapping(state);
  return {
    name: imported.summary.name,
    split: 'validation',
    images: Math.max(1, Math.min(state.evalLimit, evaluation.count)),
    calibrationSplit: 'calibration',
    sha256: imported.identity.contentSha256,
    preprocessing: { ...imported.identity.preprocessing },
    identity: {
      id: imported.identity.id,
      format: imported.identity.format,
      classes: imported.identity.classes,
      counts: imported.identity.counts,
      split: imported.identity.split,
      labelMapping: mapping ? { toModel: mapping.toModel, basis: mapping.basis } : null,
    },
  };
}

/** The key a recovery result belongs to: the model, the exact design, the evaluation data. */
export function recoveryKey(state: Pick<AppState, 'model' | 'design' | 'evalLimit' | 'dataset'>): string | null {
  if (!state.model) return null;
  return designKey(state);
}

/** Recovery steps to record in the deployment config: only those of the current design, model and data. */
export function currentRecoverySteps(state: AppState): RecoveryStepRecord[] {
  const r = state.recovery;
  return r.status === 'done' && r.key !== null && r.key === recoveryKey(state) ? r.steps : [];
}

/** The recovered model of the current design, if recovery ran for it. */
export function recoveredModel(state: AppState): { bytes: Uint8Array; fileName: string } | null {
  const key = recoveryKey(state);
  return held.recovered && key && held.recovered.key === key ? held.recovered : null;
}

// ---- the slice -------------------------------------------------------------------------------

let bundledInfo: Promise<DatasetManifest> | undefined;
function loadBundledManifest(): Promise<DatasetManifest> {
  bundledInfo ??= (async () => {
    const response = await fetch(bundledManifestUrl());
    if (!response.ok) throw new EdgefoldError('bad-input', `Could not load the bundled dataset manifest (HTTP ${response.status}).`, 'manifest');
    return validateManifest(await response.json(), 'fmnist.json');
  })();
  bundledInfo.catch(() => (bundledInfo = undefined));
  return bundledInfo;
}

const bundledSplits = new Map<string, Promise<Dataset>>();
function bundledSplit(split: string): Promise<Dataset> {
  let pending = bundledSplits.get(split);
  if (!pending) {
    pending = (async () => {
      const manifest = await loadBundledManifest();
      return loadDataset(manifest, split, async (rel) => {
        const response = await fetch(new URL(rel, bundledManifestUrl()).href);
        if (!response.ok) throw new EdgefoldError('bad-input', `Could not load ${rel} (HTTP ${response.status}).`, rel);
        return new Uint8Array(await response.arrayBuffer());
      });
    })();
    pending.catch(() => bundledSplits.delete(split));
    bundledSplits.set(split, pending);
  }
  return pending;
}

const inputShapeOf = (model: OpenModel) => model.loaded.summary.inputs[0]?.shape ?? [];
const sameShape = (a: readonly (number | null)[], b: readonly number[]) => a.length === b.length + 1 && b.every((d, i) => a[i + 1] === d);

export function createDataSlice(set: Set, get: Get): DataSlice {
  const setDataset = (patch: Partial<DataSliceState['dataset']>) => set((s) => ({ dataset: { ...s.dataset, ...patch } }));
  const setJob = (patch: Partial<DataJob>) => set((s) => ({ dataset: { ...s.dataset, job: { ...s.dataset.job, ...patch } } }));

  /** Evaluation data changed: the float and design accuracies are measured again. */
  const remeasure = () => {
    const s = get();
    if (!s.model) return;
    if (s.measured.status === 'running') s.cancelMeasure();
    set({ measured: { status: 'idle', progress: { done: 0, total: 0 } } });
    void s.runBaseline();
  };

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
    held.id = prepared.identity.id;
    held.all = prepared.all;
    held.calibration = prepared.calibration;
    held.training = prepared.training;
    held.validation = prepared.validation;
    held.mapped.clear();
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
        const manifest = await loadBundledManifest().catch(() => null);
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
        else held.input = input;
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
      Object.assign(held, { id: null, all: undefined, calibration: undefined, training: undefined, validation: undefined, input: null });
      held.mapped.clear();
      setDataset({ imported: null, job: idleJob(), source: 'bundled', mappingOverride: null });
      if (source === 'imported') remeasure();
    },

    setLabelMapping(datasetClass, output) {
      const state = get();
      const current = labelMapping(state);
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
        if (!held.training || held.id !== imported.identity.id) throw new EdgefoldError('bad-input', 'the imported dataset is no longer loaded; import it again.', 'dataset');
        if (!held.training.count) throw new EdgefoldError('bad-input', 'the training split is empty: give it a larger fraction.', 'split.training');
        const curve: CurvePoint[] = [];
        const result = await refitInWorker({
          modelBytes: model.bytes,
          training: held.training,
          validation: held.validation?.count ? held.validation : undefined,
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
      const key = recoveryKey(state)!;
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
        const evaluation = evaluationRef(state) ?? bundledRef('test');
        const calibration = imported ? importedCalibrationData(state)! : await bundledSplit('calibration');
        const training = imported ? mappedSplit(state, 'training') : calibration;
        const validation = imported ? mappedSplit(state, 'validation') : undefined;
        const inputShape = inputShapeOf(model);
        const compressed = await compressInWorker({ modelBytes: model.bytes, inputShape, config: design.compression, calibration: calibrationRef(state) ?? bundledRef('calibration') });
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
        held.recovered = { key, bytes: result.modelBytes, fileName: `${model.fileName.replace(/\.onnx$/i, '')}.recovered.onnx` };
        set((s) => ({ recovery: { ...s.recovery, status: 'done', stage: null, compressed: result.compressed, steps: result.steps } }));
      } catch (error) {
        if (!job.latest()) return; // superseded: the newer job owns the state
        set((s) => ({ recovery: { ...s.recovery, status: isAbortError(error) ? 'cancelled' : 'error', stage: null, error: isAbortError(error) ? undefined : errorMessage(error) } }));
      }
    },

    cancelRecovery: () => jobs.cancel('recovery'),
  };
}
