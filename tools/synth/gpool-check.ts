/**
 * One global pool outside the grid, synthesized and set against its prior and calibrated estimates
 * (a check of the gpool fit on a shape the grid does not hold, e.g. the default model's 256-channel 7x7 pool).
 * Run: node --import tsx tools/synth/gpool-check.ts <channels> <map> <pe> <bits> <families: gowin,anlogic,...>
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emitGlobalPool } from '../../src/core/rtl/pool.ts';
import { fixedPointMultipliers } from '../../src/core/rtl/integer.ts';
import { globalAccPoolCost } from '../../src/core/hw/engines/pool.ts';
import { getDevice, lutFactor, toEngineDevice } from '../../src/core/hw/devices.ts';
import { FAMILIES, type SynthFamily } from '../../src/core/synth/families.ts';
import { synthesize } from '../../src/cli/synth-run.ts';
const [C, d, pe, bits] = process.argv.slice(2, 6).map(Number);
const families = process.argv[6].split(',') as SynthFamily[];
const { multiplier: [m], shift } = fixedPointMultipliers([0.37 / (d * d)]);
const out = { bits, signed: false, scale: 1, scaleType: 'float' as const, rounding: 'half-even' as const, qmin: 0, qmax: 2 ** bits - 1 };
const module = emitGlobalPool({ name: 'dut', channels: C, inDim: [d, d], pe, actBits: bits, actSigned: false, requant: { bias: new Array(C).fill(0), multiplier: new Array(C).fill(m), shift, rounding: 'half-even', out } });
for (const family of families) {
  const device = getDevice(FAMILIES[family].device);
  const est = globalAccPoolCost({ channels: C, inDim: [d, d] }, bits, pe, toEngineDevice(device));
  const prior = globalAccPoolCost({ channels: C, inDim: [d, d] }, bits, pe);
  const run = await synthesize({ 'dut.v': module.verilog }, 'dut', family, mkdtempSync(join(tmpdir(), 'gpc-')), { nice: 10, timeoutMs: 900_000 });
  const f = lutFactor(device);
  console.log(`${family} C${C} d${d} pe${pe} b${bits}: prior LUT ${Math.round(prior.lut * f)} FF ${prior.ff} | calibrated LUT ${Math.round(est.lut * f)} FF ${est.ff} | synth LUT ${run.counts.lut} (lutram ${run.counts.lutram}) FF ${run.counts.ff} (${run.seconds.toFixed(0)} s)`);
}
