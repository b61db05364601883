/** One tiny engine for the synthesis tests (src/cli/synth.test.ts: Debian Yosys; src/core/synth/yowasp.test.ts: YoWASP). */
import { expect } from 'vitest';
import { getDevice, toEngineDevice } from '../src/core/hw/devices.ts';
import { vvauCost } from '../src/core/hw/engines/vvau.ts';
import { emitVvau } from '../src/core/rtl/vvau.ts';
import type { CellTally } from '../src/core/synth/families.ts';

/** A 2-lane 8-bit VVAU (4 channels, 3x3) with its products on Anlogic's EG_PHY_MULT18, and the estimator's DSP count for it on EG4S20. */
export function twoLaneVvau(): { files: Record<string, string>; verilog: string; estimatedDsp: number } {
  const device = toEngineDevice(getDevice('EG4S20'));
  const cost = vvauCost({ channels: 4, kernel: [3, 3], outDim: [2, 2] }, { weightBits: 8, actBits: 8, actSigned: false }, { pe: 2, simd: 1 }, device);
  const weights = Array.from({ length: 36 }, (_, i) => ((i * 29) % 255) - 127);
  const m = emitVvau({ name: 'dut', channels: 4, kernel: [3, 3], pe: 2, simd: 1, weightBits: 8, actBits: 8, actSigned: false, accBits: 20, weights, vendorMultiplier: 'anlogic' });
  return { files: { 'dut.v': m.verilog, ...m.files }, verilog: m.verilog, estimatedDsp: cost.dsp };
}

/** DSPs as estimated (one EG_PHY_MULT18 per product), every cell counted, LUT / FF in a sane range. */
export function expectTwoLaneVvauTally(run: CellTally, estimatedDsp: number): void {
  expect(run.cells.EG_PHY_MULT18).toBe(2);
  expect(run.counts.dsp).toBe(estimatedDsp);
  expect(run.unmapped).toEqual({});
  // Two 20-bit accumulators, two 20-bit output registers, operand registers: tens to a few hundred.
  expect(run.counts.ff).toBeGreaterThanOrEqual(40);
  expect(run.counts.ff).toBeLessThan(400);
  expect(run.counts.lut).toBeGreaterThan(20);
  expect(run.counts.lut).toBeLessThan(2000);
}
