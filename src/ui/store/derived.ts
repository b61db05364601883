import { useApp } from './index.ts';
import { evaluateDesign, type DesignMetrics } from '../../core/design/design.ts';
import type { AppState } from './types.ts';

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
