/**
 * The sweep benchmark in headless Chromium: builds tools/bench/browser (a page over
 * src/workers-client/sweep.ts), serves it with `vite preview` (cross-origin isolated, so wasm
 * threads work), drives it with Playwright on Debian's /usr/bin/chromium (the launch arguments of
 * playwright.config.ts), and compares wasm throughput with onnxruntime-node on the same batch.
 *
 *   npm run bench -- sweep-browser
 * SWEEP_BENCH_NAIVE_POINTS=N times only N naive points spread over the sweep and extrapolates (0 or unset: all).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadDataset, validateManifest } from '../../src/core/eval/dataset.ts';
import { evaluate } from '../../src/core/eval/evaluate.ts';
import { createOrtRunner, type OrtModule } from '../../src/core/eval/ort-runner.ts';
import { loadModel } from '../../src/core/graph/index.ts';
import { CHROMIUM, withBenchPage, type BenchSection } from './harness.ts';

const root = resolve(import.meta.dirname, '../..');
const IMAGES = 1000;

async function nativeImagesPerSecond(threads: number): Promise<number> {
  const bytes = new Uint8Array(readFileSync(resolve(root, 'public/models/dscnn-fmnist.onnx')));
  const manifestPath = resolve(root, 'public/data/fmnist.json');
  const data = await loadDataset(validateManifest(JSON.parse(readFileSync(manifestPath, 'utf8'))), 'test', async (p) => new Uint8Array(readFileSync(resolve(dirname(manifestPath), p))));
  const ort = (await import('onnxruntime-node')) as unknown as OrtModule;
  const runner = await createOrtRunner(ort, bytes, { intraOpNumThreads: threads });
  const shape = loadModel(bytes).summary.inputs[0].shape;
  await evaluate(runner, data, shape, { limit: 200, batchSize: 100 });
  const r = await evaluate(runner, data, shape, { limit: IMAGES, batchSize: 100 });
  await runner.release();
  return r.imagesPerSecond;
}

export async function run(): Promise<BenchSection> {
  const title = 'Sensitivity sweep in headless Chromium (full default sweep, 1,000 images)';
  if (!existsSync(CHROMIUM)) return { title, body: `Not run: no Chromium at ${CHROMIUM} (node tools/ensure-system-tools.mjs chromium installs it).` };
  return withBenchPage({ ready: 'edgefoldBench' }, async (page) => {
    const naivePoints = Number(process.env.SWEEP_BENCH_NAIVE_POINTS ?? 0);
    const out = (await page.evaluate(
      (opts) => (window as unknown as { edgefoldBench: (o: unknown) => Promise<unknown> }).edgefoldBench(opts),
      { images: IMAGES, naive: true, naivePoints },
    )) as Record<string, number | string | boolean>;
    const native1 = await nativeImagesPerSecond(1);
    const native2 = await nativeImagesPerSecond(2);
    const engine = out.engineSeconds as number;
    const naive = out.naiveSeconds as number;
    const partial = (out.naiveMeasuredPoints as number) < (out.points as number);
    return {
      title,
      body: [
        `Chromium ${String(out.userAgent).match(/Chrome\/([\d.]+)/)?.[1] ?? '?'} headless, navigator.hardwareConcurrency ${out.hardwareConcurrency}, cross-origin isolated: ${out.crossOriginIsolated}.`,
        `${out.points} points, ${IMAGES} test images each. Engine: runSweep (src/workers-client/sweep.ts), ${out.engineWorkers} sweep workers, 1 wasm thread each, no cache.`,
        `Naive: applyConfig on the page + evaluateInWorker (the evaluator worker, ${out.evaluatorThreads} wasm threads) for every point${partial ? `, timed on ${out.naiveMeasuredPoints} points spread over the sweep and extrapolated` : ''}.`,
        '',
        '| run | seconds | vs naive |',
        '|---|---|---|',
        `| naive | ${naive.toFixed(1)} | 1.0x |`,
        `| engine | ${engine.toFixed(1)} | ${(naive / engine).toFixed(1)}x |`,
        '',
        `Targets: under 60 s (aim 20 s): ${engine < 60 ? 'met' : 'NOT met'}; at least 3x faster than naive: ${naive / engine >= 3 ? 'met' : 'NOT met'} (compare the floor of an exact engine, in its own section). Largest top-1 difference naive vs engine: ${out.naiveMaxTop1Diff}.`,
        '',
        `Throughput on the default model, batch 100, ${IMAGES} images:`,
        '',
        '| engine | images/s |',
        '|---|---|',
        `| onnxruntime-web wasm, 1 thread (Chromium, sweep worker, includes session start) | ${(out.oneThreadImagesPerSecond as number).toFixed(0)} |`,
        `| onnxruntime-web wasm, ${out.evaluatorThreads} threads (Chromium, evaluator worker) | ${(out.evaluatorImagesPerSecond as number).toFixed(0)} |`,
        `| onnxruntime-node, 1 intra-op thread (Node) | ${native1.toFixed(0)} |`,
        `| onnxruntime-node, 2 intra-op threads (Node) | ${native2.toFixed(0)} |`,
      ].join('\n'),
    };
  });
}
