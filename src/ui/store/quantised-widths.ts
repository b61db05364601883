/**
 * The requantiser bias widths of the quantised design (issue 17): the estimate bounds a
 * requantiser's stored bias by its accumulator until the integer parameters are known, which needs
 * calibration in the evaluator worker. Synthesis and the accelerator export calibrate anyway, so
 * they fetch the widths first (`ensureQuantisedWidths`); from then on the estimate of that design
 * (same model, compression and calibration data) counts the parameter memories as generated.
 */
import { create } from 'zustand';
import { isIntegerDesign } from '../../core/config/compression.ts';
import { requantWidthsInWorker } from '../../workers-client/evaluator.ts';
import { calibrationData, labelMapping } from './index.ts';
import { measurementDataKey } from './measurement.ts';
import type { AppState } from './types.ts';

interface QuantisedWidthsState {
  /** quantisedWidthsKey of the design the widths belong to. */
  key: string | null;
  widths: Record<string, number> | null;
}

export const useQuantisedWidths = create<QuantisedWidthsState>()(() => ({ key: null, widths: null }));

/** What the widths depend on: the model, the compression config and the calibration data (not folding or device). */
export function quantisedWidthsKey(state: Pick<AppState, 'model' | 'dataset' | 'design'>): string {
  return JSON.stringify({ model: state.model?.sha256 ?? '', compression: state.design.compression, data: measurementDataKey(state, labelMapping) });
}

/** The widths of this design when they are known, else undefined (the estimate then takes the accumulator bound). */
export function quantisedWidthsFor(state: Pick<AppState, 'model' | 'dataset' | 'design'>, known: QuantisedWidthsState = useQuantisedWidths.getState()): Record<string, number> | undefined {
  if (!known.widths || !state.model || !isIntegerDesign(state.design.compression)) return undefined;
  return known.key === quantisedWidthsKey(state) ? known.widths : undefined;
}

/** Fetches the current design's widths from the worker unless known (quantised designs only). */
export async function ensureQuantisedWidths(state: AppState, signal?: AbortSignal): Promise<void> {
  if (!state.model || !isIntegerDesign(state.design.compression) || quantisedWidthsFor(state)) return;
  const key = quantisedWidthsKey(state);
  const widths = await requantWidthsInWorker({
    modelBytes: state.model.bytes,
    inputShape: state.model.loaded.summary.inputs[0]?.shape ?? [],
    config: state.design.compression,
    calibration: calibrationData(state),
    signal,
  });
  useQuantisedWidths.setState({ key, widths });
}
