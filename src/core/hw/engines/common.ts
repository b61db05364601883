/**
 * Pieces shared by the compute engines: multiplier placement, DSP packing, accumulator width.
 * Sources are named per function; docs/hardware-model.md has the derivations.
 */
import type { BufferMemStyle, EngineDevice, MemStyle, MulStyle } from '../types.ts';

export interface Folding {
  pe: number;
  simd: number;
}

/**
 * Resolves 'auto' multiplier placement. FINN (transformation/fpgadataflow/specialize_layers.py)
 * uses the DSP-based RTL MVU only when both operands are at least 4 bits; narrower products go to
 * LUTs. A device without DSPs forces LUTs.
 */
export function resolveMulStyle(style: MulStyle, weightBits: number, actBits: number, device: EngineDevice): 'lut' | 'dsp' {
  if (device.dsp === 0) return 'lut';
  if (style === 'lut' || style === 'dsp') return style;
  return weightBits >= 4 && actBits >= 4 ? 'dsp' : 'lut';
}

/** FINN-R LUT cost of one W x A multiplier in LUT6: (2*ceil((W+A)/6) - 1) * (W+A). 2x2 -> 4, 4x4 -> 24, 8x8 -> 80. */
export function lutMultiplier(weightBits: number, actBits: number): number {
  const s = weightBits + actBits;
  return (2 * Math.ceil(s / 6) - 1) * s;
}

/** DSP blocks for one product of a x b bits on one multiplier of [ma, mb] bits (fpgaConvNet rule). */
export function dspPerProduct(a: number, b: number, mul: [number, number] | null): number {
  const [ma, mb] = mul ?? [18, 18];
  const big = Math.max(ma, mb);
  const small = Math.min(ma, mb);
  const wide = Math.max(a, b);
  const narrow = Math.min(a, b);
  return Math.ceil(wide / big) * Math.ceil(narrow / small);
}

export interface DspPacking {
  /** Products one DSP computes per cycle when they share one operand (the activation). */
  lanes: number;
  note: string;
}

/** Width of the DSP48E1's multiplier port A (25 x 18 multiplier, UG479). */
export const DSP48E1_A_BITS = 25;

/**
 * Lanes of W x A products that share an activation in one multiply as the generator packs them
 * (src/core/rtl/mvau.ts packedDotProducts): weights S = W + A bits apart (each product fits S
 * signed bits, so every lane is recovered exactly), the packed weight (lanes-1)*S + W + 1 bits
 * (the sum of the lanes' weights needs one bit more than the top lane) no wider than the port.
 * W8A8 -> 2, W6A6 -> 2, W5A5 -> 2, W4A4 -> 3 on a 25-bit port.
 */
export function packedLanes(weightBits: number, actBits: number, portBits: number): number {
  if (weightBits + 1 > portBits) return 1;
  return Math.floor((portBits - weightBits - 1) / (weightBits + actBits)) + 1;
}

/**
 * LUT-product bits weighted by the wider operand's width, on 4-input LUT fabrics: there the
 * products Yosys 0.23 builds in LUTs grow faster than their bits (Gowin: W6 PE 4 SIMD 4 about
 * 370 LUT4 a product, W4 about 110; session 12), while on LUT6 the cross-validation finds no such
 * growth (docs/hardware-model.md, session 13). `productBits` = products x W x A. A calibration feature.
 */
export function lutProductWidthBits(productBits: number, weightBits: number, actBits: number, device: Pick<EngineDevice, 'lutInputs'>): number {
  return device.lutInputs === 4 ? productBits * Math.max(weightBits, actBits) : 0;
}

/**
 * How many products with a shared activation one DSP block computes:
 * - DSP48E1 (7-series): what the generator builds and Yosys 0.23's synth_xilinx maps to one
 *   DSP48E1 each (packedLanes on the 25-bit port; activations up to 17 bits fit the 18-bit B
 *   port). This departs from FINN's mvu_4sx4u (4 lanes of 4 bits, which on DSP48E1 needs
 *   narrow-range weights and a correction the generator does not build): 3 lanes at 4 bits.
 * - DSP48E2 (UltraScale+), FINN's RTL kernels (no synthesis flow here to check another rule):
 *   mvu_4sx4u.sv 4 lanes (PIPE_COUNT = (PE+3)/4) for <= 4-bit operands, mvu_8sx8u_dsp48.sv 2 lanes
 *   (PIPE_COUNT = (PE+1)/2) for <= 8-bit. FINN's own RTL estimate (rtl/matrixvectoractivation_rtl.py)
 *   uses ceil(PE/4)*SIMD for every width, i.e. half the DSPs the 8-bit kernel instantiates.
 * - other DSPs and wider operands: one product per multiplier.
 */
export function dspPacking(weightBits: number, actBits: number, device: EngineDevice): DspPacking {
  const t = device.dspType;
  if (t === 'DSP48E1' && actBits + 1 <= 18) {
    const lanes = packedLanes(weightBits, actBits, DSP48E1_A_BITS);
    if (lanes > 1) return { lanes, note: `${lanes} products/DSP48E1 sharing the activation (weights ${weightBits + actBits} b apart on the 25-bit port, as generated)` };
  }
  if (t === 'DSP48E2' && weightBits <= 8 && actBits <= 8) {
    if (weightBits <= 4 && actBits <= 4) return { lanes: 4, note: '4 products/DSP48E2 (mvu_4sx4u)' };
    return { lanes: 2, note: `2 products/${t} sharing the activation (mvu_8sx8u_dsp48)` };
  }
  return { lanes: 1, note: 'one product per DSP multiplier (no packing known for this DSP)' };
}

/**
 * Accumulator width FINN uses when accDataType is not minimised: the data-type bound of
 * arXiv:2301.13376 as coded in hls/matrixvectoractivation_hls.py lut_estimation:
 * alpha = log2(fanIn) + W + A - 1 - signed(A); bits = ceil(alpha + log2(1 + 2^-alpha) + 1), at most 32.
 */
export function accumulatorBits(fanIn: number, weightBits: number, actBits: number, actSigned = false): number {
  const alpha = Math.log2(fanIn) + weightBits + actBits - 1 - (actSigned ? 1 : 0);
  return Math.min(32, Math.ceil(alpha + Math.log2(1 + 2 ** -alpha) + 1));
}

/** 'auto' weight memory: LUTRAM up to 128 words deep (FINN's VVAU rule), BRAM beyond. */
export function resolveWeightMem(style: BufferMemStyle, depth: number): 'bram' | 'lutram' {
  if (style === 'bram' || style === 'lutram') return style;
  return depth <= 128 ? 'lutram' : 'bram';
}

/** Buffers (line buffers, thresholds, FIFOs) have no UltraRAM model: a layer's 'uram' means 'auto' for them. */
export function bufferMemStyle(style: MemStyle): BufferMemStyle {
  return style === 'uram' ? 'auto' : style;
}


/**
 * 'auto' for buffers (line buffers, deep FIFOs): the option that uses the smaller fraction of
 * the device's budget. Falls back to LUTRAM when the device numbers are unknown.
 */
export function cheaperMemory(lut: number, bram18: number, device: EngineDevice): 'bram' | 'lutram' {
  if (!device.lut || !device.bram18) return 'lutram';
  return bram18 / device.bram18 < lut / device.lut ? 'bram' : 'lutram';
}

export function assertFold(what: string, dim: number, value: number, label: string): void {
  if (!Number.isInteger(value) || value < 1 || dim % value !== 0) {
    throw new RangeError(`${what}: ${label}=${value} does not divide ${dim}`);
  }
}
