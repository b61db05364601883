import { describe, expect, it } from 'vitest';
import { getDevice, toEngineDevice } from '../devices.ts';
import { referenceLikeLayers, residualLayers } from '../fixtures.ts';
import { hwLayersFromLayerView } from '../layers.ts';
import type { EngineSpec } from '../types.ts';
import type { EngineContext, EngineFold, RtlModule } from './contract.ts';
import { ENGINES, engineOf, RTL_KINDS, rtlEmitterOf } from './index.ts';
import type { RequantRtlData } from './thresholding.ts';

/** The engine kinds src/core/rtl/design.ts emits (FMPadding is folded into its window there). */
const GENERATED = ['mvau', 'vvau', 'sliding-window', 'thresholding', 'global-acc-pool', 'pool', 'streaming-maxpool', 'add-streams', 'fifo', 'width-converter'] as const;

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
      { kind: 'width-converter', inElements: 4, outElements: 3, elementBits: 8, inWords: 48 },
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

describe('RTL emitters in the engine table', () => {
  const requant: RequantRtlData['requant'] = {
    bias: [0, 0, 0, 0],
    multiplier: [3, 5, 7, 9],
    shift: 4,
    rounding: 'half-even',
    out: { bits: 8, signed: true, scale: 1, scaleType: 'float', rounding: 'half-even', qmin: -128, qmax: 127 },
  };
  // One instance of every kind src/core/rtl/design.ts builds, through the table only.
  const instances: { [K in (typeof GENERATED)[number]]: () => RtlModule } = {
    mvau: () => rtlEmitterOf('mvau').emit({ kind: 'mvau', mw: 4, mh: 2, numVectors: 1 }, { pe: 2, simd: 2 }, { requant: 'auto' }, { name: 'm', data: { weightBits: 4, actBits: 4, actSigned: false, accBits: 12, weights: [1, -2, 3, -4, 5, -6, 7, -8] } }),
    vvau: () => rtlEmitterOf('vvau').emit({ kind: 'vvau', channels: 2, kernel: [3, 3], outDim: [4, 4] }, { pe: 1, simd: 1 }, { requant: 'auto' }, { name: 'v', data: { weightBits: 4, actBits: 4, actSigned: false, accBits: 12, weights: Array.from({ length: 18 }, (_, i) => i - 9) } }),
    'sliding-window': () =>
      rtlEmitterOf('sliding-window').emit({ kind: 'sliding-window', channels: 2, ifmDim: [6, 6], ofmDim: [4, 4], kernel: [3, 3], stride: [1, 1], dilation: [1, 1], depthwise: true }, { pe: 1, simd: 1 }, { requant: 'auto' }, { name: 's', data: { actBits: 4, pads: [0, 0, 0, 0] } }),
    thresholding: () => rtlEmitterOf('thresholding').emit({ kind: 'thresholding', channels: 4, numVectors: 1, thresholdBits: 12, outBits: 8 }, { pe: 1, simd: 1 }, { requant: 'multiply' }, { name: 't', data: { inBits: 12, requant } }),
    'global-acc-pool': () => rtlEmitterOf('global-acc-pool').emit({ kind: 'global-acc-pool', channels: 4, inDim: [2, 2] }, { pe: 1, simd: 1 }, { requant: 'auto' }, { name: 'g', data: { actBits: 8, actSigned: true, requant: { ...requant, multiplier: [5, 5, 5, 5] } } }),
    pool: () => rtlEmitterOf('pool').emit({ kind: 'pool', fn: 'max', channels: 4, kernel: [3, 3], outDim: [2, 2] }, { pe: 2, simd: 1 }, { requant: 'auto' }, { name: 'p', data: { actBits: 4, actSigned: true } }),
    'streaming-maxpool': () =>
      rtlEmitterOf('streaming-maxpool').emit({ kind: 'streaming-maxpool', channels: 4, imgDim: [4, 4], poolDim: [2, 2] }, { pe: 1, simd: 1 }, { requant: 'auto' }, { name: 'sm', data: { actBits: 4, actSigned: false } }),
    'add-streams': () => rtlEmitterOf('add-streams').emit({ kind: 'add-streams', channels: 4, numVectors: 1 }, { pe: 2, simd: 1 }, { requant: 'auto' }, { name: 'a', data: { branchBits: 8, skipBits: 8, skipSigned: true, outBits: 9 } }),
    fifo: () => rtlEmitterOf('fifo').emit({ kind: 'fifo', depth: 32, width: 16 }, { pe: 1, simd: 1 }, { requant: 'auto' }, { name: 'f', data: undefined }),
    'width-converter': () => rtlEmitterOf('width-converter').emit({ kind: 'width-converter', inElements: 1, outElements: 3, elementBits: 8, inWords: 9 }, { pe: 1, simd: 1 }, { requant: 'auto' }, { name: 'w', data: undefined }),
  };

  it('every engine kind the generator builds has an emitter that emits its module', () => {
    expect([...RTL_KINDS].sort()).toEqual([...GENERATED].sort());
    for (const kind of GENERATED) {
      expect(ENGINES[kind].rtl, kind).toBeDefined();
      const m = instances[kind]();
      expect(m.verilog, kind).toMatch(new RegExp(`module ${m.name}\\b`));
      expect(m.inWidth, kind).toBeGreaterThan(0);
      expect(m.outWidth, kind).toBeGreaterThan(0);
    }
    expect(instances['add-streams']().outWidth).toBe(2 * 9);
    expect(instances.fifo().inWidth).toBe(16);
    expect([instances['width-converter']().inWidth, instances['width-converter']().outWidth]).toEqual([8, 24]);
    // Max pools keep the element width: PE lanes (Pool), every channel of a pixel (StreamingMaxPool).
    expect([instances.pool().inWidth, instances.pool().outWidth]).toEqual([8, 8]);
    expect(instances['streaming-maxpool']().outWidth).toBe(16);
  });

  it('the thresholding emitter builds the requantiser style the context names', () => {
    const spec = { kind: 'thresholding' as const, channels: 4, numVectors: 1, thresholdBits: 12, outBits: 8 };
    const emit = (style: 'multiply' | 'thresholds') => rtlEmitterOf('thresholding').emit(spec, { pe: 1, simd: 1 }, { requant: style }, { name: 't', data: { inBits: 12, requant } });
    expect(emit('multiply').verilog).not.toEqual(emit('thresholds').verilog);
    expect(Object.keys(emit('thresholds').files).length).toBeGreaterThan(0);
  });

  it('refuses a kind the generator does not build, naming it and the kinds it does', () => {
    expect(ENGINES.downsampler.rtl).toBeUndefined();
    expect(() => rtlEmitterOf('downsampler')).toThrow(/no emitter for engine kind "downsampler" \(FINN DownSampler\); it builds mvau, vvau, sliding-window/);
    expect(() => rtlEmitterOf('pool').emit({ kind: 'pool', fn: 'avg', channels: 4, kernel: [2, 2], outDim: [2, 2] }, { pe: 1, simd: 1 }, { requant: 'auto' }, { name: 'p', data: { actBits: 4, actSigned: false } })).toThrow(/average pooling is not generated/);
  });

  it('the MVAU emitter refuses weights that do not fill its matrix', () => {
    expect(() => rtlEmitterOf('mvau').emit({ kind: 'mvau', mw: 4, mh: 2, numVectors: 1 }, { pe: 1, simd: 1 }, { requant: 'auto' }, { name: 'm', data: { weightBits: 4, actBits: 4, actSigned: false, accBits: 12, weights: [1, 2, 3] } })).toThrow(
      /3 weights for a 2 x 4 MVAU/,
    );
  });
});
