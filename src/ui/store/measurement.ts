/**
 * The explorer's side of the one measurement key (src/core/design/measurement-key.ts): which model,
 * data and design of the session a measurement is of. Every result the views show as "measured"
 * for the current design (its own measurement, a retrain, the Recovery panel, the cache) is looked
 * up with these keys.
 */
import { recoveryOf, type Design } from '../../core/design/design.ts';
import { measurementKey, WEB_ENGINE, type MeasurementSubject } from '../../core/design/measurement-key.ts';
import { labelMapping } from './data-slice.ts';
import { recoveryLabel } from './retrain-slice.ts';
import type { AppState, DesignPoint, MeasuredAccuracy } from './types.ts';

type KeyState = Pick<AppState, 'model' | 'dataset' | 'design' | 'evalLimit'>;

/** The evaluation data's identity: "bundled", or the imported dataset's id with its label mapping. */
export function measurementDataKey(state: Pick<AppState, 'model' | 'dataset'>): string {
  const { imported, source } = state.dataset;
  if (source !== 'imported' || !imported) return 'bundled';
  return `imported:${imported.identity.id}|${labelMapping(state)?.toModel.join(',') ?? ''}`;
}

export function measurementSubject(state: KeyState, retrained: boolean, design: Design = state.design): MeasurementSubject {
  const recipe = recoveryOf(design);
  return {
    model: state.model?.sha256 ?? '',
    compression: design.compression,
    recovery: { reconstruct: recipe.reconstruct, retrain: retrained ? recipe.retrain : null },
    data: measurementDataKey(state),
    images: state.evalLimit,
    engine: WEB_ENGINE,
  };
}

/** Views ask for the current keys on every store change: remember the last inputs (by identity) and keys. */
const memo: { design: unknown[]; retrain: unknown[] } = { design: [], retrain: [] };
const same = (a: unknown[], b: unknown[]) => a.every((v, i) => v === b[i]);

/** Key of the design's own measurement (reconstruction when its recipe says so, no retrain). */
export function designKey(state: KeyState, design: Design = state.design): string {
  const inputs = [state.model, state.dataset.source, state.dataset.imported, state.dataset.mappingOverride, state.evalLimit, design];
  if (same(inputs, memo.design.slice(0, 6)) && memo.design[6]) return memo.design[6] as string;
  const key = measurementKey(measurementSubject(state, false, design));
  memo.design = [...inputs, key];
  return key;
}

/** Key of a retrain of the design with its recipe. */
export function retrainKey(state: KeyState): string {
  const inputs = [state.model, state.dataset.source, state.dataset.imported, state.dataset.mappingOverride, state.evalLimit, state.design];
  if (same(inputs, memo.retrain.slice(0, 6)) && memo.retrain[6]) return memo.retrain[6] as string;
  const key = measurementKey(measurementSubject(state, true));
  memo.retrain = [...inputs, key];
  return key;
}

/** Key of the float model's accuracy on the session's data: the model with nothing compressed or recovered. */
export const baselineKey = (state: Pick<AppState, 'model' | 'dataset' | 'evalLimit'>): string =>
  measurementKey({
    model: state.model?.sha256 ?? '',
    compression: { version: 1 },
    recovery: { reconstruct: false, retrain: null },
    data: measurementDataKey(state),
    images: state.evalLimit,
    engine: `${WEB_ENGINE} float`,
  });

/**
 * Design points saved before their design's measurement finished receive it when it arrives
 * (same model, same design, same data and image count; a point never loses a measurement it has).
 */
export function withMeasurement(points: DesignPoint[], state: KeyState, result: MeasuredAccuracy): DesignPoint[] {
  let changed = false;
  const next = points.map((p) => {
    if (p.metrics.measuredTop1 !== null || p.modelSha256 !== state.model?.sha256) return p;
    if (designKey(state, p.design) !== result.designKey) return p;
    changed = true;
    return { ...p, metrics: { ...p.metrics, ...measurementMetrics(result) } };
  });
  return changed ? next : points;
}

/** The accuracy fields of a design point from a measurement. */
export function measurementMetrics(m: MeasuredAccuracy | null) {
  return {
    measuredTop1: m?.top1 ?? null,
    measuredCi95: m?.ci95 ?? null,
    measuredImages: m?.n ?? null,
    rawTop1: m?.raw?.top1 ?? null,
    recovery: recoveryLabel(m),
  };
}
