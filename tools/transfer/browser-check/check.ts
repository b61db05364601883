// Browser check of the dataset and re-fit workers (run with: node tools/transfer/browser-check/run.mjs).
// Builds an ImageFolder zip of PNGs drawn on an OffscreenCanvas, imports it in the dataset worker
// (createImageBitmap decoding), re-fits the default model's head in the re-fit worker, cancels a
// second re-fit, runs bias correction, and feeds a broken PNG. The results land in window.__check.
import { zipSync } from 'fflate';
import { biasCorrectInWorker, importDataset, inputFromFiles, prepareImportedDataset, refitInWorker, suggestPreprocessing } from '../../../src/workers-client/data.ts';

const out: Record<string, unknown> = {};
(window as unknown as { __check: Promise<unknown> }).__check = (async () => {
  try {
    const random = (() => { let s = 1; return () => ((s = (s * 16807) % 2147483647) / 2147483647); })();
    const pattern = (kind: number, x: number, y: number) => {
      const v = kind === 0 ? (y % 4 < 2 ? 220 : 30) : kind === 1 ? (x % 4 < 2 ? 220 : 30) : ((x >> 2) + (y >> 2)) % 2 ? 220 : 30;
      return Math.max(0, Math.min(255, v + Math.floor(random() * 40 - 20)));
    };
    const files: Record<string, Uint8Array> = {};
    const expected: number[][] = [];
    const names = ['checker', 'horizontal', 'vertical'];
    for (const [k, kind] of [[0, 1], [1, 0], [2, 2]] as const) {
      for (let i = 0; i < 40; i++) {
        const canvas = new OffscreenCanvas(28, 28);
        const ctx = canvas.getContext('2d')!;
        const img = ctx.createImageData(28, 28);
        const gray: number[] = [];
        for (let p = 0; p < 784; p++) {
          const v = pattern(kind === 0 ? 1 : kind === 1 ? 0 : 2, p % 28, Math.floor(p / 28));
          gray.push(v);
          img.data.set([v, v, v, 255], p * 4);
        }
        ctx.putImageData(img, 0, 0);
        const blob = await canvas.convertToBlob({ type: 'image/png' });
        const name = `shapes/${names[k]}/${String(i).padStart(3, '0')}.png`;
        files[name] = new Uint8Array(await blob.arrayBuffer());
        expected.push(gray);
      }
    }
    const zip = zipSync(files);
    const progress: number[] = [];
    const imported = await importDataset(inputFromFiles([new File([zip], 'shapes.zip')]), { onProgress: (p) => progress.push(p.done) });
    out.summary = { classes: imported.summary.classes, perClass: imported.summary.perClass, grayscale: imported.summary.grayscale, sizes: imported.summary.sizes, lastProgress: progress.at(-1) };
    const spec = await suggestPreprocessing(imported.key, [null, 1, 28, 28], { scale: 1 / 255, mean: [0.286], std: [0.353] });
    out.spec = spec;
    const prepared = await prepareImportedDataset(imported.key, spec, { seed: 1, calibration: 0.1, training: 0.6, validation: 0.3 }, { inputShape: [null, 1, 28, 28], previewCount: 6 });
    out.counts = prepared.identity.counts;
    out.previewClasses = prepared.preview.map((t) => t.className);
    // pixels decoded in the worker equal what was drawn (order: classes sorted, files sorted == generation order)
    let mismatch = 0;
    for (let i = 0; i < 120; i++) for (let p = 0; p < 784; p++) if (prepared.all.pixels[i * 784 + p] !== expected[i][p]) mismatch++;
    out.pixelMismatches = mismatch;
    const modelBytes = new Uint8Array(await (await fetch('/models/dscnn-fmnist.onnx')).arrayBuffer());
    const curve: number[] = [];
    const result = await refitInWorker({ modelBytes, training: prepared.training, validation: prepared.validation, onProgress: (p) => { if (p.phase === 'training') curve.push(p.valAccuracy ?? -1); } });
    out.refit = { top1: result.verified?.top1, trainerVal: result.validation?.accuracy, iterations: result.iterations, classes: result.classes, curvePoints: curve.length, bytes: result.modelBytes.length, threads: result.threads };
    const controller = new AbortController();
    try {
      await refitInWorker({ modelBytes, training: prepared.training, validation: prepared.validation, signal: controller.signal, onProgress: (p) => { if (p.phase === 'training' && p.iteration >= 1) controller.abort(); } });
      out.cancel = 'not cancelled';
    } catch (e) {
      out.cancel = `${(e as { code?: string }).code}: ${(e as Error).message}`;
    }
    const bc = await biasCorrectInWorker({ floatBytes: modelBytes, compressedBytes: modelBytes, calibration: prepared.calibration });
    out.bias = { applied: bc.layers.filter((l) => l.applied).length, maxShift: Math.max(...bc.layers.map((l) => l.before?.maxAbs ?? 0)) };
    try {
      await importDataset(inputFromFiles([new File([zipSync({ 'a/1.png': files['shapes/checker/000.png'], 'b/x.png': new Uint8Array([1, 2, 3]) })], 'bad.zip')]));
    } catch (e) {
      out.badError = (e as Error).message;
    }
  } catch (e) {
    out.error = String((e as Error).stack ?? e);
  }
  return out;
})();
