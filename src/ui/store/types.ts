import type { EvalProgress } from '../../core/eval/evaluate.ts';
import type { Design, DesignContext } from '../../core/design/design.ts';
import type { AutoFoldResult } from '../../core/hw/fold.ts';
import type { HwLayerConfig } from '../../core/hw/config.ts';
import type { Device } from '../../core/hw/devices.ts';
import type { Granularity, Rounding, ScaleType } from '../../core/quant/grid.ts';
import type { ModelView } from '../../core/design/opened-model.ts';
import type { WorkerEvalResult } from '../../workers-client/evaluator.ts';
import type { SweepProgress, SweepResult } from '../../core/sensitivity/types.ts';
import type { Allocation, AllocationTarget } from '../../core/sensitivity/allocator.ts';
import type { DataSlice } from './data-slice.ts';
import type { RetrainSliceActions, RetrainState } from './retrain-slice.ts';
import type { RecoveryStepRecord } from '../../core/transfer/recover.ts';
import type { FrontierSliceActions, FrontierState } from './frontier-slice.ts';

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

export interface AppState extends DataSlice, RetrainSliceActions, FrontierSliceActions {
  /** The joint search's frontier (frontier-slice.ts). */
  frontier: FrontierState;
  /** A retrain of the current design (fine-tuning / QAT in the train worker). */
  retrain: RetrainState;
  // --- session: the open model
  model: OpenModel | null;
  loadError: string | null;
  loadingModel: boolean;
  /** The file being opened (decoded and analysed in a worker), or null. */
  openingModel: string | null;
  /** Float accuracy of the open model, measured in a worker. */
  baseline: JobState<WorkerEvalResult & { fromCache?: boolean }>;
  /** Images used for measured accuracy (a prefix of the test split). */
  evalLimit: number;

  // --- the design being edited
  design: Design;
  customDevices: Device[];
  selectedLayers: string[];
  measured: JobState<MeasuredAccuracy>;
  /** Measurement jobs started in this page's life (cache hits start none): shown for people and tests. */
  measureJobs: number;
  autoFold: JobState<AutoFoldResult>;
  points: DesignPoint[];
  compare: [string, string] | null;
  /** Sensitivity sweep of the open model (kept only when complete), and the running job. */
  sweep: SweepState;
  /** The sweep form's settings (kept across reloads). */
  sweepOptions: SweepFormOptions;
  allocation: Allocation | null;
  /** The open tab under the layer table (settings, sweeps, points, recovery, data). */
  tab: string;

  // --- actions
  openModelBytes(bytes: Uint8Array, fileName: string): Promise<boolean>;
  openModelUrl(url: string, fileName: string): Promise<void>;
  dismissError(): void;
  /** Stops opening a model (terminates its worker); the open model stays. */
  cancelModelOpen(): void;
  runBaseline(): Promise<void>;
  cancelBaseline(): void;
  setEvalLimit(n: number): void;

  setPruneKeep(layers: string[], keep: number | null): void;
  setPruneRatio(layers: string[], ratio: number): void;
  setBits(layers: string[], bits: { weightBits?: number; activationBits?: number | null }): void;
  setScheme(scheme: Partial<SchemeSettings>): void;
  setRoundTo(n: number): void;
  setFolding(layer: string, config: Partial<HwLayerConfig>): void;
  setDevice(id: string): void;
  setClock(mhz: number): void;
  setBudget(fraction: number): void;
  addCustomDevice(device: Device): void;
  resetDesign(): void;
  selectLayers(names: string[]): void;

  /** Shows the cached measurement of the design, else measures it (fresh: always measure; cacheOnly: never start a job). */
  measureDesign(options?: { fresh?: boolean; cacheOnly?: boolean }): Promise<void>;
  cancelMeasure(): void;
  runAutoFold(objective: 'max-fps' | { targetFps: number }): void;

  setSweepOptions(change: Partial<SweepFormOptions>): void;
  setTab(tab: string): void;
  runSweep(options: SweepOptions): Promise<void>;
  cancelSweep(): void;
  /** Shows a sweep read from a file (already checked against the open model) as the current one. */
  loadSweep(result: SweepResult): void;
  runAllocate(target: AllocationTarget): void;

  savePoint(name: string): void;
  renamePoint(id: string, name: string): void;
  deletePoint(id: string): void;
  restorePoint(id: string): void;
  setCompare(pair: [string, string] | null): void;

  loadDesign(design: Design): void;
  newSession(): Promise<void>;
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
