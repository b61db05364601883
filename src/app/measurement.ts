/**
 * The session's side of the one measurement key (src/core/design/measurement-key.ts): which model,
 * data and design of the session a measurement is of. Every result shown as "measured" for the
 * current design (its own measurement, a retrain, the Recovery panel, the cache, the recovered
 * model bytes) is looked up with these keys.
 */
import { recoveryOf, type Design, type DesignMetrics } from '../core/design/design.ts';
import { measurementKey, WEB_ENGINE, type MeasurementSubject } from '../core/design/measurement-key.ts';
import type { LabelMapping } from '../core/data/labels.ts';
import type { DataSliceState, DesignPoint, MeasuredAccuracy, OpenModel } from './state.ts';

export interface KeyState {
  model: OpenModel | null;
  dataset: DataSliceState['dataset'];
  design: Design;
  evalLimit: number;
}

type Mapping = (state: Pick<KeyState, 'model' | 'dataset'>) => LabelMapping | null;

/** The evaluation data's identity: "bundled", or the imported dataset's id with its label mapping. */
export function measurementDataKey(state: Pick<KeyState, 'model' | 'dataset'>, mapping: Mapping): string {
  const { imported, source } = state.dataset;
  if (source !== 'imported' || !imported) return 'bundled';
  return `imported:${imported.identity.id}|${mapping(state)?.toModel.join(',') ?? ''}`;
}

export function measurementSubject(state: KeyState, mapping: Mapping, retrained: boolean, design: Design = state.design): MeasurementSubject {
  const recipe = recoveryOf(design);
  return {
    model: state.model?.sha256 ?? '',
    compression: design.compression,
    recovery: { reconstruct: recipe.reconstruct, retrain: retrained ? recipe.retrain : null },
    data: measurementDataKey(state, mapping),
    images: state.evalLimit,
    engine: WEB_ENGINE,
  };
}

const same = (a: unknown[], b: unknown[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The session's measurement keys. Views ask for the current keys on every state change (a key is
 * a sha256 of canonical JSON), so the last inputs (by identity) and keys are remembered.
 */
export class MeasurementKeys {
  private designMemo: { inputs: unknown[]; key: string } | null = null;
  private retrainMemo: { inputs: unknown[]; key: string } | null = null;

  constructor(private readonly mapping: Mapping) {}

  private inputs(state: KeyState, design: Design): unknown[] {
    return [state.model, state.dataset.source, state.dataset.imported, state.dataset.mappingOverride, state.dataset.bundled, state.evalLimit, design];
  }

  /** Key of the design's own measurement (reconstruction when its recipe says so, no retrain). */
  design(state: KeyState, design: Design = state.design): string {
    const inputs = this.inputs(state, design);
    if (this.designMemo && same(inputs, this.designMemo.inputs)) return this.designMemo.key;
    const key = measurementKey(measurementSubject(state, this.mapping, false, design));
    this.designMemo = { inputs, key };
    return key;
  }

  /** Key of a retrain of the design with its recipe. */
  retrain(state: KeyState): string {
    const inputs = this.inputs(state, state.design);
    if (this.retrainMemo && same(inputs, this.retrainMemo.inputs)) return this.retrainMemo.key;
    const key = measurementKey(measurementSubject(state, this.mapping, true));
    this.retrainMemo = { inputs, key };
    return key;
  }

  /** Key of the float model's accuracy on the session's data: the model with nothing compressed or recovered. */
  baseline(state: Pick<KeyState, 'model' | 'dataset' | 'evalLimit'>): string {
    return measurementKey({
      model: state.model?.sha256 ?? '',
      compression: { version: 1 },
      recovery: { reconstruct: false, retrain: null },
      data: measurementDataKey(state, this.mapping),
      images: state.evalLimit,
      engine: `${WEB_ENGINE} float`,
    });
  }

  /**
   * Design points saved before their design's measurement finished receive it when it arrives
   * (same model, same design, same data and image count; a point never loses a measurement it has).
   */
  withMeasurement(points: DesignPoint[], state: KeyState, result: MeasuredAccuracy): DesignPoint[] {
    let changed = false;
    const next = points.map((p) => {
      if (p.metrics.measuredTop1 !== null || p.modelSha256 !== state.model?.sha256) return p;
      if (measurementKey(measurementSubject(state, this.mapping, false, p.design)) !== result.designKey) return p;
      changed = true;
      return { ...p, metrics: { ...p.metrics, ...measurementMetrics(result) } };
    });
    return changed ? next : points;
  }
}

/** A design point's metrics: the design's estimate and, when measured for exactly it, its measurement. */
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

/** A short description of what recovered a measurement, for cards and points. */
export function recoveryLabel(m: MeasuredAccuracy | null): string | null {
  if (!m?.recovery?.length) return null;
  return m.recovery
    .map((r) => (r.step === 'reconstruct' ? 'reconstruction' : `${r.recipe?.epochs ?? '?'} epoch${r.recipe?.epochs === 1 ? '' : 's'} ${r.step === 'qat' ? 'QAT' : 'fine-tuning'}${r.recipe?.kd ? ' with KD' : ''}`))
    .join(' + ');
}
