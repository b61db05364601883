import { useMemo } from 'react';
import { evaluationDataKey, useApp } from './index.ts';
import { evaluateDesign, type DesignMetrics } from '../../core/design/design.ts';
import type { AppState } from './types.ts';
import { predictAccuracy, type Prediction } from '../../core/sensitivity/predictor.ts';

export interface DerivedDesign {
  metrics: DesignMetrics | null;
  error: string | null;
}

let last: { model: AppState['model']; design: AppState['design']; custom: AppState['customDevices']; value: DerivedDesign } | null = null;

/** The current design's metrics, computed once per (model, design, devices) however many views read them. */
export function deriveDesign(state: Pick<AppState, 'model' | 'design' | 'customDevices'>): DerivedDesign {
  if (last && last.model === state.model && last.design === state.design && last.custom === state.customDevices) return last.value;
  let value: DerivedDesign;
  if (!state.model) value = { metrics: null, error: null };
  else {
    try {
      value = { metrics: evaluateDesign(state.model.context, state.design, state.customDevices), error: null };
    } catch (error) {
      value = { metrics: null, error: error instanceof Error ? error.message : String(error) };
    }
  }
  last = { model: state.model, design: state.design, custom: state.customDevices, value };
  return value;
}

export function useDesignMetrics(): DerivedDesign {
  const model = useApp((s) => s.model);
  const design = useApp((s) => s.design);
  const customDevices = useApp((s) => s.customDevices);
  return deriveDesign({ model, design, customDevices });
}

let lastPrediction: { sweep: unknown; design: unknown; value: Prediction | null } | null = null;

/** Accuracy of the current design predicted from the sensitivity curves (null without a sweep of this model). */
/** The sweep that belongs to the open model and the current evaluation data, if any. */
type SweepResultState = Pick<AppState['sweep'], 'result' | 'modelSha256' | 'dataKey'>;

export function activeSweep(state: Pick<AppState, 'model' | 'dataset'> & { sweep: SweepResultState }) {
  const { sweep } = state;
  return sweep.result && sweep.modelSha256 === state.model?.sha256 && sweep.dataKey === evaluationDataKey(state) ? sweep.result : null;
}

/** The parts of the sweep state a view of its result reads: progress messages of a running sweep change none of them. */
function useSweepResultState(): SweepResultState {
  const result = useApp((s) => s.sweep.result);
  const modelSha256 = useApp((s) => s.sweep.modelSha256);
  const dataKey = useApp((s) => s.sweep.dataKey);
  return useMemo(() => ({ result, modelSha256, dataKey }), [result, modelSha256, dataKey]);
}

export function useActiveSweep() {
  const sweep = useSweepResultState();
  const model = useApp((s) => s.model);
  const dataset = useApp((s) => s.dataset);
  return activeSweep({ sweep, model, dataset });
}

export function derivePrediction(state: Pick<AppState, 'design' | 'model' | 'dataset'> & { sweep: SweepResultState }): Prediction | null {
  const sweep = activeSweep(state);
  if (lastPrediction && lastPrediction.sweep === sweep && lastPrediction.design === state.design) return lastPrediction.value;
  let value: Prediction | null = null;
  if (sweep) {
    try {
      value = predictAccuracy(sweep, state.design.compression);
    } catch {
      value = null;
    }
  }
  lastPrediction = { sweep, design: state.design, value };
  return value;
}

export function usePrediction(): Prediction | null {
  const sweep = useSweepResultState();
  const design = useApp((s) => s.design);
  const model = useApp((s) => s.model);
  const dataset = useApp((s) => s.dataset);
  return derivePrediction({ sweep, design, model, dataset });
}
