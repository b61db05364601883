/**
 * Runs one sweep unit (one curve) in onnxruntime: the prefix once per batch, then each point's
 * suffix on the cut activations. Weight-only bit-width points share one suffix session whose
 * varied weights are graph inputs. Works with any onnxruntime flavour (web/wasm, node) passed in,
 * so the browser workers, the CLI's worker threads and the tests share this code.
 *
 * Results are returned only for models evaluated on every requested image; a cancelled unit
 * throws EdgefoldError('cancelled') and returns nothing.
 */
import type * as Ort from 'onnxruntime-web';
import { EdgefoldError, throwIfAborted } from '../errors.ts';
import { batchTensor, type Dataset } from '../eval/dataset.ts';
import { planInput } from '../eval/evaluate.ts';
import { MetricsAccumulator } from '../eval/metrics.ts';
import type { OrtModule } from '../eval/ort-runner.ts';
import { encodeModel } from '../onnx/model.ts';
import type { CalibrationData } from '../quant/calibrate.ts';
import type { SweepModel } from './plan.ts';
import { buildPointModel, prunedChannels, quantizedWeights, weightInputName } from './points.ts';
import { cutBefore, gatherIndices, prefixModel, pruneCut, suffixInputNames, suffixModel } from './split.ts';
import type { PointMetrics, SweepSettings, SweepUnit } from './types.ts';

export interface EngineContext {
  ort: OrtModule;
  sm: SweepModel;
  settings: SweepSettings;
  data: Dataset;
  /** Images to evaluate (first n of the split). */
  limit?: number;
  calibration?: CalibrationData;
  /** Extra onnxruntime session options (e.g. intraOpNumThreads for the native engine). */
  sessionOptions?: Ort.InferenceSession.SessionOptions;
  /** Feed varied weights as inputs of one shared session (default true). */
  reuseSessions?: boolean;
  /**
   * Start prune suffixes after the group's channel-local ops (see pruneCut; default true). Bit-exact
   * in onnxruntime-web's wasm kernels (tested); not in onnxruntime-node, whose x86 blocked convs
   * round a conv's outputs differently with the channel count, so the native engine turns it off.
   */
  lateCuts?: boolean;
  /** Early-stop mode keeps the cut activations in memory up to this size (default 512 MiB). */
  memoryBudgetBytes?: number;
}

export interface UnitRunOptions {
  signal?: AbortSignal;
  /** Cumulative work of this unit: images x evaluated models. */
  onProgress?: (work: number) => void;
  /** Top-1 of the baseline, for early stop. */
  baselineTop1?: number;
}

export interface UnitResult {
  unit: string;
  /** modelKey -> metrics, for every model evaluated on all images. */
  results: Record<string, PointMetrics>;
  /** modelKeys not evaluated because the curve stopped early. */
  skipped: string[];
  seconds: number;
}

/** Images a unit evaluates and how they are batched. */
export function imagePlan(ctx: Pick<EngineContext, 'sm' | 'data' | 'limit' | 'settings'>): { total: number; batch: number; layout: 'NCHW' | 'NHWC'; dims: (count: number) => number[] } {
  const graph = ctx.sm.originalGraph;
  const inputShape = graph.shape(graph.inputs[0].name) ?? [];
  const plan = planInput(inputShape, ctx.data);
  const batch = plan.fixedBatch ?? ctx.settings.batchSize;
  let total = Math.min(ctx.limit ?? ctx.data.count, ctx.data.count);
  if (plan.fixedBatch !== null) total -= total % plan.fixedBatch; // a fixed batch cannot take a short tail
  const [c, h, w] = ctx.data.shape;
  return { total, batch, layout: plan.layout, dims: (count) => (plan.layout === 'NCHW' ? [count, c, h, w] : [count, h, w, c]) };
}

type Session = Ort.InferenceSession;

interface Entry {
  modelKey: string;
  session: Session;
  extra: Record<string, Ort.Tensor>;
  metrics: MetricsAccumulator;
}

export function toPointMetrics(m: MetricsAccumulator): PointMetrics {
  const r = m.result();
  return { top1: r.top1, top5: r.top5, loss: r.loss, n: r.n, ci95: r.ci95 };
}

export async function runUnit(ctx: EngineContext, unit: SweepUnit, options: UnitRunOptions = {}): Promise<UnitResult> {
  const started = performance.now();
  const { ort, sm, settings, data } = ctx;
  const signal = options.signal;
  throwIfAborted(signal);
  const { model: base, graph } = sm.base(unit.base);
  const cut = unit.kind === 'prune' && ctx.lateCuts !== false ? pruneCut(sm.analysis, unit.target) : cutBefore(graph, unit.cutIndex);
  const images = imagePlan(ctx);
  const sessionOptions: Ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', logSeverityLevel: 3, ...ctx.sessionOptions };
  const sessions: Session[] = [];
  const open = async (bytes: Uint8Array) => {
    const s = await ort.InferenceSession.create(bytes, sessionOptions);
    sessions.push(s);
    return s;
  };
  try {
    const prefixProto = prefixModel(base, cut);
    const prefix = prefixProto ? await open(encodeModel(prefixProto)) : undefined;
    const inputName = graph.inputs[0].name;
    const feedNames = suffixInputNames(cut);
    const classes = data.classes.length;

    // One entry per distinct model of the unit, in order of increasing severity.
    const entries: Entry[] = [];
    if (unit.kind === 'weight-bits' && ctx.reuseSessions !== false) {
      const first = buildPointModel(sm, settings, unit.points[0]);
      const wName = weightInputName(first, unit.target);
      const dims = first.graph!.initializer.find((t) => t.name === wName)!.dims.map(Number);
      const session = await open(encodeModel(suffixModel(first, cut, { weightInputs: [wName] })));
      for (const p of unit.points) {
        const weights = new ort.Tensor('float32', quantizedWeights(sm, settings, unit.target, p.value), dims);
        entries.push({ modelKey: p.modelKey, session, extra: { [wName]: weights }, metrics: new MetricsAccumulator(classes) });
      }
    } else {
      for (const p of unit.points) {
        throwIfAborted(signal);
        const pointModel = buildPointModel(sm, settings, p, ctx.calibration);
        const gather = cut.gathered ? gatherIndices(sm.analysis, cut, prunedChannels(sm, settings, p)) : undefined;
        entries.push({ modelKey: p.modelKey, session: await open(encodeModel(suffixModel(pointModel, cut, { gather }))), extra: {}, metrics: new MetricsAccumulator(classes) });
      }
    }

    const feedsFor = async (start: number, count: number): Promise<Record<string, Ort.Tensor>> => {
      const x = new ort.Tensor('float32', batchTensor(data, start, count, images.layout), images.dims(count));
      if (!prefix) return { [inputName]: x };
      const out = await prefix.run({ [inputName]: x }, cut.tensors);
      return Object.fromEntries(cut.tensors.map((t, i) => [feedNames[i], out[t]]));
    };
    const runEntry = async (e: Entry, feeds: Record<string, Ort.Tensor>, start: number, count: number) => {
      const session = e.session;
      const outName = session.outputNames[0];
      const result = await session.run({ ...feeds, ...e.extra }, [outName]);
      const scores = result[outName].data as Float32Array;
      e.metrics.add(scores, data.labels.subarray(start, start + count), count);
      result[outName].dispose?.();
    };

    const results: Record<string, PointMetrics> = {};
    const skipped: string[] = [];
    const earlyStop = settings.earlyStop && unit.kind !== 'baseline' ? settings.earlyStop : null;
    if (!earlyStop) {
      // Interleaved: every batch goes through the prefix once and then through every point.
      for (let start = 0; start < images.total; start += images.batch) {
        throwIfAborted(signal);
        const count = Math.min(images.batch, images.total - start);
        const feeds = await feedsFor(start, count);
        for (const e of entries) {
          throwIfAborted(signal);
          await runEntry(e, feeds, start, count);
        }
        options.onProgress?.((start + count) * entries.length);
      }
      throwIfAborted(signal);
      for (const e of entries) results[e.modelKey] = toPointMetrics(e.metrics);
    } else {
      // Curve by curve: a point is finished before the next, harsher one starts, so the curve can stop.
      if (options.baselineTop1 === undefined) throw new EdgefoldError('internal', 'Early stop needs the baseline accuracy.');
      const budget = ctx.memoryBudgetBytes ?? 512 * 2 ** 20;
      const keepFeeds = cut.trivial || images.total * cut.floatsPerImage * 4 <= budget;
      const stored: Record<string, Ort.Tensor>[] = [];
      let work = 0;
      let stopped = false;
      for (const [i, e] of entries.entries()) {
        if (stopped) {
          skipped.push(e.modelKey);
          continue;
        }
        for (let start = 0, b = 0; start < images.total; start += images.batch, b++) {
          throwIfAborted(signal);
          const count = Math.min(images.batch, images.total - start);
          let feeds = keepFeeds ? stored[b] : undefined;
          if (!feeds) {
            feeds = await feedsFor(start, count);
            if (keepFeeds) stored[b] = feeds;
          }
          await runEntry(e, feeds, start, count);
          work += count;
          options.onProgress?.(work);
        }
        throwIfAborted(signal);
        results[e.modelKey] = toPointMetrics(e.metrics);
        if (options.baselineTop1 - results[e.modelKey].top1 > earlyStop.maxDrop && i < entries.length - 1) stopped = true;
      }
    }
    return { unit: unit.id, results, skipped, seconds: (performance.now() - started) / 1000 };
  } finally {
    await Promise.all(sessions.map((s) => s.release().catch(() => undefined)));
  }
}
