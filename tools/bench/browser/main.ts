/**
 * Browser side of the sweep benchmark: the full default sweep with the worker pool (runSweep),
 * the naive run (applyConfig + the evaluator worker per point), and wasm throughput with 1
 * thread (a sweep worker) and 2 threads (the evaluator worker when cross-origin isolated).
 */
import { applyConfig } from '../../../src/core/config/compression.ts';
import { decodeModel } from '../../../src/core/onnx/model.ts';
import { loadModel } from '../../../src/core/graph/index.ts';
import { SweepModel, planSweep, pointConfig, DEFAULT_BITS, DEFAULT_RATIOS, type SweepRequest } from '../../../src/core/sensitivity/index.ts';
import { evaluateInWorker } from '../../../src/workers-client/evaluator.ts';
import { disposeSweepWorkers, runSweep } from '../../../src/workers-client/sweep.ts';

const log = (text: string) => {
  document.getElementById('log')!.textContent += `\n${text}`;
};

interface BenchOptions {
  images: number;
  naive: boolean;
  /** Only N points, spread evenly over the sweep, in the naive run (the rest are extrapolated); 0 = all. */
  naivePoints?: number;
}

async function bench(options: BenchOptions) {
  const modelBytes = new Uint8Array(await (await fetch('/models/dscnn-fmnist.onnx')).arrayBuffer());
  const data = { manifestUrl: new URL('/data/fmnist.json', location.href).href, split: 'test' };
  const request: SweepRequest = { prune: { ratios: [...DEFAULT_RATIOS] }, weightBits: { bits: [...DEFAULT_BITS] }, limit: options.images, batchSize: 100 };
  const out: Record<string, unknown> = { hardwareConcurrency: navigator.hardwareConcurrency, crossOriginIsolated: self.crossOriginIsolated, userAgent: navigator.userAgent };

  // Throughput: wasm 1 thread (a sweep worker, baseline only) and 2 threads (the evaluator worker).
  const inputShape = loadModel(modelBytes).summary.inputs[0].shape;
  const warm = await evaluateInWorker({ modelBytes, inputShape, data, limit: 200, batchSize: 100 });
  const two = await evaluateInWorker({ modelBytes, inputShape, data, limit: options.images, batchSize: 100 });
  out.evaluatorThreads = two.threads;
  out.evaluatorImagesPerSecond = two.imagesPerSecond;
  out.warm = warm.n;
  const t1 = performance.now();
  await runSweep({ modelBytes, data, request: { prune: { ratios: [0] }, limit: options.images }, workers: 1 }, { cache: null });
  out.oneThreadImagesPerSecond = options.images / ((performance.now() - t1) / 1000);
  log(`throughput: 1 thread ${(out.oneThreadImagesPerSecond as number).toFixed(0)} img/s, ${two.threads} threads ${two.imagesPerSecond.toFixed(0)} img/s`);

  // The engine, one worker per core.
  let t0 = performance.now();
  const result = await runSweep({ modelBytes, modelName: 'dscnn-fmnist', data, request }, { cache: null, onProgress: (p) => (document.title = `${p.pointsDone}/${p.pointsTotal}`) });
  out.engineSeconds = (performance.now() - t0) / 1000;
  out.engineWorkers = result.stats.workers;
  out.points = result.points.length;
  out.baselineTop1 = result.baseline.top1;
  log(`engine: ${(out.engineSeconds as number).toFixed(1)} s, ${result.stats.workers} workers`);

  // Naive: every point applyConfig'd on the main thread and evaluated whole in the evaluator worker.
  if (options.naive) {
    const sm = new SweepModel(decodeModel(modelBytes));
    const plan = planSweep(sm, request);
    const every = options.naivePoints ? Math.max(1, Math.floor(plan.points.length / options.naivePoints)) : 1;
    const points = plan.points.filter((_, i) => i % every === 0).slice(0, options.naivePoints || undefined);
    let maxDiff = 0;
    t0 = performance.now();
    for (const p of points) {
      const bytes = applyConfig(sm.original, pointConfig(sm, plan.settings, p)).bytes;
      const r = await evaluateInWorker({ modelBytes: bytes, inputShape, data, limit: options.images, batchSize: 100 });
      const fast = result.points.find((x) => x.kind === p.kind && x.target === p.target && x.value === p.value)!;
      maxDiff = Math.max(maxDiff, Math.abs(fast.metrics!.top1 - r.top1));
    }
    const seconds = (performance.now() - t0) / 1000;
    out.naiveMeasuredPoints = points.length;
    out.naiveSeconds = (seconds * plan.points.length) / points.length;
    out.naiveMaxTop1Diff = maxDiff;
    log(`naive: ${seconds.toFixed(1)} s for ${points.length} points`);
  }
  disposeSweepWorkers();
  return out;
}

(window as unknown as { edgefoldBench: typeof bench }).edgefoldBench = bench;
log('ready');
