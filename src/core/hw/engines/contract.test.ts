import { describe, expect, it } from 'vitest';
import { getDevice, toEngineDevice } from '../devices.ts';
import { referenceLikeLayers, residualLayers } from '../fixtures.ts';
import { hwLayersFromLayerView } from '../layers.ts';
import type { EngineSpec } from '../types.ts';
import type { EngineContext, EngineFold } from './contract.ts';
import { ENGINES, engineOf } from './index.ts';

const ctx: EngineContext = { bits: { weightBits: 8, actBits: 8 }, device: toEngineDevice(getDevice('XC7Z020')), mulStyle: 'auto', memStyle: 'auto', requant: 'auto' };

describe('engine contract', () => {
  it('has one engine per kind, filed under its own kind', () => {
    for (const [kind, engine] of Object.entries(ENGINES)) {
      expect(engine.kind).toBe(kind);
      expect(typeof engine.expCycles).toBe('function');
      expect(typeof engine.estimate).toBe('function');
      expect(engine.finnOp).toMatch(/^[A-Z]/);
    }
  });

  it("every engine's estimate reports the cycles of its expCycles, at several foldings", () => {
    const layers = [...hwLayersFromLayerView(referenceLikeLayers()), ...hwLayersFromLayerView(residualLayers())];
    const specs: EngineSpec[] = [
      ...layers.flatMap((l) => l.engines),
      { kind: 'fifo', depth: 64, width: 16 },
      { kind: 'downsampler', channels: 16, imgDim: 8, stride: 2 },
      { kind: 'pool', fn: 'max', channels: 16, kernel: [3, 3], outDim: [4, 4] },
      { kind: 'streaming-maxpool', channels: 16, imgDim: [8, 8], poolDim: [2, 2] },
    ];
    const seen = new Set<string>();
    for (const spec of specs) {
      seen.add(spec.kind);
      const channels = 'channels' in spec ? spec.channels : 'mh' in spec ? spec.mh : 1;
      for (const pe of [1, 2, 4].filter((p) => channels % p === 0)) {
        const fold: EngineFold = spec.kind === 'sliding-window' || spec.kind === 'fmpadding' || spec.kind === 'downsampler' ? { pe: 1, simd: pe } : { pe, simd: 1 };
        const engine = engineOf(spec);
        expect(engine.estimate(spec, fold, ctx).cycles, `${spec.kind} at ${JSON.stringify(fold)}`).toBe(engine.expCycles(spec, fold, ctx));
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(ENGINES).sort());
  });

  it('auxiliary engines fold to the target: the smallest PE/SIMD that meets it', () => {
    const spec: EngineSpec = { kind: 'thresholding', channels: 32, numVectors: 100, thresholdBits: 20, outBits: 8 };
    const fold = ENGINES.thresholding.auxFold!(spec, { target: 800, main: { kind: 'mvau', fold: { pe: 1, simd: 1 } } });
    expect(fold).toEqual({ pe: 4, simd: 1 }); // 100 * 32 / 4 = 800
    expect(ENGINES.thresholding.estimate(spec, fold, ctx).cycles).toBe(800);
  });
});
