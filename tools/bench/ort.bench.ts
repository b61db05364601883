/** Images per second of the default model in onnxruntime-web (wasm) and onnxruntime-node, in Node. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createOrtRunner, type OrtModule } from '../../src/core/eval/ort-runner.ts';
import { evaluate } from '../../src/core/eval/evaluate.ts';
import { loadDataset, validateManifest } from '../../src/core/eval/dataset.ts';
import { loadModel } from '../../src/core/graph/index.ts';
import type { BenchSection } from './harness.ts';

const root = resolve(import.meta.dirname, '../..');
const IMAGES = 2000;
const BATCH = 100;

export async function run(): Promise<BenchSection> {
  const modelBytes = new Uint8Array(readFileSync(resolve(root, 'public/models/dscnn-fmnist.onnx')));
  const manifestPath = resolve(root, 'public/data/fmnist.json');
  const manifest = validateManifest(JSON.parse(readFileSync(manifestPath, 'utf8')));
  const data = await loadDataset(manifest, 'test', async (p) => new Uint8Array(readFileSync(resolve(dirname(manifestPath), p))));
  const shape = loadModel(modelBytes).summary.inputs[0].shape;
  const rows: string[] = [];

  const measure = async (label: string, ort: OrtModule, options = {}) => {
    const runner = await createOrtRunner(ort, modelBytes, options);
    await evaluate(runner, data, shape, { limit: BATCH * 2, batchSize: BATCH }); // warm-up
    const result = await evaluate(runner, data, shape, { limit: IMAGES, batchSize: BATCH });
    await runner.release();
    rows.push(`| ${label} | ${result.imagesPerSecond.toFixed(0)} | ${(100 * result.top1).toFixed(2)} % |`);
  };

  const web = (await import('onnxruntime-web')) as unknown as OrtModule & { env: { wasm: { numThreads?: number } } };
  web.env.wasm.numThreads = 1;
  await measure('onnxruntime-web 1.30 (wasm, 1 thread, in Node)', web);
  try {
    const native = (await import('onnxruntime-node')) as unknown as OrtModule;
    await measure('onnxruntime-node 1.30 (native CPU, 1 intra-op thread)', native, { intraOpNumThreads: 1 });
    await measure('onnxruntime-node 1.30 (native CPU, 2 intra-op threads)', native, { intraOpNumThreads: 2 });
  } catch (error) {
    rows.push(`| onnxruntime-node | not available: ${(error as Error).message} | |`);
  }
  return {
    title: 'onnxruntime throughput on the default model (Node)',
    body: [
      `Default model, first ${IMAGES} Fashion-MNIST test images, batch ${BATCH}, float32, after a warm-up of ${2 * BATCH} images.`,
      'The top-1 column checks that each engine computes the same thing.',
      '',
      '| engine | images/s | top-1 |',
      '|---|---|---|',
      ...rows,
    ].join('\n'),
  };
}
