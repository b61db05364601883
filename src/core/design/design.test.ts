import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, KWS, ULTRAFACE, defaultModelMissing, readBytes, thirdPartyMissing } from '../../../test/fixtures.ts';
import { applyConfig, resolveConfig } from '../config/compression.ts';
import { loadModel } from '../graph/index.ts';
import { decodeModel } from '../onnx/model.ts';
import { DEFAULT_RETRAIN_RECIPE, defaultDesign, designContext, evaluateDesign, type Design } from './design.ts';
import { diffDesigns } from './diff.ts';
import { openedModel } from './opened-model.ts';
import { packOpenedModel, unpackOpenedModel } from './packed-model.ts';
import { paretoMax } from './pareto.ts';

function pruned(design: Design, ratio: number, roundTo: number, layers: Design['compression']['layers'] = {}): Design {
  return { ...design, compression: { version: 1, prune: { ratio, roundTo }, layers } };
}

describe.skipIf(defaultModelMissing)('evaluateDesign on the default model', () => {
  const bytes = defaultModelMissing ? new Uint8Array() : readBytes(DEFAULT_MODEL);
  const loaded = defaultModelMissing ? null! : loadModel(bytes);
  const ctx = defaultModelMissing ? null! : designContext(loaded);

  it('an unpruned design keeps the model layer view and totals', () => {
    const m = evaluateDesign(ctx, defaultDesign());
    expect(m.params).toBe(loaded.summary.params);
    expect(m.macs).toBe(loaded.summary.macs);
    expect(m.estimate.fps).toBeGreaterThan(0);
    expect(m.estimate.bottleneck?.layer).toBe('/blocks/blocks.5/pw/conv/Conv');
  });

  it('the predicted pruned layer view equals the layer view of the really pruned ONNX file', () => {
    const design = pruned(defaultDesign(), 0.3, 8, { '/blocks/blocks.5/pw/conv/Conv': { prune: { keep: 100 } } });
    const m = evaluateDesign(ctx, design);
    const real = loadModel(applyConfig(decodeModel(bytes), design.compression).bytes).layers;
    expect(m.layers.map((l) => [l.name, l.outputShape, l.params, l.macs, l.groups])).toEqual(real.map((l) => [l.name, l.outputShape, l.params, l.macs, l.groups]));
    expect(m.params).toBeLessThan(loaded.summary.params);
  });

  it('snaps a folding that no longer divides the pruned channels, and says so', () => {
    const layer = '/blocks/blocks.0/pw/conv/Conv'; // 48 outputs; PE 16 divides 48 but not 40
    const design = pruned(defaultDesign(), 0, 1, { [layer]: { prune: { keep: 40 } } });
    design.hardware.layers = { [layer]: { pe: 16, simd: 1 } };
    const m = evaluateDesign(ctx, design);
    const i = m.hwLayers.findIndex((l) => l.name === layer);
    expect(m.folding[i].pe).toBe(10); // largest divisor of 40 not above 16
    expect(m.warnings.join('\n')).toMatch(/PE 16.*no longer divide.*using 10/);
  });

  it('4-bit weights and activations cost less weight memory and fewer DSPs than 8-bit', () => {
    const eight = evaluateDesign(ctx, defaultDesign());
    const four = defaultDesign();
    four.compression.quant = { ...four.compression.quant, weightBits: 4, activationBits: 4 };
    const m4 = evaluateDesign(ctx, four);
    expect(m4.estimate.totals.weightMemBits).toBeLessThan(eight.estimate.totals.weightMemBits);
    // below FINN's RTL threshold the multipliers move to LUTs, so DSPs drop (LUTs may grow)
    expect(m4.estimate.totals.dsp).toBeLessThan(eight.estimate.totals.dsp);
  });
});

describe.skipIf(thirdPartyMissing)('evaluateDesign on a third-party detector', () => {
  it('evaluates UltraFace with pruning and gives a finite estimate', () => {
    const ctx = designContext(loadModel(readBytes(ULTRAFACE)));
    const m = evaluateDesign(ctx, pruned(defaultDesign(), 0.25, 4));
    expect(m.params).toBeLessThan(ctx.summary.params);
    expect(Number.isFinite(m.estimate.fps)).toBe(true);
  });
});

describe('the design context the model worker sends to the page', () => {
  const models = [
    ...(defaultModelMissing ? [] : [{ name: 'default', bytes: readBytes(DEFAULT_MODEL) }]),
    ...(thirdPartyMissing ? [] : [{ name: 'UltraFace', bytes: readBytes(ULTRAFACE) }, { name: 'KWS', bytes: readBytes(KWS) }]),
  ];
  const designs: [string, Design][] = [
    ['unpruned', defaultDesign()],
    ['l1 0.3 / 8', pruned(defaultDesign(), 0.3, 8)],
    ['l2 0.5 / 1', { ...defaultDesign(), compression: { version: 1, prune: { criterion: 'l2', ratio: 0.5, roundTo: 1 }, layers: {} } }],
    ['bn-gamma 0.25 / 4', { ...defaultDesign(), compression: { version: 1, prune: { criterion: 'bn-gamma', ratio: 0.25, roundTo: 4 }, layers: {} } }],
  ];

  it.skipIf(!models.length)('has no graph or weights, survives a structured clone, and plans every design as the CLI does on the graph', () => {
    for (const { name, bytes } of models) {
      const loaded = loadModel(bytes, `${name}.onnx`);
      const sent = unpackOpenedModel(structuredClone(packOpenedModel(openedModel(loaded)))).context;
      expect('graph' in sent.analysis, name).toBe(false);
      expect(JSON.stringify(sent).includes('rawData'), name).toBe(false);
      for (const [label, design] of designs) {
        const onPage = evaluateDesign(sent, design);
        const cli = resolveConfig(decodeModel(bytes), design.compression);
        const plan = (p: typeof cli.plan) => ({ ...p, keep: [...p.keep] });
        expect(plan(onPage.resolved.plan), `${name}, ${label}`).toEqual(plan(cli.plan));
        expect(onPage.resolved.quant, `${name}, ${label}`).toEqual(cli.quant);
        expect([onPage.params, onPage.macs], `${name}, ${label}`).toEqual([cli.plan.predicted.params, cli.plan.predicted.macs]);
      }
    }
  });
});

describe('design helpers', () => {
  it('paretoMax keeps exactly the non-dominated points', () => {
    const pts = [
      { x: 1, y: 5 },
      { x: 2, y: 4 },
      { x: 2, y: 3 }, // dominated by (2,4)
      { x: 3, y: 1 },
      { x: 0.5, y: 4.5 }, // dominated by (1,5)
    ];
    expect(paretoMax(pts, (p) => p.x, (p) => p.y)).toEqual([pts[0], pts[1], pts[3]]);
  });

  it('diffDesigns lists per-layer and global differences', () => {
    const a = defaultDesign();
    const b = defaultDesign();
    b.compression.layers = { conv1: { weightBits: 4 } };
    b.hardware.layers = { conv1: { pe: 2 } };
    b.hardware.clockMHz = 150;
    expect(diffDesigns(a, b)).toEqual([
      { layer: 'conv1', field: 'weightBits', a: 8, b: 4 },
      { layer: 'hardware', field: 'clockMHz', a: 100, b: 150 },
      { layer: 'conv1', field: 'pe', a: 1, b: 2 },
    ]);
  });

  it('diffDesigns leaves out settings that only spell out a default (issue 15: only real differences)', () => {
    const a = defaultDesign();
    const b = defaultDesign();
    // What auto-fold writes for every layer: explicit defaults beside the one real change.
    b.hardware.layers = { conv1: { pe: 1, simd: 1, memStyle: 'auto', mulStyle: 'auto' }, conv2: { pe: 4, simd: 1, memStyle: 'auto', mulStyle: 'lut' } };
    b.compression.layers = { conv1: { weightBits: 8, activationBits: 8 }, conv2: { activationBits: null } };
    b.recovery = { reconstruct: false, retrain: { ...DEFAULT_RETRAIN_RECIPE } };
    expect(diffDesigns(a, b)).toEqual([
      { layer: 'conv2', field: 'activationBits', a: 8, b: null },
      { layer: 'conv2', field: 'mulStyle', a: 'auto', b: 'lut' },
      { layer: 'conv2', field: 'pe', a: 1, b: 4 },
    ]);
    expect(diffDesigns(b, b)).toEqual([]);
  });
});
