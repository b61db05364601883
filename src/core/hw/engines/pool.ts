/**
 * Pooling engines: Pool (max or average over a window, after a depthwise sliding window),
 * StreamingMaxPool (non-overlapping 2-D max pooling), GlobalAccPool (global average pooling
 * as a sum; FINN moves the 1/(H*W) scale into a scalar Mul that streamlining absorbs).
 *
 * Sources, Xilinx/finn @ 39f0c9a6b:
 * - src/finn/custom_op/fpgadataflow/pool.py get_exp_cycles: (C * k_h * k_w / PE) * prod(OutImgDims)
 * - src/finn/custom_op/fpgadataflow/streamingmaxpool.py get_exp_cycles (2-D:
 *   ImgDim_w^2 * (1 + 1/k_w^2), which FINN itself flags as inaccurate)
 * - src/finn/custom_op/fpgadataflow/globalaccpool.py get_exp_cycles: H*W*C/PE + C/PE
 * - transformation/fpgadataflow/convert_to_hw_layers.py InferPool, InferStreamingMaxPool,
 *   InferGlobalAccPoolLayer (which op becomes which engine)
 * FINN has no resource estimate for these engines; the LUT/FF numbers here are ours (comparators,
 * adders, accumulator memory) and are documented as such.
 */
import { distributedRamLuts, distributedRamMuxLuts, lutram64 } from '../memory.ts';
import type { EngineCost, EngineDevice } from '../types.ts';
import { emitGlobalPool, emitStreamingMaxPool, emitWindowMaxPool, globalPoolSumBits, type GlobalPoolParams, type MaxPoolParams } from '../../rtl/pool.ts';
import { MULTIPLIER_BITS } from '../../rtl/integer.ts';
import { clog2 } from '../../rtl/verilog.ts';
import type { HwEngine, SpecOf } from './contract.ts';
import { calibrate, type Features } from '../calibration.ts';
import { dspPerProduct } from './common.ts';

export interface PoolShape {
  fn: 'max' | 'avg';
  channels: number;
  kernel: [number, number];
  outDim: [number, number];
}

/** pool.py get_exp_cycles: (C * k_h * k_w / PE) * prod(OutImgDims). */
export function poolCycles({ channels, kernel, outDim }: PoolShape, pe: number): number {
  return Math.trunc(((channels * kernel[0] * kernel[1]) / pe) * (outDim[0] * outDim[1]));
}

/**
 * What the synthesis calibration multiplies for a max pool (the generated ones, src/core/rtl/pool.ts),
 * under one kind `maxpool` whose two engines get LUT features of their own (Yosys maps their lanes
 * differently: the windowed Pool's select feeds two registers and a k == 0 term, StreamingMaxPool's
 * a LUTRAM write port). StreamingMaxPool: `cmp` = C lanes x bits (a comparator and a select per
 * lane), `cmpSq` = lanes x bits^2 (Yosys 0.23 builds the Gowin compare-and-select from LUT muxes
 * whose count grows with the square of the width), `rowMem` = the LUTs of the row of partial
 * maxima in LUTRAM (`lutramLuts`: cells and read multiplexer, not bits: a row of up to 16 words
 * takes one 16-word bank), `counters`. Windowed Pool: `winOne`, `winCmp` = PE x bits, `winSq` =
 * PE x bits^2, `winCube` = PE x bits^3 (Gowin: every select bit of an 8-bit lane becomes a
 * MUX2_LUT8 tree, none at 4 bits: 22 LUTs a 4-bit lane, about 150 an 8-bit one, faster than the
 * square), and its window counter in `counters`. Registers: `regs` = the data registers
 * (StreamingMaxPool: the output word; Pool: the running maximum and the output word) and the counters.
 */
export function maxPoolFeatures(engine: { kind: 'streaming-maxpool'; shape: StreamingMaxPoolShape } | { kind: 'pool'; shape: PoolShape; pe: number }, actBits: number, lutInputs: 4 | 5 | 6 = 6): { lut: Features; ff: Features } {
  const A = actBits;
  if (engine.kind === 'streaming-maxpool') {
    const { channels: C, imgDim, poolDim } = engine.shape;
    const ow = Math.floor(imgDim[1] / poolDim[1]);
    const counters = 2 * clog2(imgDim[1]) + 2 * clog2(imgDim[0]) + clog2(ow);
    return {
      lut: { one: 1, cmp: C * A, cmpSq: C * A * A, rowMem: lutramLuts(C * A, ow, lutInputs), counters, winOne: 0, winCmp: 0, winSq: 0, winCube: 0 },
      ff: { one: 1, regs: C * A, counters },
    };
  }
  const counters = clog2(engine.shape.kernel[0] * engine.shape.kernel[1]);
  const pe = engine.pe;
  return {
    lut: { one: 0, cmp: 0, cmpSq: 0, rowMem: 0, counters, winOne: 1, winCmp: pe * A, winSq: pe * A * A, winCube: pe * A ** 3 },
    ff: { one: 1, regs: 2 * pe * A, counters },
  };
}

/** The LUTs of a distributed RAM (memory.ts) with its read multiplexer. */
const lutramLuts = (width: number, depth: number, lutInputs: number): number => distributedRamLuts(depth, width, lutInputs) + distributedRamMuxLuts(depth, width, lutInputs);

export function poolCost(shape: PoolShape, actBits: number, pe: number, device?: EngineDevice): EngineCost {
  const { fn, channels: C, kernel, outDim } = shape;
  if (!Number.isInteger(pe) || pe < 1 || C % pe !== 0) throw new RangeError(`pool: PE=${pe} does not divide ${C}`);
  const k2 = kernel[0] * kernel[1];
  const pixels = outDim[0] * outDim[1];
  const accBits = fn === 'max' ? actBits : actBits + Math.ceil(Math.log2(k2));
  const cost: EngineCost = {
    cycles: poolCycles(shape, pe),
    dsp: 0,
    bram18: 0,
    lut: 50 + pe * accBits * 2,
    ff: 32 + pe * accBits * 2,
    weightMemBits: 0,
    fillWords: k2,
    inWords: pixels * k2 * (C / pe),
    outWords: pixels * (C / pe),
    outWidth: pe * actBits,
    notes: [`${fn} pool, ${accBits}-bit datapath (resources ours; FINN estimates none)`],
  };
  if (!device || fn !== 'max') return cost;
  const f = maxPoolFeatures({ kind: 'pool', shape, pe }, actBits, device.lutInputs);
  return calibrate(cost, device.calibration, 'maxpool', f.lut, f.ff);
}

export interface StreamingMaxPoolShape {
  channels: number;
  imgDim: [number, number];
  poolDim: [number, number];
}

/** streamingmaxpool.py get_exp_cycles (2-D): ImgDim_w^2 * (1 + 1/k_w^2). */
export function streamingMaxPoolCycles({ imgDim, poolDim }: StreamingMaxPoolShape): number {
  return Math.trunc(imgDim[1] * imgDim[1] * (1 + 1 / (poolDim[1] * poolDim[1])));
}

export function streamingMaxPoolCost(shape: StreamingMaxPoolShape, actBits: number, device?: EngineDevice): EngineCost {
  const { channels: C, imgDim, poolDim } = shape;
  const w = imgDim[1];
  const oh = Math.floor(imgDim[0] / poolDim[0]);
  const ow = Math.floor(imgDim[1] / poolDim[1]);
  // One row of partial maxima, C values per pixel.
  const rowBits = C * actBits;
  const cost: EngineCost = {
    cycles: streamingMaxPoolCycles(shape),
    dsp: 0,
    bram18: 0,
    lut: 50 + rowBits + lutram64(rowBits, ow),
    ff: 32 + 2 * rowBits,
    weightMemBits: 0,
    fillWords: poolDim[0] * w,
    inWords: imgDim[0] * imgDim[1],
    outWords: oh * ow,
    outWidth: rowBits,
    notes: ['StreamingMaxPool: FINN formula (flagged inaccurate by FINN); resources ours'],
  };
  if (!device) return cost;
  const f = maxPoolFeatures({ kind: 'streaming-maxpool', shape }, actBits, device.lutInputs);
  return calibrate(cost, device.calibration, 'maxpool', f.lut, f.ff);
}

export interface GlobalAccPoolShape {
  channels: number;
  inDim: [number, number];
}

/** globalaccpool.py get_exp_cycles: H*W*C/PE + C/PE. */
export function globalAccPoolCycles({ channels, inDim }: GlobalAccPoolShape, pe: number): number {
  const cf = channels / pe;
  return inDim[0] * inDim[1] * cf + cf;
}

/**
 * What the synthesis calibration multiplies for a global pool (the generated one, src/core/rtl/pool.ts):
 * `sum` = PE x sum bits (adders, operand muxes), `accMem` = the LUTs of the per-channel sums in
 * LUTRAM when there is more than one channel fold (memory.ts `distributedRamLuts`; one fold: registers), `accMux`
 * = its read multiplexer across banks (`distributedRamMuxLuts`; Yosys merges it into the adder and product
 * logic that reads it, so it may cost more than its own count), `prod` = PE x product bits of
 * the constant multiply and rounding, `sumSq` = PE x sum bits^2 (the constant multiply's adders
 * grow with the sum's width times the constant's digits: superlinear in what Yosys 0.23 builds),
 * `out` = PE x output bits; registers: the sums when they are
 * registers, the output word, the counters.
 */
export function globalAccPoolFeatures({ channels, inDim }: GlobalAccPoolShape, actBits: number, pe: number, outBits = actBits, lutInputs: 4 | 5 | 6 = 6): { lut: Features; ff: Features } {
  const cf = channels / pe;
  const pixels = inDim[0] * inDim[1];
  const sumBits = globalPoolSumBits(actBits, pixels);
  const prodBits = sumBits + MULTIPLIER_BITS + 1;
  return {
    lut: { one: 1, sum: pe * sumBits, sumSq: pe * sumBits * sumBits, accMem: cf > 1 ? distributedRamLuts(cf, pe * sumBits, lutInputs) : 0, accMux: cf > 1 ? distributedRamMuxLuts(cf, pe * sumBits, lutInputs) : 0, prod: pe * prodBits, out: pe * outBits },
    ff: { one: 1, sumReg: cf > 1 ? 0 : pe * sumBits, out: pe * outBits, counters: clog2(cf) + clog2(pixels) },
  };
}

/**
 * DSPs of the averaging multiply (sum x the 1/(H*W) multiplier, src/core/rtl/pool.ts). On parts with
 * DSP48/DSP58 blocks the `*` is inferred as one (Yosys 0.23 `synth_xilinx` did so in the XC7Z020 whole
 * design: 1 DSP48E1 at PE 1, docs/hardware-model.md); on the Gowin and Anlogic parts ('generic' DSP
 * type) Yosys builds it from LUTs, which the calibrated LUT fit (`sumSq`) covers.
 */
export function globalAccPoolDsp({ inDim }: GlobalAccPoolShape, actBits: number, pe: number, device?: EngineDevice): number {
  if (!device || device.dspType === 'generic') return 0;
  const sumBits = globalPoolSumBits(actBits, inDim[0] * inDim[1]);
  return pe * dspPerProduct(sumBits, MULTIPLIER_BITS + 1, device.dspMultiplier);
}

export function globalAccPoolCost(shape: GlobalAccPoolShape, actBits: number, pe: number, device?: EngineDevice): EngineCost {
  const { channels: C, inDim } = shape;
  if (!Number.isInteger(pe) || pe < 1 || C % pe !== 0) throw new RangeError(`global pool: PE=${pe} does not divide ${C}`);
  const pixels = inDim[0] * inDim[1];
  const cf = C / pe;
  const accBits = actBits + Math.ceil(Math.log2(pixels));
  const accMem = cf > 1 ? lutram64(pe * accBits, cf) : 0;
  const cost: EngineCost = {
    cycles: globalAccPoolCycles(shape, pe),
    dsp: globalAccPoolDsp(shape, actBits, pe, device),
    bram18: 0,
    lut: 50 + pe * accBits + accMem,
    ff: 32 + 2 * pe * accBits,
    weightMemBits: 0,
    fillWords: pixels * cf,
    inWords: pixels * cf,
    outWords: cf,
    outWidth: pe * accBits,
    notes: [`global sum, ${accBits}-bit accumulators (resources ours)`],
  };
  if (!device) return cost;
  const f = globalAccPoolFeatures(shape, actBits, pe, actBits, device.lutInputs);
  return calibrate(cost, device.calibration, 'gpool', f.lut, f.ff);
}

export const poolEngine: HwEngine<SpecOf<'pool'>, MaxPoolRtlData> = {
  kind: 'pool',
  finnOp: 'Pool',
  expCycles: (spec, fold) => poolCycles(spec, fold.pe),
  estimate: (spec, fold, ctx) => poolCost(spec, ctx.bits.actBits, fold.pe, ctx.device),
  rtl: {
    emit: (spec, fold, _ctx, { name, data }) => {
      if (spec.fn !== 'max') throw new RangeError(`${name}: average pooling is not generated (only max pooling and the global average pool)`);
      return emitWindowMaxPool({ name, channels: spec.channels, pe: fold.pe, kernel: spec.kernel, ...data });
    },
  },
};

/** What a max pool instance needs beyond its shape and folding: the width and sign of its grid. */
export type MaxPoolRtlData = Omit<MaxPoolParams, 'name' | 'channels'>;

export const streamingMaxPoolEngine: HwEngine<SpecOf<'streaming-maxpool'>, MaxPoolRtlData> = {
  kind: 'streaming-maxpool',
  finnOp: 'StreamingMaxPool',
  expCycles: (spec) => streamingMaxPoolCycles(spec),
  estimate: (spec, _fold, ctx) => streamingMaxPoolCost(spec, ctx.bits.actBits, ctx.device),
  rtl: { emit: (spec, _fold, _ctx, { name, data }) => emitStreamingMaxPool({ name, channels: spec.channels, imgDim: spec.imgDim, poolDim: spec.poolDim, ...data }) },
};

/** What a global pool instance needs beyond its shape and folding: input widths and its requantisation. */
export type GlobalPoolRtlData = Omit<GlobalPoolParams, 'name' | 'channels' | 'inDim' | 'pe'>;

export const globalAccPoolEngine: HwEngine<SpecOf<'global-acc-pool'>, GlobalPoolRtlData> = {
  kind: 'global-acc-pool',
  finnOp: 'GlobalAccPool',
  expCycles: (spec, fold) => globalAccPoolCycles(spec, fold.pe),
  estimate: (spec, fold, ctx) => globalAccPoolCost(spec, ctx.bits.actBits, fold.pe, ctx.device),
  rtl: { emit: (spec, fold, _ctx, { name, data }) => emitGlobalPool({ name, channels: spec.channels, inDim: spec.inDim, pe: fold.pe, ...data }) },
};
