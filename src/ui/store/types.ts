/**
 * The store's full state: the session state (src/app/state.ts) and the actions views call. The
 * slices import this module; it imports no slice (no import cycle).
 */
import type { Design } from '../../core/design/design.ts';
import type { HwLayerConfig } from '../../core/hw/config.ts';
import type { Device } from '../../core/hw/devices.ts';
import type { AutoFoldResult } from '../../core/hw/fold.ts';
import type { WorkerEvalResult } from '../../workers-client/evaluator.ts';
import type { SweepResult } from '../../core/sensitivity/types.ts';
import type { Allocation, AllocationTarget } from '../../core/sensitivity/allocator.ts';
import type { RecoveryRecipe } from '../../core/design/design.ts';
import type { FrontierTarget } from '../../core/design/frontier.ts';
import type { PreprocessSpec } from '../../core/data/preprocess.ts';
import type { SplitSpec } from '../../core/data/split.ts';
import type { DatasetInput } from '../../workers-client/data.ts';
import type {
  DataSliceState,
  DesignPoint,
  EvaluationSource,
  FrontierState,
  JobForms,
  JobState,
  MeasuredAccuracy,
  OpenModel,
  RecoverySettings,
  RetrainState,
  SavedDataset,
  SchemeSettings,
  SweepFormOptions,
  SweepOptions,
  SweepState,
  TrainSettings,
} from '../../app/state.ts';

export type * from '../../app/state.ts';

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

export interface RetrainSliceActions {
  setRecovery(recipe: Partial<Omit<RecoveryRecipe, 'retrain'>> & { retrain?: Partial<RecoveryRecipe['retrain']> }): void;
  retrainDesign(): Promise<void>;
  cancelRetrain(): void;
}

export interface FrontierSliceActions {
  /** `forAllocation`: auto-allocate's measured budget search (the design's folding kept, the chosen design applied). */
  runFrontier(targets: FrontierTarget[], options?: { maxAttempts?: number; forAllocation?: boolean }): Promise<void>;
  cancelFrontier(): void;
  /** Makes a frontier point's design the current design. */
  applyFrontierPoint(index: number): void;
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
  /** The design points table's sort order (column id), or null for the order saved. */
  pointsOrder: { column: string; descending: boolean } | null;
  /** Sensitivity sweep of the open model (kept only when complete), and the running job. */
  sweep: SweepState;
  /** The sweep form's settings (kept across reloads). */
  sweepOptions: SweepFormOptions;
  allocation: Allocation | null;
  /** The targets typed into auto-allocate, auto-fold and the joint search (kept across reloads). */
  jobForms: JobForms;
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
  /** Model-wide activation width, null for float (a weights-only design). */
  setActivationBits(bits: number | null): void;
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
  setJobForm<K extends keyof JobForms>(form: K, change: Partial<JobForms[K]>): void;
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
  setPointsOrder(order: AppState['pointsOrder']): void;

  loadDesign(design: Design): void;
  newSession(): Promise<void>;
}
