/**
 * Runs one sweep task (one or more curves) in onnxruntime: the shared prefix once per batch, then
 * each point's suffix on the cut activations. Weight-only bit-width points share one suffix
 * session whose varied weights are graph inputs. Works with any onnxruntime flavour (web/wasm,
 * node) passed in, so the browser workers, the CLI's worker threads and the tests share this code.
 *
 * Results are returned only for models evaluated on every requested image; a cancelled task
 * throws EdgefoldError('cancelled') and returns nothing.
 */
import type * as Ort from 'onnxruntime-web';
import { EdgefoldError, throwIfAborted } from '../errors.ts';
import { nextMacrotask } from '../yield.ts';
import { batchTensor, type Dataset } from '../eval/dataset.ts';
import { planInput } from '../eval/evaluate.ts';
import { MetricsAccumulator } from '../eval/metrics.ts';
import type { OrtModule } from '../eval/ort-runner.ts';
import { encodeModel } from '../onnx/model.ts';
import type { CalibrationData } from '../quant/calibrate.ts';
import type { SweepModel } from './plan.ts';
import { buildPointModel, prunedChannels, quantizedWeights, weightInputName } from './points.ts';
import { cutBefore, gatherIndices, mergeCuts, prefixModel, pruneCut, suffixInputNames, suffixModel, type Cut } from './split.ts';
import type { PointMetrics, SweepSettings, SweepTask, SweepUnit } from './types.ts';

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

export interface TaskRunOptions {
  signal?: AbortSignal;
  /** Cumulative work of this task: images x evaluated models. */
  onProgress?: (work: number) => void;
  /** Top-1 of the baseline, for early stop. */
  baselineTop1?: number;
}

export interface TaskResult {
  task: string;
  /** modelKey -> metrics, for every model evaluated on all images. */
  results: Record<string, PointMetrics>;
  /** modelKeys not evaluated because the curve stopped early. */
  skipped: string[];
  seconds: number;
}

/** Images a task evaluates and how they are batched. */
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
  /** This point's suffix inputs, from the batch's input and cut tensors. */
  pick: (values: Record<string, Ort.Tensor>) => Record<string, Ort.Tensor>;
  metrics: MetricsAccumulator;
}

export function toPointMetrics(m: MetricsAccumulator): PointMetrics {
  const r = m.result();
  return { top1: r.top1, top5: r.top5, loss: r.loss, n: r.n, ci95: r.ci95 };
}

/** The cut each point of a unit is evaluated from. */
function unitCut(ctx: EngineContext, unit: SweepUnit): Cut {
  const { graph } = ctx.sm.base(unit.base);
  return unit.kind === 'prune' && ctx.lateCuts !== false ? pruneCut(ctx.sm.analysis, unit.target) : cutBefore(graph, unit.cutIndex);
}

/**
 * Runs a task: one or more curves of the same base model. One prefix computes every cut tensor
 * the curves need once per batch; then every point's suffix runs on that batch. Early stop needs
 * the curve order, so it runs one curve per task.
 */
export async function runTask(ctx: EngineContext, task: SweepTask, options: TaskRunOptions = {}): Promise<TaskResult> {
  const started = performance.now();
  const { ort, sm, settings, data } = ctx;
  const signal = options.signal;
  throwIfAborted(signal);
  const units = task.units;
  if (!units.length || units.some((u) => u.base !== units[0].base)) throw new EdgefoldError('internal', `Task ${task.id} needs one or more units of one base model.`);
  const earlyStop = settings.earlyStop && !units.every((u) => u.kind === 'baseline') ? settings.earlyStop : null;
  if (earlyStop && units.length > 1) throw new EdgefoldError('internal', 'Early stop runs one curve per task.');
  const { model: base, graph } = sm.base(units[0].base);
  const cuts = units.map((u) => unitCut(ctx, u));
  const shared = mergeCuts(cuts);
  const images = imagePlan(ctx);
  const sessionOptions: Ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', logSeverityLevel: 3, ...ctx.sessionOptions };
  const sessions: Session[] = [];
  const open = async (bytes: Uint8Array) => {
    const s = await ort.InferenceSession.create(bytes, sessionOptions);
    sessions.push(s);
    return s;
  };
  try {
    const prefixProto = prefixModel(base, shared);
    const prefix = prefixProto ? await open(encodeModel(prefixProto)) : undefined;
    const inputName = graph.inputs[0].name;
    const classes = data.classes.length;

    // One entry per distinct model, curve by curve, each in order of increasing severity.
    const entries: Entry[] = [];
    for (const [u, unit] of units.entries()) {
      const cut = cuts[u];
      const names = suffixInputNames(cut);
      const pick = (values: Record<string, Ort.Tensor>) => Object.fromEntries(cut.tensors.map((t, i) => [names[i], values[t]]));
      if (unit.kind === 'weight-bits' && ctx.reuseSessions !== false) {
        const first = buildPointModel(sm, settings, unit.points[0]);
        const wName = weightInputName(first, unit.target);
        const dims = first.graph!.initializer.find((t) => t.name === wName)!.dims.map(Number);
        const session = await open(encodeModel(suffixModel(first, cut, { weightInputs: [wName] })));
        for (const p of unit.points) {
          const weights = new ort.Tensor('float32', quantizedWeights(sm, settings, unit.target, p.value), dims);
          entries.push({ modelKey: p.modelKey, session, extra: { [wName]: weights }, pick, metrics: new MetricsAccumulator(classes) });
        }
      } else {
        for (const p of unit.points) {
          throwIfAborted(signal);
          const pointModel = buildPointModel(sm, settings, p, ctx.calibration);
          const gather = cut.gathered ? gatherIndices(sm.analysis, cut, prunedChannels(sm, settings, p)) : undefined;
          entries.push({ modelKey: p.modelKey, session: await open(encodeModel(suffixModel(pointModel, cut, { gather }))), extra: {}, pick, metrics: new MetricsAccumulator(classes) });
        }
      }
    }

    /** The batch's input and every cut tensor any curve reads. */
    const valuesFor = async (start: number, count: number): Promise<Record<string, Ort.Tensor>> => {
      const x = new ort.Tensor('float32', batchTensor(data, start, count, images.layout), images.dims(count));
      if (!prefix) return { [inputName]: x };
      return { [inputName]: x, ...(await prefix.run({ [inputName]: x }, shared.tensors)) };
    };
    const runEntry = async (e: Entry, values: Record<string, Ort.Tensor>, start: number, count: number) => {
      const session = e.session;
      const outName = session.outputNames[0];
      const result = await session.run({ ...e.pick(values), ...e.extra }, [outName]);
      const scores = result[outName].data as Float32Array;
      e.metrics.add(scores, data.labels.subarray(start, start + count), count);
      result[outName].dispose?.();
    };

    const results: Record<string, PointMetrics> = {};
    const skipped: string[] = [];
    if (!earlyStop) {
      // Interleaved: every batch goes through the prefix once and then through every point.
      for (let start = 0; start < images.total; start += images.batch) {
        // A macrotask turn per batch: a worker thread handles a cancel message only between them.
        await nextMacrotask();
        throwIfAborted(signal);
        const count = Math.min(images.batch, images.total - start);
        const values = await valuesFor(start, count);
        for (const e of entries) {
          throwIfAborted(signal);
          await runEntry(e, values, start, count);
        }
        options.onProgress?.((start + count) * entries.length);
      }
      throwIfAborted(signal);
      for (const e of entries) results[e.modelKey] = toPointMetrics(e.metrics);
    } else {
      // Curve by curve: a point is finished before the next, harsher one starts, so the curve can stop.
      if (options.baselineTop1 === undefined) throw new EdgefoldError('internal', 'Early stop needs the baseline accuracy.');
      const budget = ctx.memoryBudgetBytes ?? 512 * 2 ** 20;
      const keepValues = shared.trivial || images.total * shared.floatsPerImage * 4 <= budget;
      const stored: Record<string, Ort.Tensor>[] = [];
      let work = 0;
      let stopped = false;
      for (const [i, e] of entries.entries()) {
        if (stopped) {
          skipped.push(e.modelKey);
          continue;
        }
        for (let start = 0, b = 0; start < images.total; start += images.batch, b++) {
          await nextMacrotask();
          throwIfAborted(signal);
          const count = Math.min(images.batch, images.total - start);
          let values = keepValues ? stored[b] : undefined;
          if (!values) {
            values = await valuesFor(start, count);
            if (keepValues) stored[b] = values;
          }
          await runEntry(e, values, start, count);
          work += count;
          options.onProgress?.(work);
        }
        throwIfAborted(signal);
        results[e.modelKey] = toPointMetrics(e.metrics);
        if (options.baselineTop1 - results[e.modelKey].top1 > earlyStop.maxDrop && i < entries.length - 1) stopped = true;
      }
    }
    return { task: task.id, results, skipped, seconds: (performance.now() - started) / 1000 };
  } finally {
    await Promise.all(sessions.map((s) => s.release().catch(() => undefined)));
  }
}
