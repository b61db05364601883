/**
 * Matrix-vector unit (FINN's MVAU): standard conv (after the sliding window), pointwise conv, FC.
 * Thresholds are a separate engine (FINN's standalone_thresholds=True, which the RTL MVU needs).
 *
 * Sources, Xilinx/finn @ 39f0c9a6b:
 * - cycles: src/finn/custom_op/fpgadataflow/matrixvectoractivation.py get_exp_cycles
 * - BRAM: same file, bram_estimation (internal_decoupled memory)
 * - LUT: src/finn/custom_op/fpgadataflow/hls/matrixvectoractivation_hls.py lut_estimation (FINN-R)
 * - DSP: hls/matrixvectoractivation_hls.py dsp_estimation, rtl/matrixvectoractivation_rtl.py
 *   dsp_estimation and the kernels finn-rtllib/mvu/mvu_8sx8u_dsp48.sv, mvu_4sx4u.sv,
 *   mvu_vvu_8sx9_dsp58.sv (see engines/common.ts dspPacking)
 */
import { ramb18, blockRamRule, distributedRamBanks, distributedRamLuts, weightMemory } from '../memory.ts';
import { yosysMemory } from '../yosys-memory.ts';
import type { EngineCost, EngineDevice, LayerBits, MemStyle, MulStyle } from '../types.ts';
import {
  accumulatorBits,
  assertFold,
  dspPacking,
  dspPerProduct,
  lutMultiplier,
  lutProductWidthBits,
  resolveMulStyle,
  resolveWeightMem,
  type Folding,
} from './common.ts';
import { emitMvau, type MvauParams } from '../../rtl/mvau.ts';
import { clog2, wrapCounterFlipFlops } from '../../rtl/verilog.ts';
import type { HwEngine, SpecOf } from './contract.ts';
import { calibrate, type Features } from '../calibration.ts';

export interface MvauShape {
  /** Matrix width: k*k*Cin for a conv, input features for FC. */
  mw: number;
  /** Matrix height: output channels / features. */
  mh: number;
  /** Input vectors per frame: Hout*Wout for a conv, 1 for FC. */
  numVectors: number;
  /** Adds a per-output bias before the output (rtl/mvau.ts `bmem`): the last layer, whose logits have no requantiser. */
  bias?: boolean;
}

export interface MvauOptions {
  mulStyle?: MulStyle;
  memStyle?: MemStyle;
}

/**
 * Where the weights go: the layer's memory style, 'auto' resolved by WMEM depth. The estimate
 * charges this placement and the generator states it on the memory (`ram_style`), so synthesis
 * builds what was estimated (docs/decisions.md, "Memory placement").
 */
export function mvauWeightMemory({ mw, mh }: Pick<MvauShape, 'mw' | 'mh'>, { pe, simd }: Folding, memStyle: MemStyle = 'auto'): 'bram' | 'lutram' | 'uram' {
  return memStyle === 'uram' ? 'uram' : resolveWeightMem(memStyle, (mw * mh) / (pe * simd));
}

/** FINN: exp_cycles = (MH/PE) * (MW/SIMD) * prod(numInputVectors). */
export function mvauCycles({ mw, mh, numVectors }: MvauShape, { pe, simd }: Folding): number {
  return (mh / pe) * (mw / simd) * numVectors;
}

export function mvauCost(shape: MvauShape, bits: LayerBits, fold: Folding, device: EngineDevice, opts: MvauOptions = {}): EngineCost {
  const { mw, mh, numVectors } = shape;
  const { pe, simd } = fold;
  assertFold('MVAU', mh, pe, 'PE');
  assertFold('MVAU', mw, simd, 'SIMD');
  const W = bits.weightBits;
  const A = bits.actBits;
  const notes: string[] = [];

  const cycles = mvauCycles(shape, fold);

  // Weight memory: WMEM words of PE*SIMD*W bits.
  const wmem = (mw * mh) / (pe * simd);
  const memWidth = pe * simd * W;
  const mem = mvauWeightMemory(shape, fold, opts.memStyle);
  const { bram18, lutramLuts, uram, note } = weightMemory(memWidth, wmem, mem, blockRamRule(device.memoryLibrary, true, ramb18));
  notes.push(note);

  // Multipliers.
  const mul = resolveMulStyle(opts.mulStyle ?? 'auto', W, A, device);
  let dsp = 0;
  let dspLanes = 1;
  if (mul === 'dsp') {
    if (device.dspType === 'DSP58' && W <= 8 && A <= 9) {
      dsp = pe * Math.ceil(simd / 3); // mvu_vvu_8sx9_dsp58: 3-element dot product per DSP58
      notes.push('DSP58: PE*ceil(SIMD/3) (mvu_vvu_8sx9_dsp58)');
    } else {
      const packing = dspPacking(W, A, device);
      // PE 1 has no lanes to pack: the generator writes the plain product.
      if (packing.lanes > 1 && pe > 1) {
        dspLanes = Math.min(packing.lanes, pe);
        dsp = (Math.ceil(pe / packing.lanes) - (device.dspType === 'DSP48E1' && loneLaneInLuts(pe, packing.lanes, W, A) ? 1 : 0)) * simd;
      } else {
        dsp = pe * simd * dspPerProduct(W, A, device.dspMultiplier);
      }
      notes.push(packing.note);
    }
  }

  // FINN-R LUT model: 300 + 1.1 * PE * (mult + adder tree + accumulator) (+ LUTRAM weights).
  const accBits = accumulatorBits(mw, W, A, bits.actSigned);
  const loneLaneLuts = dspLanes > 1 && device.dspType === 'DSP48E1' && loneLaneInLuts(pe, dspLanes, W, A) ? (simd * lutMultiplier(W, A)) / pe : 0;
  const multLuts = mul === 'lut' ? simd * lutMultiplier(W, A) : loneLaneLuts;
  const adderLuts = (W + A) * (2 * simd - 1);
  // A bias (FINN keeps it in the thresholds): an adder and an output register per PE lane (ours).
  const biasBits = shape.bias ? pe * accBits : 0;
  if (shape.bias) notes.push('adds the bias (last layer): one adder and output register per PE lane');
  const lut = Math.floor(300 + 1.1 * pe * (multLuts + adderLuts + accBits) + biasBits) + lutramLuts;

  // FF: FINN has no FF estimate. Structural count of the datapath registers (ours).
  const ff = 64 + simd * A + pe * simd * W + 2 * pe * accBits + (mul === 'lut' ? pe * simd * (W + A) : 0) + biasBits;

  const f = mvauFeatures(shape, bits, fold, device, opts);
  return calibrate({
    cycles,
    dsp,
    ...(dspLanes > 1 ? { dspLanes } : {}),
    bram18,
    ...(uram > 0 ? { uram } : {}),
    lut,
    ff,
    weightMemBits: mw * mh * W,
    fillWords: mw / simd,
    inWords: numVectors * (mw / simd),
    outWords: numVectors * (mh / pe),
    outWidth: pe * accBits,
    notes,
  }, device.calibration, 'mvau', f.lut, f.ff);
}

/**
 * A last, partial group of one lane: its product is used only S = W + A bits wide, and Yosys 0.23
 * `synth_xilinx` maps a product under 9 bits to LUTs (mul2dsp DSP_Y_MINWIDTH=9): W4A4 PE 4 packs
 * lanes 0-2 on a DSP48E1 and builds lane 3's product in LUTs (the Xilinx grid's
 * mvau-b4-c8-k1-o8-pe4-simd1: 1 DSP48E1).
 */
export function loneLaneInLuts(pe: number, lanes: number, W: number, A: number): boolean {
  return pe % lanes === 1 && W + A < 9;
}

/**
 * What the synthesis calibration (calibration.ts) multiplies for an MVAU, as rtl/mvau.ts builds it
 * and Yosys 0.23 maps it. LUT: `dotAdd`, the carry-save rows of each lane's sum (Yosys' alumacc
 * merges the SIMD products and the accumulator into one $macc, maccmap reduces SIMD + 1 operands
 * with SIMD - 1 rows of full adders), `dotAddLevels`, those rows times the tree's ceil(log2(SIMD + 1))
 * levels, and `acc` (the final adder); LUT-multiplier bits; `romLuts`,
 * the weight ROM in logic (one LUT per word bit and 2^k words: LUT6 on Xilinx, LUT4 on Gowin /
 * Anlogic); `ibufRam` / `ibufMux`, the input double buffer in distributed RAM and its read
 * multiplexer; `counters`, the fold counters and weight address (with their registered wrap
 * flags); `bias`, a last layer's bias adder and table. Registers: the pipeline's weight word (only
 * for a ROM in logic: a block RAM registers it inside), activation word, accumulators, counters,
 * `bias` (the output word and fold index a bias needs) and `one` (valid / bank flags).
 */
export function mvauFeatures({ mw, mh, bias }: MvauShape, bits: LayerBits, { pe, simd }: Folding, device: EngineDevice, opts: MvauOptions = {}): { lut: Features; ff: Features } {
  const W = bits.weightBits;
  const A = bits.actBits;
  const mul = resolveMulStyle(opts.mulStyle ?? 'auto', W, A, device);
  const mem = mvauWeightMemory({ mw, mh }, { pe, simd }, opts.memStyle);
  const acc = accumulatorBits(mw, W, A, bits.actSigned);
  // DSP48E1 products: packed lanes are taken apart in LUTs (`unpack`); lone products per DSP are
  // summed in the DSPs' post-adders (`dspDotAdd`), and with SIMD 1 Yosys (xilinx_dsp) also pulls
  // the accumulator into the DSP's P register (`dspAcc`: no LUTs, no flip-flops; grid rows
  // W4 PE 1 SIMD 1: 43 FF = flags, counters, activation; W8 PE 1 SIMD 4: the 23 accumulator FFs stay).
  const lanes = mul === 'dsp' && device.dspType === 'DSP48E1' ? Math.min(dspPacking(W, A, device).lanes, pe) : 0;
  // (pe 1: lanes 1, the plain product, as mvauCost.)
  const absorbed = lanes === 1;
  // With a bias the sum also feeds the output word (sum + bias), so the accumulator stays out of the DSP's P register.
  const accInDsp = absorbed && simd === 1 && !bias;
  const words = (mw * mh) / (pe * simd);
  const wordBits = pe * simd * W;
  const romInLogic = mem === 'lutram';
  // A ROM deeper than one block's shape is split in depth (memory_libmap): its read is multiplexed
  // over the slices, one 2:1 step per word bit and further slice, at a registered slice select.
  const slices = mem === 'bram' && device.memoryLibrary ? yosysMemory(device.memoryLibrary, words, wordBits, true, 'block').slices : 1;
  const sf = mw / simd;
  // wsf, sf ([clog2(SF):0]), nf, waddr as declared in rtl/mvau.ts; the registers add each one's wrap flag.
  const nf = mh / pe;
  const counts = [sf, sf, nf, words];
  const counters = counts.reduce((bits, n) => bits + clog2(n) + 1, 0);
  return {
    lut: {
      one: 1,
      lanes: pe * simd * (W + A),
      dotAdd: absorbed ? 0 : pe * (simd - 1) * acc,
      // The same rows weighted by the tree's levels: mapping for depth first (Gowin's abc -lut 4:8 above all),
      // a deeper carry-save tree costs more per adder bit (session 13: CV and off-grid probes, docs/hardware-model.md).
      dotAddLevels: absorbed ? 0 : pe * (simd - 1) * acc * Math.ceil(Math.log2(simd + 1)),
      dspDotAdd: absorbed ? pe * (simd - 1) * acc : 0,
      lutMul: mul === 'lut' ? pe * simd * W * A : lanes > 1 && loneLaneInLuts(pe, lanes, W, A) ? simd * W * A : 0,
      lutMulWide: mul === 'lut' ? lutProductWidthBits(pe * simd * W * A, W, A, device) : 0,
      acc: accInDsp ? 0 : pe * acc,
      dspAcc: accInDsp ? pe * acc : 0,
      unpack: lanes > 1 ? pe * simd * (W + A) : 0,
      // A constant table Yosys builds in logic, not in LUTRAM: every word bit a function of the address.
      romLuts: romInLogic ? wordBits * Math.ceil(words / 2 ** device.lutInputs) : 0,
      ibufRam: distributedRamLuts(2 * sf, simd * A, device.lutInputs),
      // One 2:1 step per word bit for each further RAM of words (Xilinx MUXF7/F8 take some; the fit says how many).
      ibufMux: simd * A * (distributedRamBanks(2 * sf, device.lutInputs) - 1),
      counters,
      romSliceMux: wordBits * (slices - 1),
      // The bias (last layer): an adder per lane and its table of NF words in logic, read at the registered fold.
      bias: bias ? pe * acc * (1 + Math.ceil(nf / 2 ** device.lutInputs)) : 0,
    },
    // With a bias the output word is no longer the accumulator's copy (its own register), and the fold index is registered.
    ff: { one: 1, counters: counts.reduce((regs, n) => regs + wrapCounterFlipFlops(n), 0), romSliceSelect: slices > 1 ? clog2(slices) : 0, weightReg: romInLogic ? wordBits : 0, actReg: simd * A, acc: accInDsp ? 0 : pe * acc, dspAcc: accInDsp ? pe * acc : 0, bias: bias ? pe * acc + clog2(nf) + 1 : 0 },
  };
}

/** What an MVAU instance holds beyond its shape and folding: integer weights and widths. */
export type MvauRtlData = Omit<MvauParams, 'name' | 'mw' | 'mh' | 'pe' | 'simd'>;

export const mvauEngine: HwEngine<SpecOf<'mvau'>, MvauRtlData> = {
  kind: 'mvau',
  finnOp: 'MVAU',
  expCycles: (spec, fold) => mvauCycles(spec, fold),
  estimate: (spec, fold, ctx) => mvauCost(spec, ctx.bits, fold, ctx.device, { mulStyle: ctx.mulStyle, memStyle: ctx.memStyle }),
  rtl: {
    emit: (spec, fold, ctx, { name, data }) => {
      if (data.weights.length !== spec.mw * spec.mh) throw new RangeError(`${name}: ${data.weights.length} weights for a ${spec.mh} x ${spec.mw} MVAU`);
      const weightMemory = mvauWeightMemory(spec, fold, ctx.memStyle);
      return emitMvau({ name, mw: spec.mw, mh: spec.mh, pe: fold.pe, simd: fold.simd, weightMemory, ...data });
    },
  },
};
