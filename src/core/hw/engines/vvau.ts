/**
 * Vector-vector unit (FINN's VVAU): depthwise convolution after a depthwise sliding window.
 * PE folds channels, SIMD folds the k*k window.
 *
 * Sources, Xilinx/finn @ 39f0c9a6b:
 * - cycles: src/finn/custom_op/fpgadataflow/vectorvectoractivation.py get_exp_cycles
 * - BRAM: same file, bram_estimation (8/16/32-bit port widths, <= 128 deep -> LUTRAM under 'auto')
 * - LUT: hls/vectorvectoractivation_hls.py lut_estimation (FINN-R constants)
 * - DSP: hls/vectorvectoractivation_hls.py dsp_estimation is PE*ceil((W+A)/48), which ignores
 *   SIMD; the hardware has PE*SIMD multipliers with no shared operand, so we count PE*SIMD
 *   products (DSP58: PE*ceil(SIMD/3), rtl/vectorvectoractivation_rtl.py).
 */
import { ramb18NoParity, blockRamRule, weightMemory } from '../memory.ts';
import type { EngineCost, EngineDevice, LayerBits, MemStyle } from '../types.ts';
import {
  accumulatorBits,
  assertFold,
  dspPerProduct,
  lutMultiplier,
  lutProductWidthBits,
  resolveMulStyle,
  resolveWeightMem,
  type Folding,
} from './common.ts';
import { emitVvau, type VvauParams } from '../../rtl/vvau.ts';
import { clog2, wrapCounterFlipFlops } from '../../rtl/verilog.ts';
import type { HwEngine, SpecOf } from './contract.ts';
import { calibrate, type Features } from '../calibration.ts';
import type { MvauOptions } from './mvau.ts';

export interface VvauShape {
  channels: number;
  kernel: [number, number];
  /** Output feature-map dims [H, W]. */
  outDim: [number, number];
}

/** FINN: exp_cycles = ((Channels * k_h * k_w) / PE / SIMD) * dim_h * dim_w. */
export function vvauCycles({ channels, kernel, outDim }: VvauShape, { pe, simd }: Folding): number {
  return ((channels * kernel[0] * kernel[1]) / pe / simd) * (outDim[0] * outDim[1]);
}

/** Where the weights go (as mvauWeightMemory): the estimate charges it, the generator states it. */
export function vvauWeightMemory({ channels, kernel }: Pick<VvauShape, 'channels' | 'kernel'>, { pe, simd }: Folding, memStyle: MemStyle = 'auto'): 'bram' | 'lutram' | 'uram' {
  return memStyle === 'uram' ? 'uram' : resolveWeightMem(memStyle, (kernel[0] * kernel[1] * channels) / pe / simd);
}

export function vvauCost(shape: VvauShape, bits: LayerBits, fold: Folding, device: EngineDevice, opts: MvauOptions = {}): EngineCost {
  const { channels: C, kernel, outDim } = shape;
  const k2 = kernel[0] * kernel[1];
  const { pe, simd } = fold;
  assertFold('VVAU', C, pe, 'PE');
  assertFold('VVAU', k2, simd, 'SIMD');
  const W = bits.weightBits;
  const A = bits.actBits;
  const pixels = outDim[0] * outDim[1];
  const notes: string[] = [];

  const cycles = vvauCycles(shape, fold);

  const wmem = (k2 * C) / pe / simd;
  const memWidth = simd * pe * W;
  const mem = vvauWeightMemory(shape, fold, opts.memStyle);
  const { bram18, lutramLuts, uram, note } = weightMemory(memWidth, wmem, mem, blockRamRule(device.memoryLibrary, true, ramb18NoParity));
  notes.push(note);

  const mul = resolveMulStyle(opts.mulStyle ?? 'auto', W, A, device);
  let dsp = 0;
  if (mul === 'dsp') {
    if (device.dspType === 'DSP58' && W <= 8 && A <= 9) {
      dsp = pe * Math.ceil(simd / 3);
      notes.push('DSP58: PE*ceil(SIMD/3) (rtl/vectorvectoractivation_rtl.py)');
    } else {
      dsp = pe * simd * dspPerProduct(W, A, device.dspMultiplier);
      notes.push('PE*SIMD products, one per DSP (no shared operand to pack; FINN HLS estimate ignores SIMD)');
    }
  }

  const accBits = accumulatorBits(k2, W, A, bits.actSigned);
  const multLuts = mul === 'lut' ? simd * lutMultiplier(W, A) : 0;
  const adderLuts = (W + A) * (2 * simd - 1);
  const lut = Math.floor(300 + 1.1 * pe * (multLuts + adderLuts + accBits)) + lutramLuts;
  const ff = 64 + pe * simd * (A + W) + 2 * pe * accBits + (mul === 'lut' ? pe * simd * (W + A) : 0);

  const f = vvauFeatures(shape, bits, fold, device, opts);
  return calibrate({
    cycles,
    dsp,
    bram18,
    ...(uram > 0 ? { uram } : {}),
    lut,
    ff,
    weightMemBits: k2 * C * W,
    fillWords: k2 / simd,
    inWords: pixels * (k2 / simd) * (C / pe),
    outWords: pixels * (C / pe),
    outWidth: pe * accBits,
    notes,
  }, device.calibration, 'vvau', f.lut, f.ff);
}

/**
 * What the synthesis calibration multiplies for a VVAU (as mvauFeatures, one product per lane).
 * FF `weightReg` counts the registered weight word only for a ROM in LUTs: Yosys moves the
 * register into a block RAM's synchronous read port (Xilinx grid rows in block RAM: 19-20 FF at
 * PE 1 and 4, against 32-50 with the ROM in LUTs at PE 4).
 */
export function vvauFeatures({ channels: C, kernel }: VvauShape, bits: LayerBits, { pe, simd }: Folding, device: EngineDevice, opts: MvauOptions = {}): { lut: Features; ff: Features } {
  const W = bits.weightBits;
  const A = bits.actBits;
  const k2 = kernel[0] * kernel[1];
  const mul = resolveMulStyle(opts.mulStyle ?? 'auto', W, A, device);
  const mem = vvauWeightMemory({ channels: C, kernel }, { pe, simd }, opts.memStyle);
  const acc = accumulatorBits(k2, W, A, bits.actSigned);
  // One product per DSP48E1: Yosys (xilinx_dsp) pulls the accumulator into the DSP (`dspAcc`).
  const absorbed = mul === 'dsp' && device.dspType === 'DSP48E1';
  // k and waddr as declared in rtl/vvau.ts; the registers add each one's wrap flag.
  const words = (C / pe) * k2;
  const counterBits = clog2(k2) + 1 + clog2(words) + 1;
  return {
    lut: { one: 1, lanes: pe * simd * (W + A), lutMul: mul === 'lut' ? pe * simd * W * A : 0, lutMulWide: mul === 'lut' ? lutProductWidthBits(pe * simd * W * A, W, A, device) : 0, acc: absorbed ? 0 : pe * acc, dspAcc: absorbed ? pe * acc : 0, romBits: mem === 'lutram' ? k2 * C * W : 0, counters: counterBits },
    ff: { one: 1, weightReg: mem === 'lutram' ? pe * simd * W : 0, actReg: pe * simd * A, acc: absorbed ? 0 : pe * acc, dspAcc: absorbed ? pe * acc : 0, counters: wrapCounterFlipFlops(k2) + wrapCounterFlipFlops(words) },
  };
}

/** What a VVAU instance holds beyond its shape and folding: integer weights and widths. */
export type VvauRtlData = Omit<VvauParams, 'name' | 'channels' | 'kernel' | 'pe' | 'simd'>;

export const vvauEngine: HwEngine<SpecOf<'vvau'>, VvauRtlData> = {
  kind: 'vvau',
  finnOp: 'VVAU',
  expCycles: (spec, fold) => vvauCycles(spec, fold),
  estimate: (spec, fold, ctx) => vvauCost(spec, ctx.bits, fold, ctx.device, { mulStyle: ctx.mulStyle, memStyle: ctx.memStyle }),
  rtl: {
    emit: (spec, fold, ctx, { name, data }) =>
      emitVvau({ name, channels: spec.channels, kernel: spec.kernel, pe: fold.pe, simd: fold.simd, weightMemory: vvauWeightMemory(spec, fold, ctx.memStyle), ...data }),
  },
};
