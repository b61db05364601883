/**
 * Recovery as part of the design (issue 13): the measured accuracy of a design whose recipe says
 * "reconstruct" is of the reconstructed model (and of the unrecovered one, side by side); a retrain
 * the user asks for fine-tunes (or trains quantization-aware) in the train worker, and its result
 * belongs to exactly one design + recipe + data + image count. The recovered model's bytes stay
 * out of React state (`recovered`), for the exports.
 */
import type { StoreApi } from 'zustand';
import { recoveryOf, type Design, type RecoveryRecipe } from '../../core/design/design.ts';
import { isAbortError } from '../../core/errors.ts';
import type { EvalResult } from '../../core/eval/evaluate.ts';
import type { RetrainOptions } from '../../core/train/retrain.ts';
import type { RecoveryAccuracy, RecoveryStepRecord } from '../../core/transfer/recover.ts';
import { retrainInWorker, type WorkerRetrainResult } from '../../workers-client/train.ts';
import type { AnyDatasetRef } from '../../workers-client/evaluator.ts';
import type { CurvePoint } from './data-slice.ts';
import { designKey, retrainKey } from './measurement.ts';
import { cacheMeasurement } from './measurement-cache.ts';
import { errorMessage, type jobSlots } from './job-slots.ts';
import type { AppState, JobStatus, MeasuredAccuracy } from './types.ts';

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

export interface RetrainSliceActions {
  setRecovery(recipe: Partial<Omit<RecoveryRecipe, 'retrain'>> & { retrain?: Partial<RecoveryRecipe['retrain']> }): void;
  retrainDesign(): Promise<void>;
  cancelRetrain(): void;
}

/** A retrained result of the current design if there is one, else its (auto) measurement: what the card, points and exports show. */
export function currentMeasurement(state: Pick<AppState, 'model' | 'dataset' | 'design' | 'evalLimit' | 'measured' | 'retrain'>): MeasuredAccuracy | null {
  const retrained = state.retrain.result;
  if (retrained && retrained.designKey === retrainKey(state)) return retrained;
  const measured = state.measured.result;
  return measured && measured.designKey === designKey(state) ? measured : null;
}

/** The recovered model bytes of the last reconstruction or retrain, by the key of its measurement. */
const recovered = new Map<string, { bytes: Uint8Array; sha256: string }>();
export function recoveredBytes(key: string | undefined): { bytes: Uint8Array; sha256: string } | null {
  return (key && recovered.get(key)) || null;
}
function keepRecovered(key: string, bytes: Uint8Array, sha256: string) {
  if (recovered.size >= 6) recovered.delete(recovered.keys().next().value!);
  recovered.set(key, { bytes, sha256 });
}

const accuracy = (r: EvalResult): RecoveryAccuracy => ({ provenance: 'measured', top1: r.top1, ci95: r.ci95, images: r.n, dataset: r.dataset, split: r.split });

/** Each step of the run as the deployment config records it: data, settings, accuracy before and after. */
export function stepRecords(result: WorkerRetrainResult, reconstructed: boolean): RecoveryStepRecord[] {
  const records: RecoveryStepRecord[] = [];
  const a = result.accuracy;
  if (reconstructed && result.reconstruction) {
    const applied = result.reconstruction.layers.filter((l) => l.applied);
    const cal = result.data.calibration;
    records.push({
      step: 'reconstruct',
      data: { dataset: cal?.dataset ?? 'calibration', split: cal?.split ?? 'calibration', images: result.reconstruction.images },
      layersReconstructed: applied.length,
      layersSkipped: result.reconstruction.layers.filter((l) => !l.applied).map((l) => ({ layer: l.layer, reason: l.reason ?? 'not applied' })),
      ...(a?.compressed ? { accuracyBefore: accuracy(a.compressed), accuracyAfter: accuracy(a.before) } : {}),
    });
  }
  if (result.epochs.length) {
    const o = result.options;
    records.push({
      step: o.qat ? 'qat' : 'fine-tune',
      data: result.data.train,
      recipe: { epochs: o.epochs, lr: o.lr, batchSize: o.batchSize, optimizer: o.optimizer, weightDecay: o.weightDecay, kd: o.kd, augment: o.augment, seed: o.seed, qat: o.qat },
      history: result.epochs,
      ...(a ? { accuracyBefore: accuracy(a.before), accuracyAfter: accuracy(a.after) } : {}),
    });
  }
  return records;
}

/** The measurement a run gives the design: the recovered model's accuracy, the unrecovered one's beside it. */
function measurementOf(result: WorkerRetrainResult, key: string, reconstructed: boolean): MeasuredAccuracy {
  const after = result.accuracy!.after;
  const raw = result.accuracy!.compressed ?? (result.epochs.length ? result.accuracy!.before : undefined);
  return {
    ...after,
    threads: result.threads,
    designKey: key,
    raw: raw ? { top1: raw.top1, ci95: raw.ci95, n: raw.n } : undefined,
    recovery: stepRecords(result, reconstructed),
    sha256: result.sha256,
  };
}

export interface RecoveryRunInput {
  modelBytes: Uint8Array;
  design: Design;
  evalLimit: number;
  train: AnyDatasetRef;
  calibration: AnyDatasetRef;
  evaluation: AnyDatasetRef;
  signal: AbortSignal;
}

/** Measures the design after reconstruction only (what measureDesign runs when the recipe says so). */
export async function measureReconstructed(input: RecoveryRunInput, key: string, onProgress: (p: { done: number; total: number }) => void): Promise<MeasuredAccuracy> {
  const result = await retrainInWorker({
    modelBytes: input.modelBytes,
    config: input.design.compression,
    // no training: the calibration images stand in for the (unused) training split
    train: input.calibration,
    calibration: input.calibration,
    evaluation: input.evaluation,
    evaluationLimit: input.evalLimit,
    reconstruct: true,
    options: { epochs: 0, qat: false },
    signal: input.signal,
    onProgress: (p) => onProgress({ done: ['prepare', 'reconstruct', 'calibrate', 'evaluate'].indexOf(p.phase) + 1, total: 5 }),
  });
  keepRecovered(key, result.bytes, result.sha256);
  return measurementOf(result, key, true);
}

type Set = StoreApi<AppState>['setState'];
type Get = StoreApi<AppState>['getState'];

export interface RetrainDeps {
  jobs: ReturnType<typeof jobSlots>;
  /** Data refs of the session (bundled or imported). */
  data: (state: AppState) => { train: AnyDatasetRef; calibration: AnyDatasetRef; evaluation: AnyDatasetRef };
  /** Called when the recipe changes what the measurement is of. */
  remeasure: () => void;
}

export const idleRetrain = (): RetrainState => ({ status: 'idle', phase: null, progress: { done: 0, total: 0 }, secondsLeft: null, curve: [] });

export function createRetrainSlice(set: Set, get: Get, deps: RetrainDeps): { retrain: RetrainState } & RetrainSliceActions {
  return {
    retrain: idleRetrain(),

    setRecovery(change) {
      const current = recoveryOf(get().design);
      const next: RecoveryRecipe = { ...current, ...change, retrain: { ...current.retrain, ...change.retrain } };
      const remeasure = next.reconstruct !== current.reconstruct;
      set((s) => ({ design: { ...s.design, recovery: next } }));
      if (remeasure) deps.remeasure();
    },

    async retrainDesign() {
      const state = get();
      const { model, design, evalLimit } = state;
      if (!model) return;
      const job = deps.jobs.start('retrain');
      const recipe = recoveryOf(design);
      const data = deps.data(state);
      const key = retrainKey(state);
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
      set({ retrain: { ...idleRetrain(), status: 'running', phase: 'prepare', result: get().retrain.result } });
      try {
        const result = await retrainInWorker({
          modelBytes: model.bytes,
          config: design.compression,
          train: data.train,
          calibration: data.calibration,
          evaluation: data.evaluation,
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
              set((s) => ({ retrain: { ...s.retrain, phase: `epoch ${t.epoch}/${t.epochs}`, progress: { done: t.step, total: t.steps }, secondsLeft: t.secondsLeft, curve: [...curve] } }));
            } else set((s) => ({ retrain: { ...s.retrain, phase: p.phase } }));
          },
        });
        if (!job.current()) return;
        keepRecovered(key, result.bytes, result.sha256);
        const measured = measurementOf(result, key, recipe.reconstruct);
        void cacheMeasurement(key, measured);
        set((s) => ({ retrain: { ...s.retrain, status: 'done', phase: null, secondsLeft: null, result: measured } }));
      } catch (error) {
        if (!job.latest()) return; // superseded: the newer job owns the state
        // Cancelled or failed: the previous result (and the open model) stay as they were.
        set((s) => ({
          retrain: { ...s.retrain, status: isAbortError(error) ? 'cancelled' : 'error', phase: null, secondsLeft: null, error: isAbortError(error) ? undefined : errorMessage(error) },
        }));
      }
    },

    cancelRetrain: () => deps.jobs.cancel('retrain'),
  };
}

/** A short description of what recovered a measurement, for cards and points. */
export function recoveryLabel(m: MeasuredAccuracy | null): string | null {
  if (!m?.recovery?.length) return null;
  return m.recovery
    .map((r) => (r.step === 'reconstruct' ? 'reconstruction' : `${r.recipe?.epochs ?? '?'} epoch${r.recipe?.epochs === 1 ? '' : 's'} ${r.step === 'qat' ? 'QAT' : 'fine-tuning'}${r.recipe?.kd ? ' with KD' : ''}`))
    .join(' + ');
}
