import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DATA_MANIFEST, DEFAULT_MODEL, defaultModelMissing, readBytes } from '../../../test/fixtures.ts';
import { EdgefoldError } from '../errors.ts';
import { buildModel, node, tensorInfo } from '../onnx/builder.ts';
import { encodeModel } from '../onnx/model.ts';
import { floatTensor } from '../onnx/tensor.ts';
import { loadModel } from '../graph/index.ts';
import { batchTensor, loadDataset, parseIdx, validateManifest, type Dataset, type DatasetManifest } from './dataset.ts';
import { evaluate, planInput } from './evaluate.ts';
import { MetricsAccumulator, wilsonInterval } from './metrics.ts';
import { createOrtRunner } from './ort-runner.ts';
import { dirname, resolve } from 'node:path';

function idx(dims: number[], data: number[]): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return Uint8Array.from([...header, ...data]);
}

describe('metrics', () => {
  it('Wilson interval matches the closed form for 95 of 100', () => {
    // p = .95, z = 1.96: centre (0.95 + 0.0192)/1.0384 = 0.9333, half-width 0.0451
    const [lo, hi] = wilsonInterval(95, 100);
    expect(lo).toBeCloseTo(0.8882, 3);
    expect(hi).toBeCloseTo(0.9785, 3);
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
    const [lo0, hi0] = wilsonInterval(0, 10);
    expect(lo0).toBe(0);
    expect(hi0).toBeCloseTo(0.2775, 3);
  });

  it('counts top-1, top-5, confusion and cross-entropy from logits', () => {
    const m = new MetricsAccumulator(6);
    // image 0: label 2 wins; image 1: label 5 ranks 6th (not in top-5); image 2: label 0 ranks 2nd
    const scores = Float32Array.from([0, 0, 5, 0, 0, 0, 6, 5, 4, 3, 2, 1, 1, 2, 0, 0, 0, 0]);
    m.add(scores, [2, 5, 0], 3);
    const r = m.result();
    expect(r.n).toBe(3);
    expect(r.top1).toBeCloseTo(1 / 3);
    expect(r.top5).toBeCloseTo(2 / 3);
    expect(r.confusion[2][2]).toBe(1);
    expect(r.confusion[5][0]).toBe(1);
    expect(r.confusion[0][1]).toBe(1);
    const ce0 = -(5 - Math.log(Math.exp(5) + 5));
    const ce1 = -(1 - 6 - Math.log([6, 5, 4, 3, 2, 1].reduce((s, v) => s + Math.exp(v - 6), 0)));
    const ce2 = -(1 - 2 - Math.log(Math.exp(-1) + 1 + 4 * Math.exp(-2)));
    expect(r.loss).toBeCloseTo((ce0 + ce1 + ce2) / 3, 5);
  });

  it('says when the model output does not fit the class count', () => {
    expect(() => new MetricsAccumulator(3).add(new Float32Array(4), [0, 1], 2)).toThrow(/2 values per image, the dataset has 3 classes/);
  });
});

describe('datasets', () => {
  const manifest: DatasetManifest = {
    name: 'tiny',
    format: 'idx',
    splits: { test: { images: 'img.idx.gz', labels: 'lbl.idx', count: 4 } },
    shape: [1, 2, 2],
    layout: 'NCHW',
    classes: ['top', 'bottom'],
    preprocessing: { scale: 1 / 255, mean: [0], std: [1] },
  };
  // class 0 ("top") has a bright top row, class 1 a bright bottom row; image 3 is labelled wrongly.
  const pixels = [255, 255, 0, 0, 0, 0, 255, 255, 255, 200, 10, 0, 0, 0, 255, 255];
  const labels = [0, 1, 0, 0];
  const files: Record<string, Uint8Array> = {
    'img.idx.gz': gzipSync(idx([4, 2, 2], pixels)),
    'lbl.idx': idx([4], labels),
  };
  const read = async (p: string) => {
    if (!files[p]) throw new Error('missing');
    return files[p];
  };

  it('reads gzip and plain IDX files and preprocesses per batch, NCHW or NHWC', async () => {
    const data = await loadDataset(manifest, 'test', read);
    expect(data.count).toBe(4);
    expect(Array.from(data.labels)).toEqual(labels);
    const batch = batchTensor(data, 2, 1);
    expect(Array.from(batch)).toEqual([1, 200 / 255, 10 / 255, 0].map((v) => Math.fround(v)));
  });

  it('rejects bad IDX data and manifests with a message naming the file or field', async () => {
    expect(() => parseIdx(Uint8Array.from([1, 2, 3, 4, 5]), 'x.idx')).toThrow(/x.idx is not an IDX file/);
    expect(() => parseIdx(idx([3], [1, 2]), 'short.idx')).toThrow(/short.idx: header promises 3 bytes/);
    expect(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 1, 2, 3]), 'b.gz')).toThrow(/b.gz: gzip data is damaged/);
    expect(() => validateManifest({ ...manifest, classes: ['one'] })).toThrow(/"classes"/);
    expect(() => validateManifest({ ...manifest, preprocessing: { scale: 1, mean: [0, 0], std: [1] } })).toThrow(/"preprocessing"/);
    await expect(loadDataset(manifest, 'train', read)).rejects.toThrow(/no split "train"/);
    const badLabels: Record<string, Uint8Array> = { ...files, 'lbl.idx': idx([4], [0, 1, 7, 0]) };
    await expect(loadDataset(manifest, 'test', async (p) => badLabels[p])).rejects.toThrow(/label 7 at index 2 is out of range/);
  });

  it('plans NCHW and NHWC inputs and refuses a model that does not fit the images', () => {
    const data = { shape: [1, 28, 28] as [number, number, number], name: 'd' };
    expect(planInput([null, 1, 28, 28], data)).toEqual({ layout: 'NCHW', fixedBatch: null });
    expect(planInput([1, 28, 28, 1], data)).toEqual({ layout: 'NHWC', fixedBatch: 1 });
    expect(() => planInput([1, 49, 10, 1], data)).toThrow(EdgefoldError);
  });

  it('evaluates a real ONNX model in onnxruntime, and cancels between batches', async () => {
    // logits = [top-row sum, bottom-row sum]
    const model = buildModel({
      inputs: [tensorInfo('x', ['N', 1, 2, 2])],
      outputs: [tensorInfo('y', ['N', 2])],
      initializers: [floatTensor('w', [4, 2], [1, 0, 1, 0, 0, 1, 0, 1])],
      nodes: [node('Flatten', ['x'], ['f']), node('MatMul', ['f', 'w'], ['y'])],
    });
    const bytes = encodeModel(model);
    const data: Dataset = await loadDataset(manifest, 'test', read);
    const runner = await createOrtRunner(ort, bytes);
    const shape = loadModel(bytes).summary.inputs[0].shape;
    const progress: number[] = [];
    const result = await evaluate(runner, data, shape, { batchSize: 3, onProgress: (p) => progress.push(p.done) });
    expect(result.n).toBe(4);
    expect(result.top1).toBe(0.75);
    expect(result.confusion).toEqual([
      [2, 1],
      [0, 1],
    ]);
    expect(progress).toEqual([0, 3, 4]);

    const controller = new AbortController();
    const cancelled = evaluate(runner, data, shape, {
      batchSize: 1,
      signal: controller.signal,
      onProgress: (p) => p.done === 2 && controller.abort(),
    });
    await expect(cancelled).rejects.toMatchObject({ code: 'cancelled' });
    await runner.release();
  });
});

describe.skipIf(defaultModelMissing)('default model on the bundled Fashion-MNIST test set', () => {
  it('onnxruntime accuracy agrees with the model card (same 10,000 images, within 0.1 pp)', async () => {
    const card = JSON.parse(readFileSync(DEFAULT_MODEL.replace(/\.onnx$/, '.json'), 'utf8')) as { trainedTop1: number };
    const manifest = validateManifest(JSON.parse(readFileSync(DATA_MANIFEST, 'utf8')));
    const data = await loadDataset(manifest, 'test', async (p) => readBytes(resolve(dirname(DATA_MANIFEST), p)));
    const bytes = readBytes(DEFAULT_MODEL);
    const runner = await createOrtRunner(ort, bytes);
    const result = await evaluate(runner, data, loadModel(bytes).summary.inputs[0].shape, { batchSize: 500 });
    await runner.release();
    expect(result.n).toBe(10_000);
    expect(result.top1).toBeGreaterThanOrEqual(0.92);
    const cardTop1 = card.trainedTop1 > 1 ? card.trainedTop1 / 100 : card.trainedTop1;
    expect(Math.abs(result.top1 - cardTop1)).toBeLessThanOrEqual(0.001);
  });
});
