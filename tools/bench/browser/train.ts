/**
 * Browser side of the training benchmark: the train worker (onnxruntime-web wasm) trains the
 * default model, batch 128, no KD, no augmentation, uncompressed (config with nothing to do), and
 * reports images/s over the steps after the first. Also runs a short retrain with a cancel, to
 * check the worker's cancel path in a real browser.
 */
import { retrainInWorker } from '../../../src/workers-client/train.ts';

const log = (text: string) => {
  document.getElementById('log')!.textContent += `\n${text}`;
};

async function bench(options: { steps: number }) {
  const modelBytes = new Uint8Array(await (await fetch('/models/dscnn-fmnist.onnx')).arrayBuffer());
  const train = { manifestUrl: new URL('/data/fmnist.json', location.href).href, split: 'train' };
  const out: Record<string, unknown> = { hardwareConcurrency: navigator.hardwareConcurrency, crossOriginIsolated: self.crossOriginIsolated, userAgent: navigator.userAgent };
  const result = await retrainInWorker({
    modelBytes,
    config: { version: 1 },
    train,
    options: { epochs: 1, batchSize: 128, limit: 128 * (options.steps + 1), kd: null, augment: { pad: 0, flip: false }, lr: 1e-3 },
    onProgress: (p) => p.training && (document.title = `${p.training.step}/${p.training.steps}`),
  });
  out.imagesPerSecond = result.imagesPerSecond;
  out.threads = result.threads;
  out.steps = options.steps + 1;
  log(`train worker: ${result.imagesPerSecond.toFixed(1)} img/s, ${result.threads} wasm threads`);
  // Cancel mid-epoch: the promise rejects with a cancelled error.
  const controller = new AbortController();
  try {
    await retrainInWorker({
      modelBytes,
      config: { version: 1, prune: { ratio: 0.25 } },
      train,
      options: { epochs: 1, batchSize: 32, limit: 32 * 20 },
      signal: controller.signal,
      onProgress: (p) => p.training && p.training.step >= 5 && controller.abort(),
    });
    out.cancel = 'not cancelled';
  } catch (error) {
    out.cancel = (error as { code?: string }).code ?? String(error);
  }
  log(`cancel: ${out.cancel}`);
  return out;
}

(window as unknown as { edgefoldTrainBench: typeof bench }).edgefoldTrainBench = bench;
log('ready');
