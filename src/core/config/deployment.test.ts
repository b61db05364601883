import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, defaultModelMissing, readBytes } from '../../../test/fixtures.ts';
import { defaultDesign, designContext, evaluateDesign, type Design } from '../design/design.ts';
import { loadModel } from '../graph/index.ts';
import { sha256Hex } from '../hash.ts';
import { buildDeploymentConfig, designFromDeploymentConfig, finnFoldingConfig, parseDeploymentConfig, type DeploymentConfig } from './deployment.ts';

const LAST_PW = '/blocks/blocks.5/pw/conv/Conv';

describe.skipIf(defaultModelMissing)('deployment config', async () => {
  const bytes = defaultModelMissing ? new Uint8Array() : readBytes(DEFAULT_MODEL);
  const context = defaultModelMissing ? null! : designContext(loadModel(bytes));
  const sha256 = await sha256Hex(bytes);
  const design: Design = {
    ...defaultDesign(),
    compression: { version: 1, prune: { ratio: 0.25, roundTo: 8 }, quant: { weightBits: 6, activationBits: 8 }, layers: { [LAST_PW]: { weightBits: 4 } } },
  };
  design.hardware = { ...design.hardware, clockMHz: 150, layers: { [LAST_PW]: { pe: 8, simd: 4 } } };
  const metrics = evaluateDesign(context, design);
  const build = (): DeploymentConfig =>
    buildDeploymentConfig({
      model: { name: 'dscnn', file: 'dscnn-fmnist.onnx', sha256, context },
      design,
      metrics,
      dataset: { name: 'Fashion-MNIST', split: 'test', images: 1000 },
      accuracy: { top1: 0.9, top5: 0.99, ci95: [0.88, 0.92], n: 1000 },
    });

  it('is valid against the shipped JSON Schema and survives JSON', () => {
    const config = JSON.parse(JSON.stringify(build()));
    expect(parseDeploymentConfig(config)).toEqual(config);
    expect(config.prunePlan.groups.length).toBeGreaterThan(0);
    for (const g of config.prunePlan.groups) expect(g.kept.length % 8 === 0 || g.kept.length === g.size).toBe(true);
    expect(config.hardware.layers[LAST_PW]).toEqual({ pe: 8, simd: 4, mulStyle: 'auto', memStyle: 'auto' });
    expect(config.estimates.fps).toBeCloseTo(metrics.estimate.fps);
  });

  it('imports back into the same design and the same numbers', () => {
    const config = parseDeploymentConfig(JSON.parse(JSON.stringify(build())));
    const imported = designFromDeploymentConfig(config, { sha256, context });
    expect(imported.design.compression).toEqual(design.compression);
    expect(imported.evalLimit).toBe(1000);
    expect(imported.metrics.estimate.fps).toBe(metrics.estimate.fps);
    expect(imported.metrics.params).toBe(metrics.params);
    expect(imported.metrics.estimate.totals).toEqual(metrics.estimate.totals);
  });

  it('refuses another model, an unknown layer, an invalid folding and a malformed file, naming the field', () => {
    const good = () => JSON.parse(JSON.stringify(build()));
    expect(() => designFromDeploymentConfig(parseDeploymentConfig(good()), { sha256: 'a'.repeat(64), context })).toThrow(/not the open model/);

    const unknownLayer = good();
    unknownLayer.compression.layers['no/such/layer'] = { weightBits: 4 };
    expect(() => designFromDeploymentConfig(parseDeploymentConfig(unknownLayer), { sha256, context })).toThrow(/no layer "no\/such\/layer"/);

    const badFold = good();
    badFold.hardware.layers[LAST_PW].pe = 7;
    expect(() => designFromDeploymentConfig(parseDeploymentConfig(badFold), { sha256, context })).toThrow(/PE=7 must divide/);

    const missing = good();
    delete missing.hardware;
    expect(() => parseDeploymentConfig(missing)).toThrow(/must have required property 'hardware'/);

    const badBits = good();
    badBits.quantization.layers[0].weightBits = 40;
    expect(() => parseDeploymentConfig(badBits)).toThrow(/quantization.layers.0.weightBits/);

    const extra = good();
    extra.surprise = 1;
    expect(() => parseDeploymentConfig(extra)).toThrow(/unknown field "surprise"/);
  });

  it('writes a FINN-style folding config for the hardware layers', () => {
    const finn = finnFoldingConfig(metrics);
    expect(finn.Defaults).toEqual({});
    expect(finn[LAST_PW]).toEqual({ op: 'MVAU', PE: 8, SIMD: 4, ram_style: 'auto', resType: 'auto' });
    expect(finn['/blocks/blocks.0/dw/conv/Conv'].op).toBe('VVAU');
  });
});
