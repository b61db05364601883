/**
 * Synthesizes single engines over a grid of (PE, SIMD, bits, channels, kernel) per engine kind
 * and family with Debian's Yosys, and writes estimated vs synthesized LUT / FF / DSP / BRAM to a
 * JSON file (tools/synth/calibrate.ts fits the per-family coefficients on it).
 * One Yosys at a time, niced; families in sequence. Results are appended as they come, so an
 * interrupted run keeps what it did (and a rerun skips configurations already in the file).
 *
 * Run: node --import tsx tools/synth/grid.ts [--families xilinx,gowin,anlogic] [--kinds mvau,vvau,requant,swg,fifo,dwc,gpool,maxpool]
 *        [--per-kind 40] (64 reaches the MVAU / VVAU rows with products in LUTs) [--bits 4,8] [--timeout 600] [--out tools/synth/grid-results.json]
 *        [--only <id text>] [--keep <dir>]  (a subset of rows; keep their Yosys directories to read the Verilog and log)
 *        [--configs probes.json --out /tmp/probes-out.json]  (off-grid configurations, to check the fit where the grid has no rows: calibrate.ts --probe)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { getDevice, lutFactor } from '../../src/core/hw/devices.ts';
import { ENGINES } from '../../src/core/hw/engines/index.ts';
import { accumulatorBits } from '../../src/core/hw/engines/common.ts';
import type { EngineContext } from '../../src/core/hw/engines/contract.ts';
import type { EngineCost } from '../../src/core/hw/types.ts';

import { emitSlidingWindow } from '../../src/core/rtl/sliding-window.ts';
import { emitFifo } from '../../src/core/rtl/fifo.ts';
import { emitWidthConverter } from '../../src/core/rtl/width-converter.ts';
import { fmPaddingCost, slidingWindowCost } from '../../src/core/hw/engines/sliding-window.ts';
import { fifoCost } from '../../src/core/hw/engines/fifo.ts';
import { widthConverterCost } from '../../src/core/hw/engines/width-converter.ts';
import { globalAccPoolCost, poolCost, streamingMaxPoolCost } from '../../src/core/hw/engines/pool.ts';
import { emitGlobalPool, emitStreamingMaxPool, emitWindowMaxPool } from '../../src/core/rtl/pool.ts';
import { fixedPointMultipliers } from '../../src/core/rtl/integer.ts';
import type { EmittedModule } from '../../src/core/rtl/verilog.ts';
import type { VendorMultiplier } from '../../src/core/rtl/vendor-mul.ts';
import { FAMILIES, parseFamily, type SynthCounts, type SynthFamily } from '../../src/core/synth/families.ts';
import { synthesize, yosysVersion } from '../../src/cli/synth-run.ts';
import { gridConfigs, gridMvauSpec, gridRequantBias, gridEngineContext, gridSeed, gridWindowShape, isHeldOut, maxPoolGridEngine, weights, type GridConfig, type GridKind } from './configs.ts';
import { requantBiasBits } from '../../src/core/rtl/requant.ts';

const { values } = parseArgs({
  options: {
    families: { type: 'string', default: 'xilinx,anlogic,gowin' },
    kinds: { type: 'string', default: 'mvau,vvau,requant' },
    'per-kind': { type: 'string', default: '40' },
    timeout: { type: 'string', default: '600' },
    out: { type: 'string', default: 'tools/synth/grid-results.json' },
    /** Only configurations of these bit widths (e.g. 4,8: the DSP rows first when time is short). */
    bits: { type: 'string' },
    /** Keep each row's Yosys directory (Verilog, script, log) under this folder, to read what was synthesized. */
    keep: { type: 'string' },
    /** Only configurations whose id contains this text. */
    only: { type: 'string' },
    /**
     * Off-grid probes: a JSON array of configurations (GridConfig, kinds among --kinds) synthesized
     * instead of the grid's; written to --out, never into the grid. calibrate.ts --probe checks the fit on them.
     */
    configs: { type: 'string' },
  },
});
const root = resolve(import.meta.dirname, '../..');
const outPath = resolve(root, values.out!);
const families = values.families!.split(',').map(parseFamily);
const kinds = values.kinds!.split(',') as GridKind[];
const perKind = Number(values['per-kind']);
const probes = values.configs ? (JSON.parse(readFileSync(resolve(values.configs), 'utf8')) as GridConfig[]) : null;
const version = yosysVersion();
if (!version) throw new Error('yosys is not installed');

export interface GridRow {
  id: string;
  family: SynthFamily;
  kind: GridKind;
  config: GridConfig;
  heldOut: boolean;
  /** Estimator numbers in the family's LUT unit (LUT6 x lutFactor). */
  estimated: SynthCounts;
  synthesized: SynthCounts;
  unmapped: Record<string, number>;
  cells: Record<string, number>;
  seconds: number;
}

interface GridFile {
  note: string;
  yosys: string;
  rows: GridRow[];
}

const file: GridFile = existsSync(outPath)
  ? (JSON.parse(readFileSync(outPath, 'utf8')) as GridFile)
  : { note: 'Estimated vs synthesized (Yosys, pre-place-and-route) resources of single engines; written by tools/synth/grid.ts.', yosys: version, rows: [] };
const done = new Set(file.rows.map((r) => r.id));

/** An MVAU's / VVAU's products as the generator writes them (design.ts): on the family's DSP primitive, or `*`, or in LUTs (shift-and-add where `*` would become a DSP48E1). */
function macProducts(cost: EngineCost, family: SynthFamily): { vendorMultiplier?: VendorMultiplier; lutProducts?: boolean } {
  const vendor = FAMILIES[family].vendorMultiplier;
  if (cost.dsp > 0) return vendor ? { vendorMultiplier: vendor } : {};
  return vendor ? {} : { lutProducts: true };
}

function build(c: GridConfig, family: SynthFamily): { module: EmittedModule; cost: EngineCost } {
  const ctx = gridEngineContext(c, family);
  const seed = gridSeed(c);
  const name = 'dut';
  if (c.kind === 'mvau') {
    const spec = gridMvauSpec(c);
    const { mw, mh } = spec;
    const cost = ENGINES.mvau.estimate(spec, c, ctx);
    const acc = accumulatorBits(mw, c.bits, c.bits, false);
    // A classifier's bias in accumulator units: as wide as a trained one can be (two bits under the accumulator's).
    const bias = c.bias ? { bias: weights(mh, acc - 2, seed + 1) } : {};
    // Through the engine's emitter, as the generator: the weight memory is placed where the estimate put it, products packed as it counted them.
    const module = ENGINES.mvau.rtl!.emit(spec, c, ctx, { name, data: { weightBits: c.bits, actBits: c.bits, actSigned: false, accBits: acc, weights: weights(mw * mh, c.bits, seed), ...bias, ...(cost.dspLanes && !FAMILIES[family].vendorMultiplier ? { dspLanes: cost.dspLanes } : macProducts(cost, family)) } });
    return { module, cost };
  }
  if (c.kind === 'vvau') {
    const spec = { kind: 'vvau' as const, channels: c.channels, kernel: [c.kernel, c.kernel] as [number, number], outDim: [4, 4] as [number, number] };
    const cost = ENGINES.vvau.estimate(spec, c, ctx);
    const acc = accumulatorBits(c.kernel * c.kernel, c.bits, c.bits, false);
    const module = ENGINES.vvau.rtl!.emit(spec, { pe: c.pe, simd: 1 }, ctx, { name, data: { weightBits: c.bits, actBits: c.bits, actSigned: false, accBits: acc, weights: weights(c.channels * c.kernel * c.kernel, c.bits, seed), ...macProducts(cost, family) } });
    return { module, cost };
  }
  if (c.kind === 'swg') return buildWindow(c, ctx);
  if (c.kind === 'fifo') return { module: emitFifo(name, c.depth!, c.width!), cost: fifoCost(c.depth!, c.width!, ctx.device) };
  if (c.kind === 'dwc') {
    const cost = widthConverterCost({ inElements: c.inElements!, outElements: c.outElements!, elementBits: c.bits, inWords: 64 }, ctx.device);
    return { module: emitWidthConverter(name, c.inElements!, c.outElements!, c.bits), cost };
  }
  if (c.kind === 'gpool') {
    // The requantiser integer.ts builds for a pool: 1/pixels times a scale ratio (0.8 here, so that the
    // constant is not a power of two, which would make the multiply a shift) as a full-width fixed-point multiplier.
    const d = c.imgDim!;
    const { multiplier: [multiplier], shift } = fixedPointMultipliers([0.8 / (d * d)]);
    const cost = globalAccPoolCost({ channels: c.channels, inDim: [d, d] }, c.bits, c.pe, ctx.device);
    const out = { bits: c.bits, signed: false, scale: 1, scaleType: 'float' as const, rounding: 'half-even' as const, qmin: 0, qmax: 2 ** c.bits - 1 };
    const module = emitGlobalPool({ name, channels: c.channels, inDim: [d, d], pe: c.pe, actBits: c.bits, actSigned: false, requant: { bias: new Array(c.channels).fill(0), multiplier: new Array(c.channels).fill(multiplier), shift, rounding: 'half-even', out } });
    return { module, cost };
  }
  if (c.kind === 'maxpool') {
    // The prior (no device): unsigned activations, as the other kinds.
    const e = maxPoolGridEngine(c);
    if (e.kind === 'streaming-maxpool') return { module: emitStreamingMaxPool({ name, ...e.shape, actBits: c.bits, actSigned: false }), cost: streamingMaxPoolCost(e.shape, c.bits) };
    return { module: emitWindowMaxPool({ name, channels: c.channels, pe: e.pe, kernel: e.shape.kernel, actBits: c.bits, actSigned: false }), cost: poolCost(e.shape, c.bits, e.pe) };
  }
  // Multiply-shift requantiser of `accBits`-wide accumulators to c.bits unsigned.
  const accBits = c.accBits!;
  const mult = weights(c.channels, 17, seed).map((m) => Math.abs(m) | 1);
  const bias = gridRequantBias(c);
  // The estimate of the quantised layer: its bias width is known.
  const spec = { kind: 'thresholding' as const, channels: c.channels, numVectors: 16, thresholdBits: accBits, outBits: c.bits, biasBits: requantBiasBits(bias) };
  const cost = ENGINES.thresholding.estimate(spec, c, ctx);
  const vendor = cost.dsp > 0 ? FAMILIES[family].vendorMultiplier : undefined;
  // Through the engine's emitter, as the generator: the parameters are placed where the estimate put them (ram_style).
  const module = ENGINES.thresholding.rtl!.emit(spec, c, ctx, {
    name,
    data: {
      inBits: accBits,
      requant: { bias, multiplier: mult, shift: 20, rounding: 'half-even', out: { bits: c.bits, signed: false, scale: 1, scaleType: 'float', rounding: 'half-even', qmin: 0, qmax: 2 ** c.bits - 1 } },
      ...(vendor ? { vendorMultiplier: vendor } : {}),
    },
  });
  return { module, cost };
}

/**
 * A sliding window with "same" padding (k / 2 on every side), as the generator builds it (padding
 * inside); its prior estimate is the estimator's window plus its FMPadding, the two engines FINN
 * builds for it. The line buffer carries the estimate's placement (`ram_style`), as in a design.
 */
function buildWindow(c: GridConfig, ctx: EngineContext): { module: EmittedModule; cost: EngineCost } {
  const shape = gridWindowShape(c);
  const d = c.imgDim!;
  const [s] = shape.stride;
  const [p] = shape.pads!;
  const [o] = shape.ofmDim;
  const window = slidingWindowCost(shape, c.bits, { simd: c.simd }, ctx.device);
  const pad = fmPaddingCost({ channels: c.channels, imgDim: [d, d], pads: [p, p, p, p] }, c.bits, c.simd, ctx.device);
  const cost: EngineCost = { ...window, lut: window.lut + pad.lut, ff: window.ff + pad.ff };
  const module = emitSlidingWindow({ name: 'dut', channels: c.channels, simd: c.simd, actBits: c.bits, inDim: [d, d], outDim: [o, o], kernel: [c.kernel, c.kernel], stride: [s, s], pads: [p, p, p, p], depthwise: c.depthwise!, bufferMemory: window.bufferMemory });
  return { module, cost };
}

const work = mkdtempSync(join(tmpdir(), 'edgefold-grid-'));
try {
  for (const family of families) {
    const factor = lutFactor(getDevice(FAMILIES[family].device));
    for (const kind of kinds) {
      const bitsFilter = values.bits ? new Set(values.bits.split(',').map(Number)) : null;
      const configs = (probes ? probes.filter((c) => c.kind === kind) : gridConfigs(kind).slice(0, perKind))
        .filter((c) => (!bitsFilter || bitsFilter.has(c.bits)) && (!values.only || c.id.includes(values.only)));
      for (const [i, c] of configs.entries()) {
        const id = `${family}/${c.id}`;
        if (done.has(id)) continue;
        const { module, cost } = build(c, family);
        const files = { [`${module.name}.v`]: module.verilog, ...module.files };
        const dir = values.keep ? resolve(values.keep, id.replace('/', '-')) : join(work, `${family}-${i}`);
        try {
          const run = await synthesize(files, module.name, family, dir, { nice: 10, timeoutMs: Number(values.timeout) * 1000 });
          const row: GridRow = {
            id,
            family,
            kind,
            config: c,
            heldOut: isHeldOut(c),
            estimated: { lut: Math.round(cost.lut * factor), lutram: 0, ff: cost.ff, dsp: cost.dsp, bram18: cost.bram18 },
            synthesized: run.counts,
            unmapped: run.unmapped,
            cells: run.cells,
            seconds: Math.round(run.seconds * 10) / 10,
          };
          file.rows.push(row);
          console.log(`${id}: est LUT ${row.estimated.lut} FF ${row.estimated.ff} DSP ${row.estimated.dsp} BRAM18 ${row.estimated.bram18} | synth LUT ${run.counts.lut} FF ${run.counts.ff} DSP ${run.counts.dsp} BRAM18 ${run.counts.bram18} (${row.seconds} s)`);
        } catch (e) {
          console.log(`${id}: FAILED ${(e as Error).message.split('\n')[0]}`);
        }
        writeFileSync(outPath, JSON.stringify(file, null, 1) + '\n');
        if (!values.keep) rmSync(dir, { recursive: true, force: true });
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
