/**
 * Recovery as part of the design (issue 13): the measured accuracy of a design whose recipe says
 * "reconstruct" is of the reconstructed model (and of the unrecovered one, side by side); a retrain
 * the user asks for fine-tunes (or trains quantization-aware) in the train worker, and its result
 * belongs to exactly one design + recipe + data + image count. The recovered model's bytes go to
 * the session's recovered-model store (kept across reloads), for the exports.
 */
import type { StoreApi } from 'zustand';
import { recoveryOf, type RecoveryRecipe } from '../../core/design/design.ts';
import { isAbortError } from '../../core/errors.ts';
import type { RetrainOptions } from '../../core/train/retrain.ts';
import type { AnyDatasetRef } from '../../workers-client/evaluator.ts';
import type { CurvePoint } from './data-slice.ts';
import { errorMessage } from './job-slots.ts';
import type { Session } from '../../app/session.ts';
import { measurementOf } from '../../app/recovery.ts';
import type { AppState } from './types.ts';

export { recoveryLabel } from '../../app/measurement.ts';
export { stepRecords } from '../../app/recovery.ts';
export type { RetrainState } from '../../app/state.ts';
import type { RetrainState } from '../../app/state.ts';
export type { RetrainSliceActions } from './types.ts';
import type { RetrainSliceActions } from './types.ts';


type Set = StoreApi<AppState>['setState'];
type Get = StoreApi<AppState>['getState'];

export interface RetrainDeps {
  session: Session<AppState>;
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
      const job = deps.session.jobs.start('retrain');
      const recipe = recoveryOf(design);
      const data = deps.data(state);
      const key = deps.session.keys.retrain(state);
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
        const result = await deps.session.deps.workers.retrain({
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
        void deps.session.recovered.keep(key, { bytes: result.bytes, sha256: result.sha256 }).catch(() => undefined);
        const measured = measurementOf(result, key, recipe.reconstruct);
        void deps.session.cacheMeasurement(key, measured);
        set((s) => ({ retrain: { ...s.retrain, status: 'done', phase: null, secondsLeft: null, result: measured } }));
      } catch (error) {
        if (!job.latest()) return; // superseded: the newer job owns the state
        // Cancelled or failed: the previous result (and the open model) stay as they were.
        set((s) => ({
          retrain: { ...s.retrain, status: isAbortError(error) ? 'cancelled' : 'error', phase: null, secondsLeft: null, error: isAbortError(error) ? undefined : errorMessage(error) },
        }));
      }
    },

    cancelRetrain: () => deps.session.jobs.cancel('retrain'),
  };
}
