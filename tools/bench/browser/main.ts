/**
 * Browser side of the sweep and reconstruction benchmarks. Sweep: the full default sweep with the worker pool (runSweep),
 * the naive run (applyConfig + the evaluator worker per point), and wasm throughput with 1
 * thread (a sweep worker) and 2 threads (the evaluator worker when cross-origin isolated).
 */
import { applyConfig, type CompressionConfig } from '../../../src/core/config/compression.ts';
import { loadDataset, validateManifest } from '../../../src/core/eval/dataset.ts';
import { channelMapsFor } from '../../../src/core/transfer/recover.ts';
import { reconstructInWorker } from '../../../src/workers-client/data.ts';
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

/**
 * Reconstruction of the default model pruned 25 % (L1) on the 1,000 calibration images, in the
 * re-fit worker (as the Recovery panel runs it), `runs` times; then the reconstructed model and a
 * reference (one evaluation pass of the float model over the same 1,000 images, evaluator worker)
 * are measured.
 */
async function reconstructBench(options: { runs: number; ratio: number; testImages: number }) {
  const floatBytes = new Uint8Array(await (await fetch('/models/dscnn-fmnist.onnx')).arrayBuffer());
  const manifest = validateManifest(await (await fetch('/data/fmnist.json')).json());
  const calibration = await loadDataset(manifest, 'calibration', async (p) => new Uint8Array(await (await fetch(`/data/${p}`)).arrayBuffer()));
  const config: CompressionConfig = { version: 1, prune: { criterion: 'l1', ratio: options.ratio } };
  const model = decodeModel(floatBytes);
  const compressed = applyConfig(model, config);
  const channelMaps = channelMapsFor(model, config);
  const seconds: number[] = [];
  let result;
  for (let i = 0; i < options.runs; i++) {
    const t0 = performance.now();
    result = await reconstructInWorker({ floatBytes, compressedBytes: compressed.bytes, calibration, options: { channelMaps } });
    seconds.push((performance.now() - t0) / 1000);
    log(`reconstruction run ${i + 1}: ${seconds.at(-1)!.toFixed(1)} s`);
  }
  const inputShape = loadModel(floatBytes).summary.inputs[0].shape;
  const calibrationRef = { manifestUrl: new URL('/data/fmnist.json', location.href).href, split: 'calibration' };
  await evaluateInWorker({ modelBytes: floatBytes, inputShape, data: calibrationRef, limit: 200, batchSize: 100 });
  const t0 = performance.now();
  const pass = await evaluateInWorker({ modelBytes: floatBytes, inputShape, data: calibrationRef, batchSize: 100 });
  const passSeconds = (performance.now() - t0) / 1000;
  const test = { manifestUrl: new URL('/data/fmnist.json', location.href).href, split: 'test' };
  const after = await evaluateInWorker({ modelBytes: result!.modelBytes, inputShape, data: test, limit: options.testImages, batchSize: 100 });
  return {
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: self.crossOriginIsolated,
    userAgent: navigator.userAgent,
    seconds,
    layers: result!.layers.filter((l) => l.applied).length,
    threads: result!.threads,
    images: result!.images,
    passSeconds,
    passImages: pass.n,
    evaluatorThreads: pass.threads,
    top1: after.top1,
    testImages: after.n,
  };
}

(window as unknown as { edgefoldBench: typeof bench; edgefoldReconstructBench: typeof reconstructBench }).edgefoldBench = bench;
(window as unknown as { edgefoldReconstructBench: typeof reconstructBench }).edgefoldReconstructBench = reconstructBench;
log('ready');
