/**
 * The state the session (src/app/session.ts) and the views share: plain data, no actions. This
 * module imports no store or view module, so every slice and the session can import it without
 * an import cycle (issue 15 section 6).
 */
import type { EvalProgress } from '../core/eval/evaluate.ts';
import type { Design, DesignContext } from '../core/design/design.ts';
import type { ModelView } from '../core/design/opened-model.ts';
import type { Granularity, Rounding, ScaleType } from '../core/quant/grid.ts';
import type { WorkerEvalResult } from '../workers-client/evaluator.ts';
import type { SweepProgress, SweepResult } from '../core/sensitivity/types.ts';
import type { RecoveryAccuracy, RecoveryStepRecord } from '../core/transfer/recover.ts';
import type { DatasetIdentity, PreviewTile } from '../core/data/prepare.ts';
import type { PreprocessSpec } from '../core/data/preprocess.ts';
import type { SplitSpec } from '../core/data/split.ts';
import type { DatasetSummary } from '../core/data/types.ts';
import type { DatasetManifest } from '../core/eval/dataset.ts';
import type { RefitProgress } from '../core/transfer/refit.ts';
import type { BiasReference } from '../core/transfer/recover.ts';
import type { DatasetInput } from '../core/data/held.ts';
import type { FrontierPoint, FrontierProgress, FrontierTarget } from '../core/design/frontier.ts';

export interface OpenModel {
  fileName: string;
  bytes: Uint8Array;
  /** sha256 of the bytes, hex: the model's identity in configs, caches and sessions. */
  sha256: string;
  /** What the views show of the model (analysed in the model worker; no graph, no weights). */
  loaded: ModelView;
  context: DesignContext;
}

export type JobStatus = 'idle' | 'running' | 'done' | 'error' | 'cancelled';

export interface JobState<T> {
  status: JobStatus;
  progress: EvalProgress;
  result?: T;
  error?: string;
}

/** Accuracy measured for one exact design (compression config) in the worker. */
export interface MeasuredAccuracy extends WorkerEvalResult {
  /** Key of the design it was measured for (see designKey, retrainKey). */
  designKey: string;
  /** The same design with no recovery, measured in the same run (when a recovery step ran). */
  raw?: { top1: number; ci95: [number, number]; n: number };
  /** The recovery steps that produced the measured model, each with its data and accuracy. */
  recovery?: RecoveryStepRecord[];
  /** sha256 of the measured (recovered) model, when it was built in the run. */
  sha256?: string;
  /** Shown from the measurement cache (measured in an earlier run of the same key). */
  fromCache?: boolean;
}

export interface DesignPointMetrics {
  params: number;
  macs: number;
  fps: number;
  latencyMs: number;
  powerW: number;
  gopsPerWatt: number;
  dsp: number;
  bram18: number;
  lut: number;
  ff: number;
  fits: boolean | null;
  /** Measured top-1 (fraction) with its CI, when it was measured for exactly this design. */
  measuredTop1: number | null;
  measuredCi95: [number, number] | null;
  measuredImages: number | null;
  /** Top-1 of the design with no recovery, when the measured one is after recovery. */
  rawTop1?: number | null;
  /** What recovered the measured model ("reconstruction + 3 epochs QAT with KD"), or null. */
  recovery?: string | null;
  /** Measured elsewhere and imported: where ("measured on 3 hosts (job queue), engine native, 10,000 images"). */
  provenance?: string;
}

export interface DesignPoint {
  id: string;
  name: string;
  createdAt: string;
  /** The model the point was designed for. */
  modelSha256: string;
  design: Design;
  metrics: DesignPointMetrics;
}

export interface SchemeSettings {
  granularity: Granularity;
  scale: ScaleType;
  rounding: Rounding;
}

export interface SweepOptions {
  /** Test images per point. */
  limit: number;
  prune: boolean;
  weightBits: boolean;
  activationBits: boolean;
  /** Stop a curve once top-1 fell this far (fraction), or null. */
  earlyStopDrop: number | null;
  /** Sweep only these layers (their channel groups and their bits); empty = every layer. */
  layers: string[];
}

export interface SweepFormOptions {
  limit: number;
  weightBits: boolean;
  activationBits: boolean;
  earlyStop: boolean;
}

/** The target forms of auto-allocate, auto-fold and the joint search (kept across reloads, like the sweep form). */
export interface JobForms {
  /** Auto-allocate: a maximum accuracy drop (pp) or a share of the model's MACs (%). */
  allocate: { mode: 'drop' | 'macs'; dropPp: number; macsPct: number };
  autoFold: { objective: 'max-fps' | 'target'; targetFps: number };
  /** The joint search: the lists are kept as typed (they are checked when run). */
  frontier: { kind: 'max-fps' | 'min-resources'; drops: string; fpsList: string; boundPp: number; steps: number };
}

export interface SweepState {
  status: JobStatus;
  progress: SweepProgress | null;
  /** The last complete sweep for the open model (by sha256). */
  result: SweepResult | null;
  modelSha256: string | null;
  /** Which evaluation data it was measured on (see evaluationDataKey). */
  dataKey: string | null;
  error?: string;
}

// ---- data (imported dataset, head re-fit, recovery panel) ----

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
  /** sha256 and file name of the recovered model the run built (its bytes are in the recovered-model store). */
  sha256?: string;
  fileName?: string;
  /** Shown from the stores (a run of an earlier page life, or of a design the user returned to). */
  fromCache?: boolean;
  /** Recovery runs started in this page's life (a result shown from the stores starts none). */
  jobs: number;
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

// ---- retrain ----

export interface RetrainState {
  status: JobStatus;
  phase: string | null;
  progress: { done: number; total: number };
  secondsLeft: number | null;
  curve: CurvePoint[];
  /** The last finished retrain, for the design key it ran on (see retrainKey). */
  result?: MeasuredAccuracy;
  error?: string;
}

// ---- joint search ----

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
  /** Points read from a file (`edgefold frontier --json`, src/ui/import-results.ts): which, and where they were measured. */
  imported?: { fileName: string; provenance: string };
  error?: string;
}
