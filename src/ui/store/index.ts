import { create } from 'zustand';
import { errorMessage, jobSlots } from './job-slots.ts';
import { EdgefoldError, isAbortError } from '../../core/errors.ts';
import { DEFAULT_ROUND_TO, defaultDesign, designContext, evaluateDesign, type Design, type DesignMetrics } from '../../core/design/design.ts';
import { loadModel } from '../../core/graph/index.ts';
import { isComputeKind } from '../../core/graph/layer.ts';
import { autoFold } from '../../core/hw/fold.ts';
import { sha256Hex } from '../../core/hash.ts';
import { checkModelOffThread } from '../../workers-client/model.ts';
import { evaluateConfigInWorker, evaluateInWorker, type AnyDatasetRef, type DatasetRef } from '../../workers-client/evaluator.ts';
import { runSweep as runSweepInWorkers } from '../../workers-client/sweep.ts';
import { allocate } from '../../core/sensitivity/allocator.ts';
import { DEFAULT_RATIOS, DEFAULT_BITS } from '../../core/sensitivity/types.ts';
import { calibrationRef, createDataSlice, evaluationRef, importedCalibrationData, importedEvaluationData, trainingRef } from './data-slice.ts';
import { createRetrainSlice, currentMeasurement, idleRetrain, measureReconstructed } from './retrain-slice.ts';
import { createFrontierSlice } from './frontier-slice.ts';
import { withAllocation } from '../../core/design/frontier.ts';
import { recoveryOf } from '../../core/design/design.ts';
import * as edits from './design-edits.ts';
import { clearSavedSession } from './persist-key.ts';
import { dataMismatch } from './data-fit.ts';
import type { AppState, DesignPoint, JobState, MeasuredAccuracy, OpenModel, SweepState } from './types.ts';

export type { AppState, DesignPoint, JobState, OpenModel, JobStatus, SchemeSettings, MeasuredAccuracy, SweepOptions, SweepState } from './types.ts';
export { designKey } from './measurement.ts';
import { baselineKey, designKey, measurementMetrics, retrainKey, withMeasurement } from './measurement.ts';
import { cacheMeasurement, cachedMeasurement, clearMeasurementCache } from './measurement-cache.ts';
import type { WorkerEvalResult } from '../../workers-client/evaluator.ts';

/** Identifies the data evaluations run on: the bundled test set, or an imported dataset by its id. */
export function evaluationDataKey(state: Pick<AppState, 'dataset'>): string {
  return state.dataset.source === 'imported' && state.dataset.imported ? `imported:${state.dataset.imported.identity.id}` : 'bundled';
}

const base = import.meta.env?.BASE_URL ?? '/';
const pageUrl = globalThis.location?.href ?? 'http://localhost/';
export const DEFAULT_MODEL_URL = `${base}models/dscnn-fmnist.onnx`;
export const DEFAULT_DATA: DatasetRef = { manifestUrl: new URL(`${base}data/fmnist.json`, pageUrl).href, split: 'test' };
export const CALIBRATION_DATA: DatasetRef = { manifestUrl: DEFAULT_DATA.manifestUrl, split: 'calibration' };
/** What evaluations and calibration use: the bundled splits above, or the imported dataset when the user chose it (data slice). */
export const evaluationData = (state: AppState): AnyDatasetRef => evaluationRef(state) ?? DEFAULT_DATA;
export const calibrationData = (state: AppState): AnyDatasetRef => calibrationRef(state) ?? CALIBRATION_DATA;
export const TRAINING_DATA: DatasetRef = { manifestUrl: DEFAULT_DATA.manifestUrl, split: 'train' };
/** What retraining learns from: the bundled training split, or the imported dataset's training split. */
export const trainingData = (state: AppState): AnyDatasetRef => trainingRef(state) ?? TRAINING_DATA;
/** The measurement the views show for the current design: a retrain of it, else its own measurement. */
export const currentAccuracy = (state: AppState) => currentMeasurement(state);

export const DEFAULT_SWEEP_OPTIONS = { limit: 1000, weightBits: true, activationBits: false, earlyStop: false };

const idle = <T>(): JobState<T> => ({ status: 'idle', progress: { done: 0, total: 0 } });
const noSweep = (): SweepState => ({ status: 'idle', progress: null, result: null, modelSha256: null, dataKey: null });
const jobs = jobSlots();


export const useApp = create<AppState>()((set, get) => {
  /** Cancels the open model's jobs (an open of another model starts); says which were running. */
  const cancelModelJobs = () => {
    const s = get();
    const running = {
      baseline: s.baseline.status === 'running',
      measure: s.measured.status === 'running',
      sweep: s.sweep.status === 'running',
      retrain: s.retrain.status === 'running',
    };
    for (const kind of ['baseline', 'measure', 'sweep', 'retrain'] as const) jobs.cancel(kind);
    if (s.recovery.status === 'running') s.cancelRecovery();
    if (s.headRefit.status === 'running') s.cancelHeadRefit();
    return running;
  };

  /**
   * The other file was refused or its open cancelled: the old model stays. Its float baseline
   * starts again (from the cache when it had finished); the design's measurement follows by itself
   * (auto-measure.ts); a sweep or retrain the user started stays cancelled, to be run again.
   */
  const resumeModelJobs = (interrupted: ReturnType<typeof cancelModelJobs>) => {
    if (get().model && interrupted.baseline) void get().runBaseline();
  };

  /** Applies a pure design edit; measured accuracy of the old design no longer applies. */
  const editDesign = (edit: (d: Design) => Design) => {
    jobs.cancel('measure');
    // Already idle (a drag's later steps): the same object, so views of the measurement do not re-render.
    set((s) => ({ design: edit(s.design), measured: s.measured.status === 'idle' && !s.measured.result ? s.measured : idle() }));
  };

  return {
    ...createDataSlice(set, get),
    ...createRetrainSlice(set, get, {
      jobs,
      data: (state) => ({ train: trainingData(state), calibration: calibrationData(state), evaluation: evaluationData(state) }),
      remeasure: () => {
        jobs.cancel('measure');
        set({ measured: idle() });
      },
    }),
    ...createFrontierSlice(set, get, {
      jobs,
      sweep: (s) => (s.sweep.result && s.sweep.modelSha256 === s.model?.sha256 && s.sweep.dataKey === evaluationDataKey(s) ? s.sweep.result : null),
      data: (s) => ({ calibration: calibrationData(s), evaluation: evaluationData(s) }),
      pointMetrics: (s, design, measured) => pointMetrics(evaluateDesign(s.model!.context, design, s.customDevices), measured),
      applyAllocation: (point) => {
        set({ allocation: point.allocation });
        editDesign(() => point.design);
      },
    }),
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
    sweep: noSweep(),
    sweepOptions: { ...DEFAULT_SWEEP_OPTIONS },
    allocation: null,
    tab: 'settings',

    async openModelBytes(bytes, fileName) {
      let model;
      const job = jobs.start('open-model');
      // The old model's jobs stop now, not after the new file's checks: their workers are free for
      // the new model at once (docs/decisions.md, "When opening another model cancels ...").
      const interrupted = cancelModelJobs();
      set({ openingModel: fileName });
      try {
        // Refused, slow or hostile files stop in the worker; only a model that passed is built here.
        await checkModelOffThread(bytes, fileName, job.signal);
        if (!job.current()) return false;
        const loaded = loadModel(bytes, fileName);
        model = { fileName, bytes, loaded, context: designContext(loaded), sha256: await sha256Hex(bytes) };
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

    async runBaseline() {
      const model = get().model;
      if (!model) return;
      const mismatch = dataMismatch(get());
      if (mismatch) {
        jobs.cancel('baseline');
        set({ baseline: { status: 'error', progress: { done: 0, total: 0 }, error: mismatch.message } });
        return;
      }
      const key = baselineKey(get());
      const cached = await cachedMeasurement<WorkerEvalResult>(key);
      if (cached && get().model === model && baselineKey(get()) === key) {
        jobs.cancel('baseline');
        set({ baseline: { status: 'done', progress: { done: cached.n, total: cached.n }, result: { ...cached, fromCache: true } } });
        return;
      }
      const job = jobs.start('baseline');
      set({ baseline: { status: 'running', progress: { done: 0, total: get().evalLimit } } });
      try {
        const result = await evaluateInWorker({
          modelBytes: model.bytes,
          inputShape: model.loaded.summary.inputs[0]?.shape ?? [],
          data: evaluationData(get()),
          limit: get().evalLimit,
          signal: job.signal,
          onProgress: (progress) => job.current() && set((s) => ({ baseline: { ...s.baseline, progress } })),
        });
        if (!job.current()) return;
        void cacheMeasurement(key, result);
        set({ baseline: { status: 'done', progress: { done: result.n, total: result.n }, result } });
      } catch (error) {
        if (!job.latest()) return; // superseded: the newer job owns the state
        set((s) => ({ baseline: { ...s.baseline, status: isAbortError(error) ? 'cancelled' : 'error', error: errorMessage(error) } }));
      }
    },

    cancelBaseline: () => jobs.cancel('baseline'),

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
    setRoundTo: (n) => editDesign((d) => edits.setRoundTo(d, n)),
    setFolding: (layer, config) => set((s) => ({ design: edits.setFolding(s.design, layer, config) })),
    setDevice: (id) => set((s) => ({ design: { ...s.design, hardware: { ...s.design.hardware, device: id } } })),
    setClock: (mhz) => set((s) => ({ design: { ...s.design, hardware: { ...s.design.hardware, clockMHz: mhz } } })),
    setBudget: (fraction) => set((s) => ({ design: { ...s.design, hardware: { ...s.design.hardware, budget: fraction } } })),
    addCustomDevice: (device) => set((s) => ({ customDevices: [...s.customDevices.filter((d) => d.id !== device.id), device] })),
    resetDesign: () => editDesign(() => defaultDesign()),
    selectLayers: (names) => set({ selectedLayers: names }),

    async measureDesign(options = {}) {
      const { model, design, evalLimit } = get();
      if (!model) return;
      const key = designKey(get());
      if (get().measured.result?.designKey === key && !options.fresh) return;
      const mismatch = dataMismatch(get());
      if (mismatch) {
        set({ measured: { status: 'error', progress: { done: 0, total: 0 }, error: mismatch.message } });
        return;
      }
      // A result measured before (this session or an earlier one) is shown at once, with no job.
      if (!options.fresh) {
        const retrained = retrainKey(get());
        const [cached, cachedRetrain] = await Promise.all([cachedMeasurement<MeasuredAccuracy>(key), cachedMeasurement<MeasuredAccuracy>(retrained)]);
        if (designKey(get()) !== key) return; // the design moved on meanwhile
        if (cachedRetrain && retrainKey(get()) === retrained && get().retrain.result?.designKey !== retrained) {
          set((s) => ({ retrain: { ...s.retrain, result: { ...cachedRetrain, designKey: retrained, fromCache: true } } }));
        }
        if (cached) {
          jobs.cancel('measure');
          const result = { ...cached, designKey: key, fromCache: true };
          set((s) => ({ measured: { status: 'done', progress: { done: result.n, total: result.n }, result }, points: withMeasurement(s.points, s, result) }));
          return;
        }
        if (options.cacheOnly) return;
      }
      const job = jobs.start('measure');
      set((s) => ({ measured: { status: 'running', progress: { done: 0, total: evalLimit } }, measureJobs: s.measureJobs + 1 }));
      const finish = (result: MeasuredAccuracy) => {
        if (!job.current()) return;
        void cacheMeasurement(key, result);
        set((s) => ({ measured: { status: 'done', progress: { done: result.n, total: result.n }, result }, points: withMeasurement(s.points, s, result) }));
      };
      try {
        if (recoveryOf(design).reconstruct) {
          const state = get();
          const input = { modelBytes: model.bytes, design, evalLimit, train: calibrationData(state), calibration: calibrationData(state), evaluation: evaluationData(state), signal: job.signal };
          finish(await measureReconstructed(input, key, (progress) => job.current() && set((s) => ({ measured: { ...s.measured, progress } }))));
          return;
        }
        const result = await evaluateConfigInWorker({
          modelBytes: model.bytes,
          inputShape: model.loaded.summary.inputs[0]?.shape ?? [],
          data: evaluationData(get()),
          calibration: calibrationData(get()),
          config: design.compression,
          limit: evalLimit,
          signal: job.signal,
          onProgress: (progress) => job.current() && set((s) => ({ measured: { ...s.measured, progress } })),
        });
        finish({ ...result, designKey: key });
      } catch (error) {
        if (!job.latest()) return; // superseded: the newer job owns the state
        if (!job.current()) return; // superseded by a newer design: nothing stale is kept
        set((s) => ({ measured: { ...s.measured, status: isAbortError(error) ? 'cancelled' : 'error', error: errorMessage(error) } }));
      }
    },

    cancelMeasure() {
      jobs.cancel('measure');
      set((s) => ({ measured: { ...s.measured, status: 'cancelled' } }));
    },

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

    async runSweep(options) {
      const { model, design } = get();
      if (!model) return;
      const mismatch = dataMismatch(get());
      if (mismatch) {
        set((s) => ({ sweep: { ...s.sweep, status: 'error', progress: null, error: mismatch.message } }));
        return;
      }
      const job = jobs.start('sweep');
      set((s) => ({ sweep: { ...s.sweep, status: 'running', progress: null, error: undefined } }));
      const quant = design.compression.quant ?? {};
      const analysis = model.context.analysis;
      const layers = options.layers.length
        ? options.layers.filter((name) => isComputeKind(model.loaded.layers.find((l) => l.name === name)?.kind))
        : null;
      const groups = options.layers.length
        ? [...new Set(options.layers.map((name) => analysis.layerGroup.get(name)).filter((g): g is string => !!g && !!analysis.groups.find((x) => x.id === g)?.prunable))]
        : null;
      try {
        const result = await runSweepInWorkers(
          {
            modelBytes: model.bytes,
            modelName: model.loaded.summary.name,
            data: importedEvaluationData(get()) ?? DEFAULT_DATA,
            calibration: importedCalibrationData(get()) ?? CALIBRATION_DATA,
            request: {
              ...(options.prune ? { prune: { ratios: [...DEFAULT_RATIOS], roundTo: design.compression.prune?.roundTo ?? 1, ...(groups ? { groups } : {}) } } : {}),
              ...(options.weightBits ? { weightBits: { bits: [...DEFAULT_BITS], ...(layers ? { layers } : {}) } } : {}),
              ...(options.activationBits ? { activationBits: { bits: [...DEFAULT_BITS], ...(layers ? { layers } : {}) } } : {}),
              scheme: { granularity: quant.granularity ?? 'per-channel', scale: quant.scale ?? 'float', rounding: quant.rounding ?? 'half-even' },
              limit: options.limit,
              ...(options.earlyStopDrop !== null ? { earlyStop: { maxDrop: options.earlyStopDrop } } : {}),
            },
          },
          { signal: job.signal, onProgress: (progress) => job.current() && set((s) => ({ sweep: { ...s.sweep, progress } })) },
        );
        if (job.current()) set({ sweep: { status: 'done', progress: null, result, modelSha256: model.sha256, dataKey: evaluationDataKey(get()) } });
      } catch (error) {
        if (!job.latest()) return; // superseded: the newer job owns the state
        // A cancelled sweep keeps the previous complete result, never a partial one.
        set((s) => ({ sweep: { ...s.sweep, status: isAbortError(error) ? 'cancelled' : 'error', progress: null, error: errorMessage(error) } }));
      }
    },

    cancelSweep: () => jobs.cancel('sweep'),
    loadSweep(result) {
      const model = get().model;
      if (!model) return;
      jobs.cancel('sweep');
      set({ sweep: { status: 'done', progress: null, result, modelSha256: model.sha256, dataKey: evaluationDataKey(get()) }, allocation: null });
    },
    setTab: (tab) => set({ tab }),
    setSweepOptions: (change) => set((s) => ({ sweepOptions: { ...s.sweepOptions, ...change } })),

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

    loadDesign: (design) => editDesign(() => structuredClone(design)),

    async newSession() {
      jobs.cancelAll();
      await clearSavedSession();
      await clearMeasurementCache();
      set({ design: defaultDesign(), points: [], compare: null, measured: idle(), retrain: idleRetrain(), autoFold: idle(), selectedLayers: [], customDevices: [], sweep: noSweep(), sweepOptions: { ...DEFAULT_SWEEP_OPTIONS }, allocation: null });
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

export function pointMetrics(m: DesignMetrics, measured: MeasuredAccuracy | null): DesignPoint['metrics'] {
  const e = m.estimate;
  return {
    params: m.params,
    macs: m.macs,
    fps: e.fps,
    latencyMs: e.latency.ms,
    powerW: e.power.totalW,
    gopsPerWatt: e.gopsPerWatt,
    dsp: e.totals.dsp,
    bram18: e.totals.bram18,
    lut: e.totals.lut,
    ff: e.totals.ff,
    fits: e.fits,
    ...measurementMetrics(measured),
  };
}
