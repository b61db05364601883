import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { applyConfig, calibrateConfig, type CompressionConfig } from '../config/compression.ts';
import { buildDeploymentConfig, parseDeploymentConfig } from '../config/deployment.ts';
import { defaultDesign, designContext, evaluateDesign } from '../design/design.ts';
import { batchTensor, type Dataset } from '../eval/dataset.ts';
import { Graph } from '../graph/graph.ts';
import { analyzeModel, loadModel } from '../graph/index.ts';
import { decodeModel, encodeModel } from '../onnx/model.ts';
import { ortBatchSource } from '../quant/ort-calibration.ts';
import { residualModel, runOnce, seeded } from '../prune/testing.ts';
import { biasCorrect } from './bias-correction.ts';
import { findHead } from './head.ts';
import { channelMapsFor, floatPart, localRecoveryEngines, recoverCompressed, recoveryReference } from './recover.ts';

const model = residualModel();
const floatBytes = encodeModel(model);

/** Random 3x8x8 images labelled by the float model itself (so it scores 100 %). */
async function selfLabelled(n: number, seed: number, split: string): Promise<Dataset> {
  const random = seeded(seed);
  const pixels = Uint8Array.from({ length: n * 192 }, () => Math.floor(random() * 256));
  const data: Dataset = {
    name: 'noise',
    split,
    count: n,
    shape: [3, 8, 8],
    classes: Array.from({ length: 10 }, (_, i) => `c${i}`),
    pixels,
    labels: new Uint8Array(n),
    preprocessing: { scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
  };
  const logits = (await runOnce(ort, floatBytes, batchTensor(data, 0, n), [n, 3, 8, 8])).y;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (logits[i * 10 + k] > logits[i * 10 + best]) best = k;
    data.labels[i] = best;
  }
  return data;
}

const compress = async (config: CompressionConfig, calibration: Dataset) => {
  const stats = await calibrateConfig(model, config, ortBatchSource(ort, calibration, [null, 3, 8, 8], { batchSize: 50 }));
  return applyConfig(model, config, stats);
};

describe('recovery after compression', () => {
  it('maps every pruned Conv / Gemm output to the float channels it kept', () => {
    const config: CompressionConfig = { version: 1, prune: { ratio: 0.5 } };
    const maps = channelMapsFor(model, config);
    const pruned = applyConfig(model, config);
    const graph = new Graph(pruned.model);
    // the stem group (stem, dw, pw) keeps 4 of 8; left / right 3 of 6; mix 8 of 16; fc is not prunable
    expect(Object.keys(maps).sort()).toEqual(['dw', 'left', 'mix', 'pw', 'right', 'stem']);
    for (const [layer, kept] of Object.entries(maps)) {
      const weight = graph.constant(graph.node(layer)!.inputs[1])!;
      expect(kept.length).toBe(weight.dims[0]);
      expect([...kept].sort((a, b) => a - b)).toEqual(kept);
    }
    // stem, the depthwise conv and the residual's pointwise conv carry one group: one choice of channels
    expect(maps.stem).toHaveLength(4);
    expect(maps.dw).toEqual(maps.stem);
    expect(maps.pw).toEqual(maps.stem);
  });

  it('floatPart keeps the pruning and drops every quantization setting', () => {
    const config: CompressionConfig = { version: 1, prune: { ratio: 0.25 }, quant: { weightBits: 4 }, layers: { mix: { prune: { keep: 8 }, weightBits: 6 }, fc: { weightBits: 8 } } };
    expect(floatPart(config)).toEqual({ version: 1, prune: { ratio: 0.25 }, layers: { mix: { prune: { keep: 8 } } } });
  });

  it('the pruned-float reference leaves nothing to correct in a model that is only pruned', async () => {
    const calibration = await selfLabelled(60, 3, 'calibration');
    const config: CompressionConfig = { version: 1, prune: { ratio: 0.5 } };
    const pruned = applyConfig(model, config);
    const result = await biasCorrect(ort, recoveryReference(floatBytes, config), pruned.bytes, calibration);
    for (const layer of result.layers) expect(layer.before!.maxAbs).toBeLessThan(1e-4);
    // against the original model, channel maps make the pruned layers comparable
    const original = await biasCorrect(ort, recoveryReference(floatBytes, config, 'original'), pruned.bytes, calibration, { channelMaps: channelMapsFor(model, config) });
    expect(original.layers.filter((l) => l.applied).length).toBe(original.layers.length);
    expect(original.layers.find((l) => l.layer === 'stem')!.before!.maxAbs).toBeLessThan(1e-4); // the first layer sees the same input
    expect(Math.max(...original.layers.map((l) => l.before!.maxAbs))).toBeGreaterThan(1e-3);
  });

  it('corrects biases, re-fits the head, keeps both on their quantization grids, and measures every step', async () => {
    const calibration = await selfLabelled(120, 5, 'calibration');
    const training = await selfLabelled(400, 7, 'training');
    const evaluation = await selfLabelled(200, 9, 'test');
    const config: CompressionConfig = { version: 1, prune: { ratio: 0.25 }, quant: { weightBits: 4, activationBits: 4 } };
    const compressed = await compress(config, calibration);
    const progress: string[] = [];
    const result = await recoverCompressed(
      localRecoveryEngines(ort, evaluation),
      { floatBytes, compressedBytes: compressed.bytes, config, quantReport: compressed.report.quant, calibration, training, datasetId: 'abc' },
      { steps: ['bias-correction', 'head-refit'], onProgress: (p) => progress.push(p.step) },
    );
    expect(result.steps.map((s) => s.step)).toEqual(['bias-correction', 'head-refit']);
    const [bc, refit] = result.steps;
    expect(result.compressed!.provenance).toBe('measured');
    expect(bc.accuracyBefore).toEqual(result.compressed);
    expect(refit.accuracyBefore).toEqual(bc.accuracyAfter);
    expect(refit.accuracyAfter!.images).toBe(200);
    expect(bc.layersCorrected).toBeGreaterThan(0);
    expect(bc.data).toEqual({ dataset: 'noise', split: 'calibration', images: 120, id: 'abc' });
    expect(refit.headQuantization).toMatchObject({ weightBits: 4, biasOnGrid: true });
    expect(refit.modelSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(progress)).toEqual(new Set(['measuring', 'bias-correction', 'head-refit']));

    // on the grids: the head's weights are integers times one scale per output, its bias and the
    // corrected biases integers times (input scale x weight scale)
    const out = decodeModel(result.modelBytes);
    const graph = new Graph(out);
    const head = graph.node(findHead(graph).node)!;
    const w = graph.constant(head.inputs[1])!;
    for (let k = 0; k < 10; k++) {
      const row = w.values.slice(k * w.dims[1], (k + 1) * w.dims[1]);
      const scale = Math.max(...row.map(Math.abs)) / 7;
      for (const v of row) expect(Math.abs(v / scale - Math.round(v / scale))).toBeLessThan(1e-3);
    }
    const report = new Map(compressed.report.quant!.layers.map((l) => [l.layer, l]));
    const corrected = ['stem', 'dw', 'left', 'right', 'mix'];
    for (const layer of corrected) expect(bc.layersSkipped!.map((l) => l.layer)).not.toContain(layer);
    for (const layer of corrected) {
      const q = report.get(layer)!;
      const b = graph.constant(graph.node(layer)!.inputs[2])!;
      b.values.forEach((v, c) => {
        const lsb = Math.fround(q.activation!.scale * q.weightScales[c]);
        expect(Math.abs(v / lsb - Math.round(v / lsb))).toBeLessThan(1e-2);
      });
    }
    // the written model runs and keeps its interface
    expect(analyzeModel(out).summary.outputs[0].shape).toEqual(analyzeModel(model).summary.outputs[0].shape);
  });

  it('cancelling throws cancelled and the steps can be chosen', async () => {
    const calibration = await selfLabelled(40, 11, 'calibration');
    const config: CompressionConfig = { version: 1, quant: { weightBits: 8, activationBits: 8 } };
    const compressed = await compress(config, calibration);
    const input = { floatBytes, compressedBytes: compressed.bytes, config, quantReport: compressed.report.quant, calibration, training: calibration };
    const controller = new AbortController();
    controller.abort();
    await expect(recoverCompressed(localRecoveryEngines(ort), input, { signal: controller.signal })).rejects.toMatchObject({ code: 'cancelled' });
    const only = await recoverCompressed(localRecoveryEngines(ort), input, { steps: ['head-refit'] });
    expect(only.steps.map((s) => s.step)).toEqual(['head-refit']);
    expect(only.compressed).toBeUndefined();
    await expect(recoverCompressed(localRecoveryEngines(ort), { ...input, training: undefined }, { steps: ['head-refit'] })).rejects.toThrow(/training images/);
  });

  it('the deployment config records the recovery steps and passes its schema', async () => {
    const calibration = await selfLabelled(40, 13, 'calibration');
    const design = defaultDesign();
    const compressed = await compress(design.compression, calibration);
    const recovery = await recoverCompressed(localRecoveryEngines(ort, calibration), {
      floatBytes,
      compressedBytes: compressed.bytes,
      config: design.compression,
      quantReport: compressed.report.quant,
      calibration,
      training: calibration,
    }, { steps: ['bias-correction', 'head-refit'] });
    const loaded = loadModel(floatBytes, 'residual.onnx');
    const context = designContext(loaded);
    const config = buildDeploymentConfig({
      model: { name: 'residual', file: 'residual.onnx', sha256: '0'.repeat(64), context },
      design,
      metrics: evaluateDesign(context, design),
      dataset: { name: 'noise', split: 'validation', images: 40, calibrationSplit: 'calibration', sha256: 'f'.repeat(64), preprocessing: { width: 8, height: 8 } },
      recovery: recovery.steps,
    });
    const parsed = parseDeploymentConfig(JSON.parse(JSON.stringify(config)));
    expect(parsed.recovery.map((s) => s.step)).toEqual(['bias-correction', 'head-refit']);
    expect(parsed.dataset.sha256).toBe('f'.repeat(64));
  });
});
