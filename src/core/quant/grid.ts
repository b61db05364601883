/**
 * Fixed-point grids. Everything here is plain arithmetic on numbers so it can be checked by hand.
 *
 * Conventions (see docs/compression.md):
 * - Integers are two's complement: signed b bits cover [-2^(b-1), 2^(b-1) - 1]; unsigned b bits
 *   cover [0, 2^b - 1].
 * - Symmetric scales: the largest magnitude kept (max |w| for weights, the calibrated clip for
 *   activations) maps to 2^(b-1) - 1 (signed) or 2^b - 1 (unsigned).
 * - A power-of-two scale is 2^-f with f the number of fractional bits (Qm.f); f is chosen as
 *   large as possible without clipping the largest magnitude.
 * - Rounding: 'half-even' (ONNX Round / QuantizeLinear) or 'floor' (truncation toward -inf, what
 *   HLS ap_fixed does by default with AP_TRN).
 * - Float scales are float32 values, so the ONNX model and this code use the very same number.
 */

export type Granularity = 'per-channel' | 'per-tensor';
export type ScaleType = 'float' | 'po2';
export type Rounding = 'half-even' | 'floor';

export const BITS_MIN = 2;
export const BITS_MAX = 16;

/** Round half to even (banker's rounding), as ONNX Round and QuantizeLinear do. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export const roundWith = (rounding: Rounding): ((x: number) => number) => (rounding === 'floor' ? Math.floor : roundHalfEven);

export interface IntRange {
  min: number;
  max: number;
}

export const intRange = (bits: number, signed: boolean): IntRange =>
  signed ? { min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 } : { min: 0, max: 2 ** bits - 1 };

/** The scale mapping magnitude `limit` onto the top integer `top`: float32, or the smallest power of two that does not clip. */
export function chooseScale(limit: number, top: number, type: ScaleType): { scale: number; fracBits?: number } {
  if (!(limit > 0) || !Number.isFinite(limit)) return type === 'po2' ? { scale: 1, fracBits: 0 } : { scale: 1 };
  if (type === 'float') {
    let scale = Math.fround(limit / top);
    // fround may round down so that limit / scale exceeds top by a hair; nudge up one ulp then.
    if (limit / scale > top) scale = Math.fround(scale * (1 + 2 ** -23));
    return { scale };
  }
  let f = Math.floor(Math.log2(top / limit));
  if (limit * 2 ** f > top) f -= 1; // guard against log2 rounding
  if (limit * 2 ** (f + 1) <= top) f += 1;
  return { scale: 2 ** -f, fracBits: f };
}

export interface WeightQuantization {
  /** Dequantized weights (integer x scale) as float32 values, same layout as the input. */
  values: Float32Array;
  /** The integers. */
  ints: Int32Array;
  /** One scale per channel along `axis` (per-channel) or a single scale. */
  scales: number[];
  /** Fractional bits per scale when the scale is a power of two. */
  fracBits?: number[];
  axis: number | null;
  bits: number;
  /** 10 log10(sum w^2 / sum (w - wq)^2); Infinity when exact. */
  sqnrDb: number;
}

/**
 * Symmetric weight quantization to `bits`, per channel along `axis` (null = per tensor).
 * Values are laid out row-major with dims `dims`.
 */
export function quantizeWeights(
  values: ArrayLike<number>,
  dims: readonly number[],
  axis: number | null,
  bits: number,
  scaleType: ScaleType,
  rounding: Rounding,
): WeightQuantization {
  const n = values.length;
  const channels = axis === null ? 1 : dims[axis];
  const inner = axis === null ? n : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => (axis === null ? 0 : Math.floor(i / inner) % channels);
  const limits = new Array<number>(channels).fill(0);
  for (let i = 0; i < n; i++) limits[channelOf(i)] = Math.max(limits[channelOf(i)], Math.abs(values[i]));
  const range = intRange(bits, true);
  const chosen = limits.map((l) => chooseScale(l, range.max, scaleType));
  const scales = chosen.map((c) => c.scale);
  const round = roundWith(rounding);
  const out = new Float32Array(n);
  const ints = new Int32Array(n);
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < n; i++) {
    const s = scales[channelOf(i)];
    const q = Math.min(range.max, Math.max(range.min, round(values[i] / s)));
    ints[i] = q;
    out[i] = Math.fround(q * s);
    signal += values[i] * values[i];
    noise += (values[i] - out[i]) ** 2;
  }
  return {
    values: out,
    ints,
    scales,
    fracBits: scaleType === 'po2' ? chosen.map((c) => c.fracBits!) : undefined,
    axis,
    bits,
    sqnrDb: sqnr(signal, noise),
  };
}

export const sqnr = (signal: number, noise: number): number => (noise === 0 ? Infinity : 10 * Math.log10(signal / noise));

/** One activation quantizer: per tensor, symmetric, unsigned after ReLU. */
export interface ActivationQuantizer {
  bits: number;
  signed: boolean;
  scale: number;
  fracBits?: number;
  rounding: Rounding;
  /** Integer range. */
  qmin: number;
  qmax: number;
  /** The real range that survives: [qmin * scale, qmax * scale]. */
  clip: [number, number];
}

export function activationQuantizer(limit: number, bits: number, signed: boolean, scaleType: ScaleType, rounding: Rounding): ActivationQuantizer {
  const range = intRange(bits, signed);
  const { scale, fracBits } = chooseScale(limit, range.max, scaleType);
  return {
    bits,
    signed,
    scale,
    fracBits,
    rounding,
    qmin: range.min,
    qmax: range.max,
    clip: [Math.fround(range.min * scale), Math.fround(range.max * scale)],
  };
}

/** What the fake-quant chain computes for one float32 value: clip(round(x / s)) * s in float32. */
export function fakeQuantize(x: number, q: ActivationQuantizer): number {
  const t = Math.fround(Math.fround(x) / q.scale);
  const r = Math.min(q.qmax, Math.max(q.qmin, roundWith(q.rounding)(t)));
  return Math.fround(r * q.scale);
}

/** A bias as an integer in units of (input scale x weight scale), the accumulator's LSB, saturated to int32. */
export function biasToInt(value: number, inputScale: number, weightScale: number): number {
  return Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, roundHalfEven(value / (inputScale * weightScale))));
}
