import { useDeferredValue, useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { evaluationDataKey, useApp } from './index.ts';
import { evaluateDesign, type DesignMetrics } from '../../core/design/design.ts';
import type { AppState } from './types.ts';
import { quantisedWidthsFor, useQuantisedWidths } from './quantised-widths.ts';
import { predictAccuracy, type Prediction } from '../../core/sensitivity/predictor.ts';

export interface DerivedDesign {
  metrics: DesignMetrics | null;
  error: string | null;
}

type DesignInputs = Pick<AppState, 'model' | 'design' | 'customDevices' | 'dataset'>;
type Widths = Record<string, number> | undefined;
/** The last two evaluations: the views' (deferred) design and the store's current one can differ for a frame. */
let recent: { model: AppState['model']; design: AppState['design']; custom: AppState['customDevices']; widths: Widths; value: DerivedDesign }[] = [];

/**
 * The current design's metrics, computed once per (model, design, devices, requantiser widths)
 * however many views read them. The widths are the quantised design's once synthesis or the
 * accelerator export has fetched them (quantised-widths.ts), else the estimate's accumulator bound.
 */
export function deriveDesign(state: DesignInputs, widths: Widths = quantisedWidthsFor(state)): DerivedDesign {
  const hit = recent.find((r) => r.model === state.model && r.design === state.design && r.custom === state.customDevices && r.widths === widths);
  if (hit) return hit.value;
  let value: DerivedDesign;
  if (!state.model) value = { metrics: null, error: null };
  else {
    try {
      value = { metrics: evaluateDesign(state.model.context, state.design, state.customDevices, widths), error: null };
    } catch (error) {
      value = { metrics: null, error: error instanceof Error ? error.message : String(error) };
    }
  }
  recent = [{ model: state.model, design: state.design, custom: state.customDevices, widths, value }, ...recent.slice(0, 1)];
  return value;
}

/**
 * What the views evaluate, deferred (useDeferredValue): a slider move commits the slider itself at
 * once (it reads its value from the design), and the table, cards and charts follow in a render of
 * their own that the next input can interrupt, usually before the next frame is painted.
 */
function useDeferredDesignInputs(): DesignInputs {
  const current = useApp(useShallow((s): DesignInputs => ({ model: s.model, design: s.design, customDevices: s.customDevices, dataset: s.dataset })));
  const deferred = useDeferredValue(current);
  // Only design moves are deferred: views read the open model's layers directly, so metrics of the
  // previous model must never reach them (a 42-layer model opened after a 15-layer one crashed the table).
  return deferred.model === current.model ? deferred : current;
}

export function useDesignMetrics(): DerivedDesign {
  const inputs = useDeferredDesignInputs();
  // Subscribed, so the views follow when synthesis or the export brings the quantised widths.
  const known = useQuantisedWidths();
  return deriveDesign(inputs, quantisedWidthsFor(inputs, known));
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
  const { design, model } = useDeferredDesignInputs();
  const dataset = useApp((s) => s.dataset);
  return derivePrediction({ sweep, design, model, dataset });
}
