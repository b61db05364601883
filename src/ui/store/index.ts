import { create } from 'zustand';
import { errorMessage } from './job-slots.ts';
import { EdgefoldError, isAbortError } from '../../core/errors.ts';
import { DEFAULT_ROUND_TO, defaultDesign, evaluateDesign, type Design } from '../../core/design/design.ts';
import { autoFold } from '../../core/hw/fold.ts';
import { sha256Hex } from '../../core/hash.ts';
import { openModelForDesign } from '../../workers-client/model.ts';
import { compressInWorker, evaluateConfigInWorker, evaluateInWorker, type AnyDatasetRef, type DatasetRef } from '../../workers-client/evaluator.ts';
import { biasCorrectInWorker, importDataset, prepareImportedDataset, reconstructInWorker, refitInWorker, releaseDataset, suggestPreprocessing } from '../../workers-client/data.ts';
import { retrainInWorker } from '../../workers-client/train.ts';
import { runSweep as runSweepInWorkers } from '../../workers-client/sweep.ts';
import { allocate } from '../../core/sensitivity/allocator.ts';
import { createDataSlice } from './data-slice.ts';
import { createRetrainSlice } from './retrain-slice.ts';
import { createFrontierSlice } from './frontier-slice.ts';
import { withAllocation } from '../../core/design/frontier.ts';
import { DataSession } from '../../app/data-session.ts';
import { FrontierSearch } from '../../app/frontier.ts';
import { recoveryOf } from '../../core/design/design.ts';
import * as edits from './design-edits.ts';
import { clearSavedSession } from './persist-key.ts';
import { dataMismatch } from '../../app/data-fit.ts';
import { Session, idleJob, idleRetrain, type StateHost } from '../../app/session.ts';
import { pointMetrics } from '../../app/measurement.ts';
import { indexedDbStore } from './measurement-cache.ts';
import type { AppState, DesignPoint, JobForms, OpenModel, SweepState } from './types.ts';

export { pointMetrics } from '../../app/measurement.ts';
export type { AppState, DesignPoint, JobState, OpenModel, JobStatus, SchemeSettings, MeasuredAccuracy, SweepOptions, SweepState } from './types.ts';

const base = import.meta.env?.BASE_URL ?? '/';
const pageUrl = globalThis.location?.href ?? 'http://localhost/';
export const DEFAULT_MODEL_URL = `${base}models/dscnn-fmnist.onnx`;
export const DEFAULT_DATA: DatasetRef = { manifestUrl: new URL(`${base}data/fmnist.json`, pageUrl).href, split: 'test' };
export const CALIBRATION_DATA: DatasetRef = { manifestUrl: DEFAULT_DATA.manifestUrl, split: 'calibration' };
export const TRAINING_DATA: DatasetRef = { manifestUrl: DEFAULT_DATA.manifestUrl, split: 'train' };

/** The zustand store as the session's state host (read lazily: the store is created below). */
const host: StateHost<AppState> = {
  getState: () => useApp.getState(),
  setState: (patch) => useApp.setState(patch),
  subscribe: (listener) => useApp.subscribe(listener),
};

/**
 * The page's session (src/app/session.ts): the workers, IndexedDB stores and bundled data of the
 * browser are its dependencies; the store below is the binding the views subscribe to.
 */
export const appSession = new Session<AppState>(host, {
  workers: {
    evaluate: evaluateInWorker,
    evaluateConfig: evaluateConfigInWorker,
    retrain: retrainInWorker,
    sweep: runSweepInWorkers,
    data: {
      importDataset,
      suggestPreprocessing,
      prepareDataset: prepareImportedDataset,
      releaseDataset,
      refitHead: refitInWorker,
      biasCorrect: biasCorrectInWorker,
      reconstruct: reconstructInWorker,
      compress: compressInWorker,
    },
  },
  measurements: indexedDbStore('edgefold-measurements', 'results'),
  recoveredModels: indexedDbStore('edgefold-recovered-models', 'models'),
  bundled: { manifestUrl: DEFAULT_DATA.manifestUrl, evaluation: DEFAULT_DATA, calibration: CALIBRATION_DATA, training: TRAINING_DATA },
});

/** The session's data side (import, head re-fit, Recovery panel) and its joint search. */
export const appData = new DataSession<AppState>(appSession, {
  async openModel(bytes, fileName) {
    if (!(await useApp.getState().openModelBytes(bytes, fileName))) throw new EdgefoldError('internal', useApp.getState().loadError ?? 'the re-fitted model could not be opened.');
  },
});
export const appFrontier = new FrontierSearch<AppState>(appSession);

/** Identifies the data evaluations run on: the bundled test set, or an imported dataset by its id. */
export const evaluationDataKey = (state: Pick<AppState, 'dataset'>): string => appSession.evaluationDataKey(state);
/** What evaluations and calibration use: the bundled splits above, or the imported dataset when the user chose it (data slice). */
export const evaluationData = (state: AppState): AnyDatasetRef => appSession.evaluationData(state);
export const calibrationData = (state: AppState): AnyDatasetRef => appSession.calibrationData(state);
/** What retraining learns from: the bundled training split, or the imported dataset's training split. */
export const trainingData = (state: AppState): AnyDatasetRef => appSession.trainingData(state);
/** The measurement the views show for the current design: a retrain of it, else its own measurement. */
export const currentAccuracy = (state: AppState) => appSession.currentMeasurement(state);
/** Keys of the session's measurements (memoized per session). */
export const designKey = (state: Parameters<typeof appSession.keys.design>[0], design?: Design) => appSession.keys.design(state, design);
/** How the imported classes map onto the open model's outputs (memoized per session). */
export const labelMapping = (state: Pick<AppState, 'model' | 'dataset'>) => appSession.buffers.labelMapping(state);
/** The dataset identity for the deployment config, when evaluations use imported data. */
export const deploymentDataset = (state: AppState) => appSession.buffers.deploymentDataset(state);
/** The key a Recovery panel result belongs to, its steps for the deployment config, and its model. */
export const recoveryKey = (state: Pick<AppState, 'model' | 'design' | 'evalLimit' | 'dataset'>) => appData.recoveryKey(state);
export const currentRecoverySteps = (state: AppState) => appData.currentRecoverySteps(state);
export const recoveredModel = (state: AppState) => appData.recoveredModel(state);

export const DEFAULT_SWEEP_OPTIONS = { limit: 1000, weightBits: true, activationBits: false, earlyStop: false };
export const DEFAULT_JOB_FORMS: JobForms = {
  allocate: { mode: 'drop', dropPp: 1, macsPct: 50 },
  autoFold: { objective: 'max-fps', targetFps: 366 },
  frontier: { kind: 'max-fps', drops: '0.5, 1, 2', fpsList: '200, 400, 800', boundPp: 1, steps: 3 },
};

const idle = idleJob;
const noSweep = (): SweepState => ({ status: 'idle', progress: null, result: null, modelSha256: null, dataKey: null });
const jobs = appSession.jobs;


export const useApp = create<AppState>()((set, get) => {
  const cancelModelJobs = () => appSession.cancelModelJobs();

  /**
   * The other file was refused or its open cancelled: the old model stays. Its float baseline
   * starts again (from the cache when it had finished); the design's measurement follows by itself
   * (the session's reaction, src/app/session.ts); a sweep or retrain the user started stays cancelled, to be run again.
   */
  const resumeModelJobs = (interrupted: ReturnType<typeof cancelModelJobs>) => {
    if (get().model && interrupted.baseline) void get().runBaseline();
  };

  /** Applies a pure design edit; measured accuracy of the old design no longer applies. */
  const editDesign = (edit: (d: Design) => Design) => appSession.editDesign(edit);

  return {
    ...createDataSlice(appData),
    ...createRetrainSlice(appSession),
    ...createFrontierSlice(appFrontier),
    model: null,
    loadError: null,
    loadingModel: false,
    openingModel: null,
    baseline: idle(),
    evalLimit: 10_000,
    design: defaultDesign(),
    customDevices: [],
    selectedLayers: [],
    measured: idle(),
    measureJobs: 0,
    autoFold: idle(),
    points: [],
    compare: null,
    pointsOrder: null,
    sweep: noSweep(),
    sweepOptions: { ...DEFAULT_SWEEP_OPTIONS },
    allocation: null,
    jobForms: DEFAULT_JOB_FORMS,
    tab: 'settings',

    async openModelBytes(bytes, fileName) {
      let model;
      const job = jobs.start('open-model');
      // The old model's jobs stop now, not after the new file's checks: their workers are free for
      // the new model at once (docs/decisions.md, "When opening another model cancels ...").
      const interrupted = cancelModelJobs();
      set({ openingModel: fileName });
      try {
        // Refused, slow or hostile files stop in the worker; an accepted one arrives analysed (not rebuilt here).
        const opened = await openModelForDesign(bytes, fileName, job.signal);
        if (!job.current()) return false;
        model = { fileName, bytes, loaded: opened.view, context: opened.context, sha256: await sha256Hex(bytes) };
      } catch (error) {
        // The previous model, its results and the rest of the session stay as they were.
        // A cancel by the user is said; one by a newer open (which renamed openingModel) is not.
        if (!isAbortError(error)) set({ loadError: errorMessage(error) });
        else if (get().openingModel === fileName) set({ loadError: `Opening ${fileName} was cancelled; the open model stays.` });
        if (job.latest()) resumeModelJobs(interrupted);
        return false;
      } finally {
        set((s) => (s.openingModel === fileName ? { openingModel: null } : {}));
      }
      jobs.cancelAll();
      const sameModel = get().model?.sha256 === model.sha256;
      set((s) => ({
        model,
        loadError: null,
        baseline: idle(),
        measured: idle(),
        autoFold: idle(),
        selectedLayers: [],
        sweep: sameModel ? { ...s.sweep, status: s.sweep.result ? 'done' : 'idle', progress: null } : noSweep(),
        allocation: sameModel ? s.allocation : null,
        design: sameModel ? s.design : startingDesign(model, s),
      }));
      return true;
    },

    async openModelUrl(url, fileName) {
      set({ loadingModel: true });
      try {
        const response = await fetch(url);
        if (!response.ok) throw new EdgefoldError('bad-input', `Could not load ${fileName} (HTTP ${response.status}).`);
        await get().openModelBytes(new Uint8Array(await response.arrayBuffer()), fileName);
      } catch (error) {
        set({ loadError: errorMessage(error) });
      } finally {
        set({ loadingModel: false });
      }
    },

    dismissError: () => set({ loadError: null }),

    cancelModelOpen: () => jobs.cancel('open-model'),

    runBaseline: () => appSession.runBaseline(),
    cancelBaseline: () => appSession.cancelBaseline(),

    setEvalLimit(n) {
      jobs.cancel('measure');
      set({ evalLimit: n, measured: idle() });
      // The float baseline on the same images as the measurements (cached after the first time).
      if (get().model) void get().runBaseline();
    },

    setPruneKeep: (layers, keep) => editDesign((d) => edits.setPruneKeep(d, layers, keep)),
    setPruneRatio: (layers, ratio) => editDesign((d) => edits.setPruneRatio(d, layers, ratio)),
    setBits: (layers, bits) => editDesign((d) => edits.setBits(d, layers, bits)),
    setScheme: (scheme) => editDesign((d) => edits.setScheme(d, scheme)),
    setActivationBits: (bits) => editDesign((d) => edits.setActivationBits(d, bits)),
    setRoundTo: (n) => editDesign((d) => edits.setRoundTo(d, n)),
    setFolding: (layer, config) => set((s) => ({ design: edits.setFolding(s.design, layer, config) })),
    setDevice: (id) => set((s) => ({ design: { ...s.design, hardware: { ...s.design.hardware, device: id } } })),
    setClock: (mhz) => set((s) => ({ design: { ...s.design, hardware: { ...s.design.hardware, clockMHz: mhz } } })),
    setBudget: (fraction) => set((s) => ({ design: { ...s.design, hardware: { ...s.design.hardware, budget: fraction } } })),
    addCustomDevice: (device) => set((s) => ({ customDevices: [...s.customDevices.filter((d) => d.id !== device.id), device] })),
    resetDesign: () => editDesign(() => defaultDesign()),
    selectLayers: (names) => set({ selectedLayers: names }),

    measureDesign: (options) => appSession.measureDesign(options),
    cancelMeasure: () => appSession.cancelMeasure(),

    runAutoFold(objective) {
      const { model, design, customDevices } = get();
      if (!model) return;
      set({ autoFold: { status: 'running', progress: { done: 0, total: 1 } } });
      try {
        const metrics = evaluateDesign(model.context, design, customDevices);
        const result = autoFold(metrics.hwLayers, metrics.device, design.hardware.clockMHz, { budget: design.hardware.budget, objective });
        // A target that cannot be met keeps the folding the user had; the message says what was reached.
        const keep = !result.met;
        const shown = keep ? { ...result, message: `${result.message}. The previous folding is kept (${metrics.estimate.fps.toFixed(1)} FPS).` } : result;
        set((s) => ({
          autoFold: { status: 'done', progress: { done: 1, total: 1 }, result: shown },
          ...(keep ? {} : { design: { ...s.design, hardware: { ...s.design.hardware, layers: result.folding } } }),
        }));
      } catch (error) {
        set({ autoFold: { status: 'error', progress: { done: 0, total: 1 }, error: errorMessage(error) } });
      }
    },

    runSweep: (options) => appSession.runSweep(options),
    cancelSweep: () => appSession.cancelSweep(),
    loadSweep: (result) => appSession.loadSweep(result),
    setTab: (tab) => set({ tab }),
    setSweepOptions: (change) => set((s) => ({ sweepOptions: { ...s.sweepOptions, ...change } })),
    setJobForm: (form, change) => set((s) => ({ jobForms: { ...s.jobForms, [form]: { ...s.jobForms[form], ...change } } })),

    runAllocate(target) {
      const { sweep, design } = get();
      if (!sweep.result) return;
      // With reconstruction in the recipe, the raw curves under-state what a design keeps: the
      // budget is searched on measured recovered accuracy (issue 13; docs/decisions.md).
      if (recoveryOf(design).reconstruct && target.maxDrop !== undefined && target.targetMacs === undefined && target.targetParams === undefined) {
        void get().runFrontier([{ kind: 'max-fps', maxDropPp: target.maxDrop * 100 }], { forAllocation: true });
        return;
      }
      try {
        // The design's channel multiple is kept (and honoured by every allocated count).
        const roundTo = design.compression.prune?.roundTo ?? DEFAULT_ROUND_TO;
        const allocation = allocate(sweep.result, target, { roundTo });
        set({ allocation });
        editDesign(() => withAllocation(design, allocation.config));
      } catch (error) {
        set({ loadError: `Auto-allocation failed: ${errorMessage(error)}` });
      }
    },

    savePoint(name) {
      const { model, design, customDevices } = get();
      if (!model) return;
      const m = evaluateDesign(model.context, design, customDevices);
      const own = currentAccuracy(get());
      const point: DesignPoint = {
        id: `p${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
        name: name.trim() || `Design ${get().points.length + 1}`,
        createdAt: new Date().toISOString(),
        modelSha256: model.sha256,
        design: structuredClone(design),
        metrics: pointMetrics(m, own),
      };
      set((s) => ({ points: [...s.points, point] }));
    },
    renamePoint: (id, name) => set((s) => ({ points: s.points.map((p) => (p.id === id ? { ...p, name } : p)) })),
    deletePoint: (id) =>
      set((s) => ({ points: s.points.filter((p) => p.id !== id), compare: s.compare?.includes(id) ? null : s.compare })),
    restorePoint(id) {
      const point = get().points.find((p) => p.id === id);
      if (point) editDesign(() => structuredClone(point.design));
    },
    setCompare: (pair) => set({ compare: pair }),
    setPointsOrder: (order) => set({ pointsOrder: order }),

    loadDesign: (design) => editDesign(() => structuredClone(design)),

    async newSession() {
      jobs.cancelAll();
      appSession.dataJobs.cancelAll();
      await clearSavedSession();
      await appSession.clearCaches();
      set({ design: defaultDesign(), points: [], compare: null, pointsOrder: null, measured: idle(), retrain: idleRetrain(), autoFold: idle(), selectedLayers: [], customDevices: [], sweep: noSweep(), sweepOptions: { ...DEFAULT_SWEEP_OPTIONS }, jobForms: DEFAULT_JOB_FORMS, allocation: null });
      await get().openModelUrl(DEFAULT_MODEL_URL, 'dscnn-fmnist.onnx');
    },
  };
});

/**
 * A new model's first design: the default, on the device and clock the user had. When the
 * evaluation data does not fit the model (a third-party model), weights only: quantizing
 * activations needs calibration images of the model's input shape.
 */
function startingDesign(model: OpenModel, state: AppState): Design {
  const base = defaultDesign();
  const design = { ...base, hardware: { ...base.hardware, device: state.design.hardware.device, clockMHz: state.design.hardware.clockMHz } };
  if (!dataMismatch({ model, dataset: state.dataset })) return design;
  return { ...design, compression: { ...design.compression, quant: { ...design.compression.quant, activationBits: null } } };
}
