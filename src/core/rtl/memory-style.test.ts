/**
 * The generator states the estimate's memory placement on every weight memory (`ram_style`), so
 * synthesis builds what was estimated: block RAM exactly where the estimate counts BRAM.
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { tinyModel } from '../../../test/rtl-models.ts';
import { designContext, evaluateDesign } from '../design/design.ts';
import { loadModel } from '../graph/index.ts';
import { arrayBatchSource, randomValues, seeded } from '../prune/testing.ts';
import { buildIntegerDesign } from './build.ts';
import { emitAccelerator } from './design.ts';
import { getDevice, toEngineDevice } from '../hw/devices.ts';
import { rtlEmitterOf } from '../hw/engines/index.ts';
import { mvauCost } from '../hw/engines/mvau.ts';
import { vvauCost } from '../hw/engines/vvau.ts';
import { requantCost } from '../hw/engines/thresholding.ts';
import { slidingWindowCost } from '../hw/engines/sliding-window.ts';
import type { MemStyle } from '../hw/types.ts';
import { ramStyleAttribute } from './verilog.ts';

const device = toEngineDevice(getDevice('GW2A-18'));
const bits = { weightBits: 4, actBits: 4, actSigned: false };
const weightStyle = (verilog: string) => /\(\* ram_style = "(\w+)" \*\) reg \[[^\]]+\] wmem/.exec(verilog)?.[1];

describe('memory placement: the estimate decides, the Verilog says it', () => {
  const cases: { mw: number; mh: number; pe: number; simd: number; memStyle: MemStyle }[] = [
    { mw: 16, mh: 16, pe: 1, simd: 1, memStyle: 'auto' }, // 256 words: BRAM
    { mw: 16, mh: 16, pe: 2, simd: 2, memStyle: 'auto' }, // 64 words: LUTs
    { mw: 16, mh: 16, pe: 1, simd: 1, memStyle: 'lutram' },
    { mw: 16, mh: 16, pe: 2, simd: 2, memStyle: 'bram' },
  ];
  it.each(cases)('MVAU $mw x $mh, PE $pe SIMD $simd, $memStyle: "block" exactly when the estimate counts block RAM', ({ mw, mh, pe, simd, memStyle }) => {
    const cost = mvauCost({ mw, mh, numVectors: 1 }, bits, { pe, simd }, device, { memStyle });
    const weights = Array.from({ length: mw * mh }, (_, i) => (i % 15) - 7);
    const m = rtlEmitterOf('mvau').emit({ kind: 'mvau', mw, mh, numVectors: 1 }, { pe, simd }, { requant: 'auto', memStyle }, { name: 'm', data: { ...bits, accBits: 16, weights } });
    expect(weightStyle(m.verilog)).toBe(cost.bram18 > 0 ? 'block' : 'logic');
    // The input double buffer is charged to LUTs by the estimate: distributed RAM, never block.
    expect(m.verilog).toMatch(/\(\* ram_style = "distributed" \*\) reg \[[^\]]+\] ibuf/);
  });
  it('VVAU: "block" for a deep weight memory, "logic" (a ROM in LUTs) for a shallow one, as estimated', () => {
    for (const [channels, pe, expected] of [[64, 1, 'block'], [8, 1, 'logic']] as const) {
      const spec = { kind: 'vvau' as const, channels, kernel: [3, 3] as [number, number], outDim: [4, 4] as [number, number] };
      const cost = vvauCost(spec, bits, { pe, simd: 1 }, device);
      expect(cost.bram18 > 0).toBe(expected === 'block');
      const m = rtlEmitterOf('vvau').emit(spec, { pe, simd: 1 }, { requant: 'auto' }, { name: 'v', data: { ...bits, accBits: 12, weights: new Array(channels * 9).fill(1) } });
      expect(weightStyle(m.verilog)).toBe(expected);
    }
  });
  it('multiply-shift requantiser: its parameter ROM is "block" exactly when the estimate counts block RAM', () => {
    for (const channels of [256, 64]) {
      const spec = { kind: 'thresholding' as const, channels, numVectors: 4, thresholdBits: 20, outBits: 8 };
      const cost = requantCost(spec, 8, 1, device);
      const out = { bits: 8, signed: false, scale: 1, scaleType: 'float' as const, rounding: 'half-even' as const, qmin: 0, qmax: 255 };
      const requant = { bias: new Array(channels).fill(0), multiplier: new Array(channels).fill(3), shift: 8, rounding: 'half-even' as const, out };
      const m = rtlEmitterOf('thresholding').emit(spec, { pe: 1, simd: 1 }, { requant: 'multiply' }, { name: 'q', data: { inBits: 20, requant } });
      expect(/\(\* ram_style = "(\w+)" \*\) reg \[[^\]]+\] pmem/.exec(m.verilog)?.[1]).toBe(cost.bram18 > 0 ? 'block' : 'logic');
    }
  });
  it('sliding window: the line buffer is "block" where the estimate counts block RAM, "distributed" where it counts LUTRAM', () => {
    const styles: string[] = [];
    for (const [channels, dim, simd] of [[64, 32, 1], [8, 8, 8]]) {
      const spec = { kind: 'sliding-window' as const, channels, ifmDim: [dim + 2, dim + 2] as [number, number], ofmDim: [dim, dim] as [number, number], kernel: [3, 3] as [number, number], stride: [1, 1] as [number, number], dilation: [1, 1] as [number, number], depthwise: false, pads: [1, 1, 1, 1] as [number, number, number, number] };
      const cost = slidingWindowCost(spec, 4, { simd }, device);
      expect(cost.bufferMemory).toBe(cost.bram18 > 0 ? 'bram' : 'lutram');
      const m = rtlEmitterOf('sliding-window').emit(spec, { pe: 1, simd }, { requant: 'auto' }, { name: 's', data: { actBits: 4, pads: [1, 1, 1, 1], bufferMemory: cost.bufferMemory } });
      const style = /\(\* ram_style = "(\w+)" \*\) reg \[[^\]]+\] buffer/.exec(m.verilog)?.[1];
      expect(style).toBe(cost.bram18 > 0 ? 'block' : 'distributed');
      styles.push(style!);
    }
    // Both placements are exercised.
    expect(styles).toEqual(['block', 'distributed']);
  });
  it('a ROM kept in LUTs is "logic" (Yosys refuses "distributed" on a ROM), a writable memory "distributed", URAM "ultra"', () => {
    expect(ramStyleAttribute('lutram', true)).toBe('(* ram_style = "logic" *) ');
    expect(ramStyleAttribute('lutram', false)).toBe('(* ram_style = "distributed" *) ');
    expect(ramStyleAttribute('bram', true)).toBe('(* ram_style = "block" *) ');
    expect(ramStyleAttribute('uram', true)).toBe('(* ram_style = "ultra" *) ');
  });
  it('global pool: the per-channel sums are distributed RAM with several channel folds, registers with one', () => {
    const requant = { bias: [0, 0, 0, 0], multiplier: [5, 5, 5, 5], shift: 4, rounding: 'half-even' as const, out: { bits: 8, signed: false, scale: 1, scaleType: 'float' as const, rounding: 'half-even' as const, qmin: 0, qmax: 255 } };
    const emit = (pe: number) => rtlEmitterOf('global-acc-pool').emit({ kind: 'global-acc-pool', channels: 4, inDim: [2, 2] }, { pe, simd: 1 }, { requant: 'auto' }, { name: 'g', data: { actBits: 8, actSigned: false, requant } }).verilog;
    expect(emit(1)).toMatch(/\(\* ram_style = "distributed" \*\) reg \[[^\]]+\] accmem/);
    expect(emit(4)).not.toContain('ram_style');
  });
});

describe('a whole design: each window states the placement its estimate row charged', () => {
  it('every generated line buffer carries the ram_style of its estimate row\'s bufferMemory', async () => {
    ort.env.logLevel = 'error';
    const loaded = loadModel(tinyModel(8), 'tiny.onnx');
    const config = { version: 1 as const, quant: { weightBits: 8, activationBits: 8 } };
    const { net } = await buildIntegerDesign(loaded.model, config, arrayBatchSource(ort, [Float32Array.from(randomValues(seeded(7), 4 * 64, 2))], [4, 1, 8, 8]));
    const metrics = evaluateDesign(designContext(loaded), { compression: config, hardware: { device: 'GW2A-18', clockMHz: 100, budget: 0.8, layers: {} } });
    const accelerator = emitAccelerator(net, metrics.estimate, { images: 1 });
    const windows = accelerator.stages.filter((s) => s.kind === 'sliding-window');
    expect(windows.length).toBeGreaterThan(0);
    for (const stage of windows) {
      const placement = metrics.estimate.layers.find((l) => l.name === stage.layer)!.engines.find((e) => e.kind === 'sliding-window')!.bufferMemory;
      expect(placement, stage.layer).toBeDefined();
      const style = /\(\* ram_style = "(\w+)" \*\) reg \[[^\]]+\] buffer/.exec(stage.module.verilog)?.[1];
      expect(style, stage.layer).toBe(placement === 'bram' ? 'block' : 'distributed');
    }
  });
});
