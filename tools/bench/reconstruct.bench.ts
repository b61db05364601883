/**
 * Reconstruction speed: the default model pruned 25 % (L1, every group), layer-wise least-squares
 * reconstruction on the 1,000 bundled calibration images, timed in Node (onnxruntime-web wasm and
 * onnxruntime-node) and in headless Chromium (the re-fit worker, as the Recovery panel runs it;
 * page in tools/bench/browser). The reference measured in the same run: one evaluation pass of
 * the float model over the same 1,000 images on the same engine.
 *
 *   npm run bench -- reconstruct [--write]
 * RECONSTRUCT_BENCH_RUNS=N repeats each timing N times (default 3; the median is reported).
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { applyConfig, type CompressionConfig } from '../../src/core/config/compression.ts';
import { loadDataset, validateManifest, type Dataset } from '../../src/core/eval/dataset.ts';
import { evaluate } from '../../src/core/eval/evaluate.ts';
import { createOrtRunner, type OrtModule } from '../../src/core/eval/ort-runner.ts';
import { analyzeModel, loadModel } from '../../src/core/graph/index.ts';
import { decodeModel } from '../../src/core/onnx/model.ts';
import { reconstruct } from '../../src/core/transfer/reconstruct.ts';
import { channelMapsFor } from '../../src/core/transfer/recover.ts';
import { CHROMIUM, withBenchPage, type BenchSection } from './harness.ts';

const root = resolve(import.meta.dirname, '../..');
const RATIO = 0.25;
const TARGET_SECONDS = 20;
const RUNS = Math.max(1, Number(process.env.RECONSTRUCT_BENCH_RUNS ?? 3));
const TEST_IMAGES = 2000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => loadavg()[0].toFixed(1);

async function data(split: string): Promise<Dataset> {
  const manifestPath = resolve(root, 'public/data/fmnist.json');
  return loadDataset(validateManifest(JSON.parse(readFileSync(manifestPath, 'utf8'))), split, async (p) => new Uint8Array(readFileSync(resolve(dirname(manifestPath), p))));
}

interface NodeTiming {
  engine: string;
  seconds: number[];
  passSeconds: number;
  top1: number;
  layers: number;
  load: string;
}

async function nodeTiming(engine: string, ort: OrtModule, floatBytes: Uint8Array, compressedBytes: Uint8Array, channelMaps: Record<string, number[]>): Promise<NodeTiming> {
  const calibration = await data('calibration');
  const test = await data('test');
  const seconds: number[] = [];
  let result;
  const loadAtStart = load();
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    result = await reconstruct(ort, floatBytes, compressedBytes, calibration, { channelMaps });
    seconds.push((performance.now() - t0) / 1000);
    console.log(`   ${engine}: run ${i + 1} ${seconds.at(-1)!.toFixed(1)} s (load ${load()})`);
  }
  const shape = loadModel(floatBytes).summary.inputs[0].shape;
  const float = await createOrtRunner(ort, floatBytes);
  await evaluate(float, calibration, shape, { limit: 200, batchSize: 100 });
  const t0 = performance.now();
  await evaluate(float, calibration, shape, { batchSize: 100 });
  const passSeconds = (performance.now() - t0) / 1000;
  await float.release();
  const runner = await createOrtRunner(ort, result!.modelBytes);
  const after = await evaluate(runner, test, shape, { limit: TEST_IMAGES, batchSize: 250 });
  await runner.release();
  return { engine, seconds, passSeconds, top1: after.top1, layers: result!.layers.filter((l) => l.applied).length, load: loadAtStart };
}

async function browserTiming(): Promise<Record<string, unknown> | string> {
  if (!existsSync(CHROMIUM)) return `not run: no Chromium at ${CHROMIUM} (node tools/ensure-system-tools.mjs chromium installs it)`;
  return withBenchPage({ ready: 'edgefoldReconstructBench' }, async (page) => {
    const loadAtStart = load();
    const out = (await page.evaluate(
      (opts) => (window as unknown as { edgefoldReconstructBench: (o: unknown) => Promise<unknown> }).edgefoldReconstructBench(opts),
      { runs: RUNS, ratio: RATIO, testImages: TEST_IMAGES },
    )) as Record<string, unknown>;
    return { ...out, load: loadAtStart };
  });
}

export async function run(): Promise<BenchSection> {
  const title = 'Reconstruction of a pruned model (layer-wise least squares, 1,000 calibration images)';
  const floatBytes = new Uint8Array(readFileSync(resolve(root, 'public/models/dscnn-fmnist.onnx')));
  const config: CompressionConfig = { version: 1, prune: { criterion: 'l1', ratio: RATIO } };
  const model = decodeModel(floatBytes);
  const compressedBytes = applyConfig(model, config).bytes;
  const channelMaps = channelMapsFor(model, config);

  const web = (await import('onnxruntime-web')) as unknown as OrtModule & { env: { wasm: { numThreads?: number } } };
  web.env.wasm.numThreads = 1;
  const rows: NodeTiming[] = [await nodeTiming('onnxruntime-web 1.30 wasm, 1 thread (Node)', web, floatBytes, compressedBytes, channelMaps)];
  const native = (await import('onnxruntime-node')) as unknown as OrtModule;
  rows.push(await nodeTiming('onnxruntime-node 1.30, default threads (Node)', native, floatBytes, compressedBytes, channelMaps));
  const browser = await browserTiming();

  // The step's own onnxruntime work, in float passes: per re-solved layer, the float model up to
  // the layer's output and the pruned model up to its input (MACs of the layers run).
  const floatLayers = analyzeModel(model).layers;
  const prunedLayers = analyzeModel(decodeModel(compressedBytes)).layers;
  const macsUpTo = (layers: typeof floatLayers, name: string, inclusive: boolean) => {
    const at = layers.findIndex((l) => l.name === name);
    return layers.slice(0, at + (inclusive ? 1 : 0)).reduce((a, l) => a + l.macs, 0);
  };
  const floatMacs = floatLayers.reduce((a, l) => a + l.macs, 0);
  const resolved = ['/blocks/blocks.0/pw/conv/Conv', '/blocks/blocks.1/pw/conv/Conv', '/blocks/blocks.2/pw/conv/Conv', '/blocks/blocks.3/pw/conv/Conv', '/blocks/blocks.4/pw/conv/Conv', '/blocks/blocks.5/pw/conv/Conv', '/fc/Gemm'];
  const passes = resolved.reduce((a, name) => a + macsUpTo(floatLayers, name, true) + macsUpTo(prunedLayers, name, false), 0) / floatMacs;

  const line = (engine: string, seconds: number[], pass: number, layers: number, top1: number, testImages: number, loadAtStart: string) => {
    const m = median(seconds);
    return `| ${engine} | ${m.toFixed(1)} | ${seconds.map((s) => s.toFixed(1)).join(', ')} | ${pass.toFixed(2)} | ${(m / pass).toFixed(1)}x | ${layers} | ${(100 * top1).toFixed(2)} % (${testImages}) | ${loadAtStart} |`;
  };
  const table = [
    '| engine | median s | runs (s) | one float pass, 1,000 images (s) | reconstruction / pass | layers re-solved | top-1 after (test images) | load avg at start |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => line(r.engine, r.seconds, r.passSeconds, r.layers, r.top1, TEST_IMAGES, r.load)),
  ];
  let verdict: string;
  let header = '';
  if (typeof browser === 'string') {
    verdict = `Chromium: ${browser}.`;
  } else {
    const seconds = browser.seconds as number[];
    table.push(
      line(
        `onnxruntime-web wasm in headless Chromium (re-fit worker, ${browser.threads} threads; pass: evaluator worker, ${browser.evaluatorThreads} threads)`,
        seconds,
        browser.passSeconds as number,
        browser.layers as number,
        browser.top1 as number,
        browser.testImages as number,
        browser.load as string,
      ),
    );
    header = `Chromium ${String(browser.userAgent).match(/Chrome\/([\d.]+)/)?.[1] ?? '?'} headless, navigator.hardwareConcurrency ${browser.hardwareConcurrency}, cross-origin isolated: ${browser.crossOriginIsolated}.`;
    verdict = `Target: reconstruction of the 25 % design on 1,000 images under ${TARGET_SECONDS} s in Chromium: ${median(seconds) < TARGET_SECONDS ? 'met' : 'NOT met'} (median ${median(seconds).toFixed(1)} s; the first run includes the worker's start and wasm compilation).`;
  }
  return {
    title,
    body: [
      `Default model pruned ${RATIO * 100} % (L1, every group), reconstructed on the 1,000 bundled calibration images (7 layers: six pointwise convs and the classifier), ${RUNS} runs per engine. ` +
        'Reference measured in the same run on the same engine: one evaluation pass of the float model over the same 1,000 images (batch 100). ' +
        'The machine is shared with other jobs (load average in the last column; 2 cores): absolute seconds vary with it.',
      `Work floor of the method: per re-solved layer the float model runs up to the layer's output and the pruned model up to its input, ${passes.toFixed(1)} float passes of MACs in all for this design (from the layers' MACs), plus the products XᵀX and XᵀY.`,
      ...(header ? ['', header] : []),
      '',
      ...table,
      '',
      verdict,
    ].join('\n'),
  };
}
