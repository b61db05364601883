/**
 * Sliding-window generator, plus the two small stream reshapers FINN puts in front of or instead
 * of it: FMPadding (FINN pads in a separate engine) and DownSampler (1x1 conv with stride > 1).
 *
 * The default-style window is counted as edgefold generates it (src/core/rtl/sliding-window.ts:
 * padding inside, a line buffer of k_h rows, the writer overwriting a row pixel by pixel behind
 * the reader): its cycles (generatedWindowCycles, measured in Icarus Verilog) and its buffer
 * (lineBufferShape, the emitter's own function). The parallel style and dilated windows are not
 * generated and keep FINN's counts.
 *
 * Sources, Xilinx/finn @ 39f0c9a6b:
 * - src/finn/custom_op/fpgadataflow/rtl/convolutioninputgenerator_rtl.py: get_buffer_depth,
 *   get_exp_cycles, bram_estimation, lut_estimation, select_impl_style
 * - src/finn/custom_op/fpgadataflow/convolutioninputgenerator.py: get_1d_conv_attrs_normalized,
 *   default ram_style "distributed"
 * - src/finn/custom_op/fpgadataflow/fmpadding.py get_exp_cycles
 * - src/finn/custom_op/fpgadataflow/downsampler.py get_exp_cycles
 * Departure: FINN's estimate uses whatever ram_style is set (default distributed = LUTs, with
 * 'auto' counted as BRAM). Our 'auto' picks whichever of LUTRAM and BRAM is the smaller share of
 * the device, and we always report the line buffer's cost and FF. The choice is the cost's
 * `bufferMemory`, which the generator states on the buffer (`ram_style`), as FINN's ram_style is
 * obeyed by Vivado (docs/decisions.md "The line buffer's placement is stated").
 */
import { blockRamRule, distributedRamBanks, ramb18, swgRamb18 } from '../memory.ts';
import type { BufferMemStyle, EngineCost, EngineDevice, EngineKind } from '../types.ts';
import { bufferMemStyle, cheaperMemory } from './common.ts';
import { emitSlidingWindow, lineBufferShape } from '../../rtl/sliding-window.ts';
import { calibrate, calibratedAway, type Features } from '../calibration.ts';
import type { MemoryLibrary } from '../yosys-memory.ts';
import { smallestFolding, type AuxFoldContext, type EngineFold, type HwEngine, type SpecOf } from './contract.ts';

export interface SlidingWindowShape {
  channels: number;
  ifmDim: [number, number];
  ofmDim: [number, number];
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  depthwise: boolean;
  /** [top, left, bottom, right] padding included in ifmDim (the generated window pads inside); absent: none. */
  pads?: [number, number, number, number];
}

export interface SlidingWindowFold {
  simd: number;
  /** FINN's parallel_window mode (M*k*k outputs per cycle); forced for 1x1 kernels. */
  parallelWindow?: boolean;
}

export function slidingWindowStyle(shape: SlidingWindowShape, fold: SlidingWindowFold): 'default' | 'parallel' {
  const [kh, kw] = shape.kernel;
  return fold.parallelWindow || (kh === 1 && kw === 1) ? 'parallel' : 'default';
}

/** FINN get_buffer_depth (mmv_in = mmv_out = 1 in the default style). */
export function slidingWindowBufferDepth(shape: SlidingWindowShape, fold: SlidingWindowFold): number {
  const [kh, kw] = shape.kernel;
  const w = shape.ifmDim[1];
  const [sh, sw] = shape.stride;
  const [dh, dw] = shape.dilation;
  const cf = shape.channels / fold.simd;
  if (slidingWindowStyle(shape, fold) === 'default') {
    const min = ((kh - 1) * dh * w + (kw - 1) * dw + 1) * cf;
    return min + Math.max(0, (sw - 1 - kh * kw) * cf) + Math.max(0, ((sh - 1) * w - kh * kw) * cf);
  }
  return ((kh - 1) * dh * w + (kw - 1) * dw) * cf + 1 + 1;
}

/** FINN get_exp_cycles of the RTL sliding window (the count for windows edgefold does not generate). */
export function finnSlidingWindowCycles(shape: SlidingWindowShape, fold: SlidingWindowFold): number {
  const cf = shape.channels / fold.simd;
  const [ifmH, ifmW] = shape.ifmDim;
  if (slidingWindowStyle(shape, fold) === 'parallel') return ifmH * ifmW * cf + 2;
  const [ofmH, ofmW] = shape.ofmDim;
  const [kh, kw] = shape.kernel;
  const [sh, sw] = shape.stride;
  const [dh, dw] = shape.dilation;
  if (ifmH === 1 || ifmW === 1) {
    // 1-D: normalise to [1, D] (get_1d_conv_attrs_normalized swaps when IFMDim[1] == 1).
    const swap = ifmW === 1;
    const oW = swap ? ofmH : ofmW;
    const kW = swap ? kh : kw;
    const sW = swap ? sh : sw;
    if (shape.depthwise) return Math.trunc(oW * kW * cf + cf * (kW - 1) * (sW - 1) - (kW - 1) + 2);
    return Math.trunc(oW * kW * cf + 2);
  }
  const bufferMin = ((kh - 1) * dh * ifmW + (kw - 1) * dw + 1) * cf;
  const writeBlock = ofmW * kw * kh * cf;
  const readBlock = sw * ifmW * cf;
  let maxCycles = Math.max(writeBlock, readBlock);
  if (shape.depthwise) maxCycles += ofmW * (sw - 1) * (cf - 1);
  let cycles = bufferMin + ofmH * maxCycles;
  if (shape.depthwise) cycles += (sh - 1) * ifmW * cf;
  return Math.trunc(cycles);
}

/** The generated window builds this one: default style, no dilation. */
function isGenerated(shape: SlidingWindowShape, fold: SlidingWindowFold): boolean {
  return slidingWindowStyle(shape, fold) === 'default' && shape.dilation[0] === 1 && shape.dilation[1] === 1;
}

/** The unpadded input [H, W] and the padding of a window spec (ifmDim includes the padding). */
function unpadded(shape: SlidingWindowShape): { inDim: [number, number]; pads: [number, number, number, number] } {
  const pads = shape.pads ?? [0, 0, 0, 0];
  return { inDim: [shape.ifmDim[0] - pads[0] - pads[2], shape.ifmDim[1] - pads[1] - pads[3]], pads };
}

/**
 * Pixel index (row * W + column, rows counted from the first frame's) of the last input pixel the
 * first window of output row `oy` needs, in the frame starting at row `frameRow`.
 */
function lastNeededPixel(shape: SlidingWindowShape, oy: number, frameRow: number): number {
  const { inDim: [h, w], pads: [pt, pl] } = unpadded(shape);
  const [kh, kw] = shape.kernel;
  return (frameRow + Math.min(oy * shape.stride[0] - pt + kh - 1, h - 1)) * w + Math.min(kw - 1 - pl, w - 1);
}

/**
 * Steady-state cycles per frame of the generated window (src/core/rtl/sliding-window.ts) at full
 * rate, derived from its RTL and measured in Icarus Verilog (src/core/rtl/sliding-window.test.ts):
 * the reader emits OH*OW*kh*kw*CF words; at the end of each output row it has let the writer
 * overwrite only the row slots above its window and, in the rows only that output row uses, the
 * columns left of its last window, so the next row's first window waits for the writer to go from
 * that point to the window's last pixel, CF cycles a pixel (no wait when s_h = 1 and the row is
 * wider than the kernel). The writer takes H*W*CF cycles a frame, which bounds it when the
 * windows overlap little (stride near the kernel). The first frame's line-buffer fill is latency
 * (the cost's fillWords), not interval.
 */
export function generatedWindowCycles(shape: SlidingWindowShape, fold: SlidingWindowFold): number {
  const cf = shape.channels / fold.simd;
  const { inDim: [h, w], pads: [pt, pl] } = unpadded(shape);
  const [oh, ow] = shape.ofmDim;
  const [kh, kw] = shape.kernel;
  const [sh, sw] = shape.stride;
  const lastLeft = (ow - 1) * sw - pl;
  let waitPixels = 0;
  for (let oy = 0; oy < oh; oy++) {
    const top = oy * sh - pt;
    const lowest = Math.max(top, 0);
    // Where the writer stops at the end of the row: at row lowest + kh, past the columns left of the
    // last window when that row only replaces one this output row alone uses.
    const stop = (lowest + kh) * w + (lowest < top + sh ? Math.min(w, Math.max(0, lastLeft)) : 0);
    const next = oy + 1 < oh ? lastNeededPixel(shape, oy + 1, 0) : lastNeededPixel(shape, 0, h);
    waitPixels += Math.max(0, next - stop + 1);
  }
  return Math.max(cf * (oh * ow * kh * kw + waitPixels), h * w * cf);
}

/** Cycles per frame the estimator charges a window: the generated one's where it is generated, FINN's otherwise. */
export function slidingWindowCycles(shape: SlidingWindowShape, fold: SlidingWindowFold): number {
  return isGenerated(shape, fold) ? generatedWindowCycles(shape, fold) : finnSlidingWindowCycles(shape, fold);
}

/** The line buffer the generator builds for this window: the emitter's lineBufferShape at the unpadded width. */
export function slidingWindowBuffer(shape: SlidingWindowShape, fold: SlidingWindowFold, actBits: number): { rows: number; depth: number; width: number } {
  return lineBufferShape({ width: unpadded(shape).inDim[1], kernelH: shape.kernel[0], channelFold: shape.channels / fold.simd, wordBits: fold.simd * actBits });
}

export function slidingWindowCost(
  shape: SlidingWindowShape,
  actBits: number,
  fold: SlidingWindowFold,
  device: EngineDevice,
  memStyle: BufferMemStyle = 'auto',
): EngineCost {
  const { channels: C, kernel, ifmDim, ofmDim, dilation } = shape;
  const { simd } = fold;
  if (!Number.isInteger(simd) || simd < 1 || C % simd !== 0) throw new RangeError(`sliding window: SIMD=${simd} does not divide ${C}`);
  const style = slidingWindowStyle(shape, fold);
  const [kh, kw] = kernel;
  const cf = C / simd;
  const width = simd * actBits;
  const depth = slidingWindowBufferDepth(shape, fold);
  const notes: string[] = [`${style} style, buffer ${depth} x ${width} b`];

  // Default style, no dilation: the buffer the generator builds (lineBufferShape: k_h rows of the
  // unpadded width) in RAMB18 aspect ratios (16K x 1 ... 2K x 9, 1K x 18, 512 x 36), which is how
  // Yosys 0.23 mapped the line buffers on all three families (docs/hardware-model.md "BRAM against
  // synthesis"), or in LUTRAM by FINN's lut_estimation (buffer_width * ceil(depth / 38)). Parallel
  // style and dilated windows (not generated): FINN's bram_estimation and lut_estimation.
  let bramOption: number;
  let lutOption = width * Math.ceil(depth / 38);
  if (isGenerated(shape, fold)) {
    const built = slidingWindowBuffer(shape, fold, actBits);
    // On a device with a Yosys memory library, the blocks Yosys builds for a stated block placement (Anlogic mixes 9- and 32-Kbit blocks).
    bramOption = blockRamRule(device.memoryLibrary, false, ramb18)(built.width, built.depth);
    lutOption = built.width * Math.ceil(built.depth / 38);
    notes.push(`generated buffer ${built.depth} x ${built.width} b (${built.rows} rows)`);
  } else {
    const bramCount = style === 'default' ? 1 : ifmDim[0] === 1 || ifmDim[1] === 1 ? 0 : kh - 1;
    const kernelWidth = (kw - 1) * dilation[1] + 1;
    const bramDepth = style === 'default' ? depth : ifmDim[1] - kernelWidth + ifmDim[1] * (dilation[0] - 1);
    bramOption = bramDepth > 0 ? swgRamb18(width, bramDepth, bramCount) : 0;
  }
  const mem = memStyle === 'auto' ? cheaperMemory(lutOption, bramOption, device) : memStyle;
  const bram18 = mem === 'bram' ? bramOption : 0;
  const lut = 300 + (mem === 'lutram' ? lutOption : 0);
  notes.push(mem === 'bram' ? `line buffer in ${bram18} RAMB18` : `line buffer in ${lutOption} LUTRAM`);
  const outWidth = style === 'parallel' ? width * kh * kw : width;
  const ff = 64 + outWidth + (style === 'parallel' ? width * kh * kw : width) + 4 * Math.ceil(Math.log2(depth + 1));

  const f = slidingWindowFeatures(shape, actBits, fold, mem, device.memoryLibrary);
  const ofmPixels = ofmDim[0] * ofmDim[1];
  // FINN's buffer minimum; in the padded stream's words it is also where the generated window's
  // first window is complete (its last pixel, padded row k_h - 1, column k_w - 1).
  const bufferMin =
    style === 'default'
      ? ((kh - 1) * dilation[0] * ifmDim[1] + (kw - 1) * dilation[1] + 1) * cf
      : ((kh - 1) * dilation[0] * ifmDim[1] + (kw - 1) * dilation[1]) * cf + 1;
  return calibrate(
    {
      cycles: slidingWindowCycles(shape, fold),
      dsp: 0,
      bram18,
      lut,
      ff,
      bufferMemory: mem,
      weightMemBits: 0,
      fillWords: bufferMin,
      inWords: ifmDim[0] * ifmDim[1] * cf,
      outWords: style === 'parallel' ? ofmPixels * cf : ofmPixels * kh * kw * cf,
      outWidth,
      notes,
    },
    device.calibration,
    'swg',
    f.lut,
    f.ff,
  );
}

/**
 * What the synthesis calibration multiplies for a sliding window as the generator builds it
 * (src/core/rtl/sliding-window.ts: padding inside, the line buffer of lineBufferShape): the word
 * width (output register and its zero-padding mux), the line-buffer bits when the buffer is in
 * LUTs, the buffer's address bits (the address arithmetic), the map counters; registers: the
 * output word, the counters. The fit covers the padding logic, so a calibrated family charges
 * FMPadding nothing apart (fmPaddingCost). The fit in calibration.json was made on the lean
 * window with its placement stated (session 11), so `lutBits` prices the buffers kept in LUTs.
 * On Gowin (`library` 'gowin') a buffer in LUTs also counts `lutBanks`, its 16-word RAM16SDP4
 * banks: each adds its write-enable decode and the LUT4 leaves (mostly LUT1) of the wide-mux
 * trees abc -lut 4:8 builds for the bank select, a cost per bank whatever the word width (fitting
 * rows: about 15 LUT1 per bank at 16 and 32 bits). Anlogic's 16-word DRAM and Xilinx's 32 / 64-word
 * LUT RAM showed no such term in cross-validation (lutBits covers their select).
 */
export function slidingWindowFeatures(shape: SlidingWindowShape, actBits: number, fold: SlidingWindowFold, mem: 'bram' | 'lutram', library?: MemoryLibrary): { lut: Features; ff: Features } {
  const width = (slidingWindowStyle(shape, fold) === 'parallel' ? shape.kernel[0] * shape.kernel[1] : 1) * fold.simd * actBits;
  const { depth } = slidingWindowBuffer(shape, fold, actBits);
  const addr = Math.ceil(Math.log2(depth + 1));
  const counters = Math.ceil(Math.log2(shape.ifmDim[0] + 1)) + Math.ceil(Math.log2(shape.ifmDim[1] + 1)) + Math.ceil(Math.log2(shape.channels / fold.simd + 1));
  return {
    lut: { one: 1, width, lutBits: mem === 'lutram' ? depth * width : 0, addr, counters, lutBanks: mem === 'lutram' && library === 'gowin' ? distributedRamBanks(depth, 4) : 0 },
    ff: { one: 1, width, counters },
  };
}

export interface FmPaddingShape {
  channels: number;
  imgDim: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
}

/** FINN fmpadding.py: exp_cycles = (C / SIMD) * padded_H * padded_W. */
export function fmPaddingCycles({ channels, imgDim, pads }: FmPaddingShape, simd: number): number {
  return (channels / simd) * (imgDim[0] + pads[0] + pads[2]) * (imgDim[1] + pads[1] + pads[3]);
}

/** FMPadding; FINN has no resource estimate for it. A family with a calibrated window charges it there (the generator pads inside the window). */
export function fmPaddingCost(shape: FmPaddingShape, actBits: number, simd: number, device?: EngineDevice): EngineCost {
  const { channels: C, imgDim, pads } = shape;
  if (C % simd !== 0) throw new RangeError(`FMPadding: SIMD=${simd} does not divide ${C}`);
  const oh = imgDim[0] + pads[0] + pads[2];
  const ow = imgDim[1] + pads[1] + pads[3];
  const width = simd * actBits;
  return calibratedAway(
    {
      cycles: fmPaddingCycles(shape, simd),
      dsp: 0,
      bram18: 0,
      lut: 40 + width, // ours: output mux + counters
      ff: 40 + width,
      weightMemBits: 0,
      fillWords: 1,
      inWords: imgDim[0] * imgDim[1] * (C / simd),
      outWords: oh * ow * (C / simd),
      outWidth: width,
      notes: ['FMPadding (cycles: fmpadding.py); resources ours (FINN gives none)'],
    },
    device?.calibration,
    'swg',
    'the padding is in the calibrated sliding window (the generator pads inside the window)',
  );
}

export interface DownSamplerShape {
  channels: number;
  imgDim: number;
  stride: number;
}

/** FINN downsampler.py (2-D, square): exp_cycles = C / SIMD * ImgDim^2. */
export function downSamplerCycles({ channels, imgDim }: DownSamplerShape, simd: number): number {
  return Math.trunc((channels / simd) * imgDim * imgDim);
}

export function downSamplerCost(shape: DownSamplerShape, actBits: number, simd: number): EngineCost {
  const { channels: C, imgDim, stride } = shape;
  if (C % simd !== 0) throw new RangeError(`DownSampler: SIMD=${simd} does not divide ${C}`);
  const odim = Math.floor((imgDim - 1) / stride) + 1;
  const width = simd * actBits;
  return {
    cycles: downSamplerCycles(shape, simd),
    dsp: 0,
    bram18: 0,
    lut: 40 + width,
    ff: 40 + width,
    weightMemBits: 0,
    fillWords: 1,
    inWords: imgDim * imgDim * (C / simd),
    outWords: odim * odim * (C / simd),
    outWidth: width,
    notes: ['DownSampler (cycles: downsampler.py); resources ours (FINN gives none)'],
  };
}

/** A depthwise window (in front of a VVAU or a pool) takes its SIMD from its consumer's PE. */
export function windowFollowsMain(mainKind: EngineKind): boolean {
  return mainKind === 'vvau' || mainKind === 'pool';
}

/**
 * The window's folding inside its layer (FINN SetFolding): a depthwise window follows its
 * consumer's PE (depthwise_op_exceptions), in parallel_window mode when a VVAU has SIMD > 1;
 * otherwise the smallest SIMD meeting the target, going parallel when even full SIMD misses it.
 */
export function slidingWindowAuxFold(spec: SpecOf<'sliding-window'>, { target, main }: AuxFoldContext): EngineFold {
  if (windowFollowsMain(main.kind)) {
    return { pe: 1, simd: main.fold.pe, parallelWindow: main.kind === 'vvau' && main.fold.simd > 1 };
  }
  const simd = smallestFolding(spec.channels, target, (s) => slidingWindowCycles(spec, { simd: s }));
  let parallelWindow = false;
  if (simd === spec.channels && slidingWindowCycles(spec, { simd }) > target) {
    parallelWindow = slidingWindowCycles(spec, { simd, parallelWindow: true }) < slidingWindowCycles(spec, { simd });
  }
  return { pe: 1, simd, parallelWindow };
}

/**
 * What a window instance needs beyond its shape and folding. The generated window pads by itself
 * (the estimator charges a separate FMPadding, as FINN builds one), so it takes the padding
 * [top, left, bottom, right] and derives the unpadded input from the spec's padded one.
 */
export interface SlidingWindowRtlData {
  actBits: number;
  pads: [number, number, number, number];
  /** Value of a padded position (default 0; a max pool's window pads with the grid's minimum). */
  padElement?: number;
  /** Where the estimate put the line buffer (its cost's `bufferMemory`); absent: the synthesis tool chooses. */
  bufferMemory?: 'bram' | 'lutram';
}

export const slidingWindowEngine: HwEngine<SpecOf<'sliding-window'>, SlidingWindowRtlData> = {
  kind: 'sliding-window',
  finnOp: 'ConvolutionInputGenerator',
  expCycles: (spec, fold) => slidingWindowCycles(spec, fold),
  estimate: (spec, fold, ctx) => slidingWindowCost(spec, ctx.bits.actBits, fold, ctx.device, bufferMemStyle(ctx.memStyle)),
  auxFold: slidingWindowAuxFold,
  rtl: {
    emit: (spec, fold, _ctx, { name, data }) => {
      if (fold.parallelWindow) throw new RangeError(`${name}: the window's parallel mode is not generated yet`);
      const [pt, pl, pb, pr] = data.pads;
      const inDim: [number, number] = [spec.ifmDim[0] - pt - pb, spec.ifmDim[1] - pl - pr];
      return emitSlidingWindow({ name, channels: spec.channels, simd: fold.simd, actBits: data.actBits, inDim, outDim: spec.ofmDim, kernel: spec.kernel, stride: spec.stride, pads: data.pads, depthwise: spec.depthwise, ...(data.padElement ? { padElement: data.padElement } : {}), ...(data.bufferMemory ? { bufferMemory: data.bufferMemory } : {}) });
    },
  },
};

/** Padding streams in front of the window at the window's SIMD. */
export const fmPaddingEngine: HwEngine<SpecOf<'fmpadding'>> = {
  kind: 'fmpadding',
  finnOp: 'FMPadding',
  expCycles: (spec, fold) => fmPaddingCycles(spec, fold.simd),
  estimate: (spec, fold, ctx) => fmPaddingCost(spec, ctx.bits.actBits, fold.simd, ctx.device),
  auxFold: (_spec, { window }) => ({ pe: 1, simd: window?.simd ?? 1 }),
};

export const downSamplerEngine: HwEngine<SpecOf<'downsampler'>> = {
  kind: 'downsampler',
  finnOp: 'DownSampler',
  expCycles: (spec, fold) => downSamplerCycles(spec, fold.simd),
  estimate: (spec, fold, ctx) => downSamplerCost(spec, ctx.bits.actBits, fold.simd),
  auxFold: (spec, { target }) => ({ pe: 1, simd: smallestFolding(spec.channels, target, (d) => downSamplerCycles(spec, d)) }),
};
