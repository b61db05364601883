/**
 * Thresholding (requantisation / quantised activation) as FINN's standalone Thresholding_rtl:
 * a binary search over 2^B - 1 thresholds per channel, B output bits.
 *
 * Sources, Xilinx/finn @ 39f0c9a6b:
 * - cycles: src/finn/custom_op/fpgadataflow/thresholding.py get_exp_cycles (= numVectors * C / PE)
 * - memory: rtl/thresholding_rtl.py get_pe_mem_geometries / get_memory_estimate: per PE and per
 *   output bit x, a memory of (threshold bits) x (C/PE * 2^x), each mapped to the primitive with
 *   the least waste (util/basic.py memutil). FINN's lut_estimation is the LUTRAM count only.
 * Departures: URAM is not offered (FINN always lists the Versal URAM primitives; the model
 * does not budget URAM); under 'auto' each stage goes to BRAM or LUTRAM, whichever is the
 * smaller share of the device (FINN: least waste, i.e. LUTRAM for nearly every depth; our
 * 'lutram' and 'bram' styles reproduce FINN's choice restricted to that primitive);
 * comparator logic (PE * B * threshold bits LUTs) and FF are ours.
 */
import { lutram64, minWastePrimitive, ramb18, blockRamRule } from '../memory.ts';
import type { BufferMemStyle, EngineCost, EngineDevice } from '../types.ts';
import { bufferMemStyle, cheaperMemory, dspPerProduct, lutMultiplier, resolveWeightMem } from './common.ts';
import type { Requant } from '../../rtl/integer.ts';
import { emitRequant, requantParamBits } from '../../rtl/requant.ts';
import { clog2, wrapCounterFlipFlops } from '../../rtl/verilog.ts';
import { emitThresholds } from '../../rtl/thresholds.ts';
import type { VendorMultiplier } from '../../rtl/vendor-mul.ts';
import { calibrate, type Features } from '../calibration.ts';
import { smallestFolding, type HwEngine, type RequantStyle, type SpecOf } from './contract.ts';

export interface ThresholdingShape {
  channels: number;
  /** Pixels per frame (H*W), 1 after FC. */
  numVectors: number;
  /** Width of a threshold = width of the incoming accumulator. */
  thresholdBits: number;
  /** Multiply-shift requantiser: width of the stored bias when the integer parameters are known. */
  biasBits?: number;
}

/** thresholding.py get_exp_cycles = numVectors * C / PE (the multiply-shift requantiser streams the same). */
export function thresholdingCycles({ channels, numVectors }: ThresholdingShape, pe: number): number {
  return numVectors * (channels / pe);
}

export function thresholdingCost(
  shape: ThresholdingShape,
  outBits: number,
  pe: number,
  device: EngineDevice,
  memStyle: BufferMemStyle = 'auto',
): EngineCost {
  const { channels: C, numVectors, thresholdBits: T } = shape;
  if (!Number.isInteger(pe) || pe < 1 || C % pe !== 0) throw new RangeError(`thresholding: PE=${pe} does not divide ${C}`);
  const cf = C / pe;
  let bram18 = 0;
  let lutram = 0;
  for (let x = 0; x < outBits; x++) {
    const depth = cf * 2 ** x;
    let choice;
    if (memStyle === 'auto') {
      // Ours: the cheaper share of the device (FINN's least-waste rule picks LUTRAM for almost
      // every power-of-two depth, which makes 8-bit thresholds LUT-bound).
      const asBram = minWastePrimitive(T, depth, { uram: false, bram18: true, lutram: false });
      const asLut = minWastePrimitive(T, depth, { uram: false, bram18: false, lutram: true });
      choice = cheaperMemory(asLut.lutram, asBram.bram18, device) === 'bram' ? asBram : asLut;
    } else {
      choice = minWastePrimitive(T, depth, { uram: false, bram18: memStyle === 'bram', lutram: memStyle === 'lutram' });
    }
    bram18 += pe * choice.bram18;
    lutram += pe * choice.lutram;
  }
  const notes = [`thresholds ${2 ** outBits - 1} x ${T} b per channel: ${bram18} RAMB18, ${lutram} LUTRAM`];
  return {
    cycles: thresholdingCycles(shape, pe),
    requantStyle: 'thresholds',
    dsp: 0,
    bram18,
    lut: lutram + pe * outBits * T,
    ff: 32 + pe * outBits * (T + outBits),
    weightMemBits: C * (2 ** outBits - 1) * T,
    fillWords: 1,
    inWords: numVectors * cf,
    outWords: numVectors * cf,
    outWidth: pe * outBits,
    notes,
  };
}

/**
 * Multiply-shift requantiser (ours, not FINN): out = clip((acc * scale_c + bias_c) >> s) with a
 * 16-bit per-channel scale. Same stream and cycles as Thresholding (numVectors * C / PE).
 * Used for outputs wider than 4 bits by default, because FINN's 2^B - 1 thresholds per channel
 * (255 at 8 bits) cost more memory than the weights of a small network; this is how 8-bit
 * accelerators such as the reference paper's requantise. Choose 'thresholds' to get FINN's cost.
 */
export function requantCost(
  shape: ThresholdingShape,
  outBits: number,
  pe: number,
  device: EngineDevice,
  memStyle: BufferMemStyle = 'auto',
  mulStyle: 'auto' | 'lut' | 'dsp' = 'auto',
): EngineCost {
  const { channels: C, numVectors, thresholdBits: T, biasBits } = shape;
  if (!Number.isInteger(pe) || pe < 1 || C % pe !== 0) throw new RangeError(`requant: PE=${pe} does not divide ${C}`);
  const cf = C / pe;
  const scaleBits = 16;
  // The ROM as the generator builds it (rtl/requant.ts); before quantisation the bias is taken as wide as the accumulator.
  const laneBits = requantParamBits(biasBits ?? T);
  const paramWidth = pe * laneBits;
  const mem = resolveWeightMem(memStyle, cf);
  const bram18 = mem === 'bram' ? blockRamRule(device.memoryLibrary, true, ramb18)(paramWidth, cf) : 0;
  const memLuts = mem === 'lutram' ? lutram64(paramWidth, cf) : 0;
  const mul = mulStyle === 'lut' || device.dsp === 0 ? 'lut' : 'dsp';
  const dsp = mul === 'dsp' ? pe * dspPerProduct(T, scaleBits, device.dspMultiplier) : 0;
  const multLuts = mul === 'lut' ? pe * lutMultiplier(T, scaleBits) : 0;
  const f = requantFeatures(shape, outBits, pe, device, memStyle, mulStyle);
  return calibrate({
    cycles: thresholdingCycles(shape, pe),
    requantStyle: 'multiply',
    dsp,
    bram18,
    lut: 50 + pe * (T + scaleBits + outBits) + memLuts + multLuts,
    ff: 32 + 2 * pe * (T + scaleBits),
    weightMemBits: C * laneBits,
    fillWords: 1,
    inWords: numVectors * cf,
    outWords: numVectors * cf,
    outWidth: pe * outBits,
    notes: [
      `multiply-shift requant to ${outBits} b (ours): ${dsp} DSP, params ${mem === 'bram' ? `${bram18} RAMB18` : `${memLuts} LUTRAM`}`,
      biasBits === undefined ? requantBiasBoundNote(T) : `parameter ROM ${cf} x ${paramWidth} b (${biasBits}-b biases of the quantised layer)`,
    ],
  }, device.calibration, 'requant', f.lut, f.ff);
}

/** Why a requantiser's parameter ROM may be narrower than estimated: its biases are not known yet. */
export function requantBiasBoundNote(accumulatorBits: number): string {
  return `bias width taken as the accumulator's (${accumulatorBits} b): parameters not yet quantised, the built ROM's biases are usually narrower`;
}

/**
 * What the synthesis calibration multiplies for the multiply-shift requantiser: product bits
 * (rounding and clipping work on them), output bits, LUT-multiplier bits, parameter bits held in
 * LUTs and the columns of the registered parameter word (romDataRegisterBits); registers: the
 * valid bit, the output word, the channel counter and, for parameters in LUTs, the registered
 * parameter word. The parameter lane is as wide as the ROM the generator builds (the layer's bias
 * width when known, else the accumulator's, as requantCost).
 */
export function requantFeatures(
  { channels: C, thresholdBits: T, biasBits }: ThresholdingShape,
  outBits: number,
  pe: number,
  device: EngineDevice,
  memStyle: BufferMemStyle = 'auto',
  mulStyle: 'auto' | 'lut' | 'dsp' = 'auto',
): { lut: Features; ff: Features } {
  const cf = C / pe;
  const mem = resolveWeightMem(memStyle, cf);
  const mul = mulStyle === 'lut' || device.dsp === 0 ? 'lut' : 'dsp';
  const laneBits = requantParamBits(biasBits ?? T);
  const paramReg = mem === 'lutram' ? romDataRegisterBits(pe * laneBits, cf) : 0;
  // A sum wider than one multiplier input is split over two primitives (rtl/requant.ts vendorProducts): an adder joins the partial products.
  const split = mul === 'dsp' && dspPerProduct(T, 16, device.dspMultiplier) > 1;
  return {
    // paramCols: each registered parameter bit is one column of the table, a function of the channel fold (one LUT6 up to 64 folds).
    // paramBits on 4-input LUTs: a column's mux tree spans the whole power of two of the channel fold (96 folds cost as 128).
    lut: { one: 1, prod: pe * (T + 16), out: pe * outBits, lutMul: mul === 'lut' ? pe * T * 16 : 0, paramBits: mem === 'lutram' ? pe * laneBits * (device.lutInputs === 6 ? cf : 2 ** clog2(cf)) : 0, ...paramColumns(paramReg, cf, device), splitAdd: split ? pe * (T + 16) : 0 },
    // one: out_valid; counter: `cf` as rtl/requant.ts declares it, with its wrap flag.
    ff: { one: 1, out: pe * outBits, counter: wrapCounterFlipFlops(cf), paramReg },
  };
}

/**
 * LUTs of the registered parameter columns. Each column's next value is a function of the
 * channel-fold counter (clog2(CF) + 1 bits) and the handshake and reset (rst, in_valid, out_valid,
 * out_ready). On a 6-input LUT fabric (synth_xilinx: abc maps 7- and 8-input functions onto LUT6s
 * with MUXF7 / MUXF8) the cells show three regimes: at 3 address bits (5-8 folds) the whole
 * 8-input function of each column is one LUT8 (about two LUTs, two MUXF7 and one MUXF8 each);
 * from 4 bits on the next address is shared and each column is one LUT of the address (LUT4-LUT6),
 * at least two LUT6 and a MUXF7 for a LUT7 beyond 64 folds; at 1-2 bits the (at most 14) columns come
 * from a few shared LUTs and the flip-flops' set / reset pins. Other fabrics: one feature for every column.
 * Not covered by the grid: at 6 and 7 bits abc often folds the next-address logic back into the
 * columns (off-grid syntheses: 1.3-3.9 LUTs per column at 64 folds, 3.3 at 96, 8 at 128).
 */
function paramColumns(columns: number, cf: number, device: EngineDevice): Features {
  const addressBits = clog2(cf);
  const regime = device.lutInputs !== 6 ? 'one' : addressBits <= 2 ? 'shallow' : addressBits === 3 ? 'lut8' : 'one';
  return {
    paramCols: regime === 'one' ? columns * (device.lutInputs === 6 ? 2 ** Math.max(0, addressBits - 6) : 1) : 0,
    paramColsLut8: regime === 'lut8' ? columns : 0,
    paramColsShallow: regime === 'shallow' ? columns : 0,
  };
}

/**
 * Flip-flops Yosys (0.23, memory_dff + memory_map) builds for a constant table in logic read at a
 * registered address: the address register is merged into the read port and the table's word is
 * registered instead, one flip-flop per distinct bit column (equal columns share one, constant ones
 * none). A column of `depth` entries is one of 2^depth functions, 2 of them constant; for
 * parameters that look random (the estimate does not know them) the expected count of distinct
 * non-constant columns among `wordBits` is (2^depth - 2) (1 - (1 - 2^-depth)^wordBits): at most 14
 * at 4 channel folds however wide the word, nearly every column from 16 folds on.
 */
export function romDataRegisterBits(wordBits: number, depth: number): number {
  if (depth < 2 || wordBits <= 0) return 0;
  // Beyond 40 folds a repeated column is rarer than 1 in 2^30: every column counts.
  if (depth > 40) return wordBits;
  const functions = 2 ** depth;
  return (functions - 2) * -Math.expm1(wordBits * Math.log1p(-1 / functions));
}

/** 'auto': FINN's thresholds up to 4 output bits, the multiply-shift requantiser above. */
export function usesMultiplyRequant(outBits: number, requant: RequantStyle): boolean {
  return requant === 'multiply' || (requant === 'auto' && outBits > 4);
}

/** Requantisation of a layer's accumulators: thresholds or multiply-shift, as the context says. */
/** What a requantiser instance needs beyond its shape and folding: the accumulator width and the integers. */
export interface RequantRtlData {
  /** Width of an incoming accumulator (signed). */
  inBits: number;
  requant: Requant;
  /** The multiply-shift requantiser's products on this vendor's primitive (src/core/rtl/vendor-mul.ts). */
  vendorMultiplier?: VendorMultiplier;
}

export const thresholdingEngine: HwEngine<SpecOf<'thresholding'>, RequantRtlData> = {
  kind: 'thresholding',
  finnOp: 'Thresholding',
  expCycles: (spec, fold) => thresholdingCycles(spec, fold.pe),
  estimate: (spec, fold, ctx) =>
    usesMultiplyRequant(spec.outBits, ctx.requant)
      ? requantCost(spec, spec.outBits, fold.pe, ctx.device, bufferMemStyle(ctx.memStyle), ctx.mulStyle)
      : thresholdingCost(spec, spec.outBits, fold.pe, ctx.device, bufferMemStyle(ctx.memStyle)),
  auxFold: (spec, { target }) => ({ pe: smallestFolding(spec.channels, target, (d) => thresholdingCycles(spec, d)), simd: 1 }),
  rtl: {
    // The same choice as estimate: the module emitted is the one the estimate charged.
    emit: (spec, fold, ctx, { name, data }) => {
      const params = { name, channels: spec.channels, pe: fold.pe, ...data };
      // The multiply-shift parameters go where requantCost put them (thresholds: the tool's choice,
      // the estimate's per-level memories have no single-memory equivalent in the generated unit).
      if (usesMultiplyRequant(spec.outBits, ctx.requant)) return emitRequant({ ...params, paramMemory: resolveWeightMem(bufferMemStyle(ctx.memStyle ?? 'auto'), spec.channels / fold.pe) });
      return emitThresholds(params);
    },
  },
};
