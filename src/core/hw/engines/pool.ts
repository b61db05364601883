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
import { lutram64 } from '../memory.ts';
import type { EngineCost } from '../types.ts';

export interface PoolShape {
  fn: 'max' | 'avg';
  channels: number;
  kernel: [number, number];
  outDim: [number, number];
}

export function poolCost(shape: PoolShape, actBits: number, pe: number): EngineCost {
  const { fn, channels: C, kernel, outDim } = shape;
  if (!Number.isInteger(pe) || pe < 1 || C % pe !== 0) throw new RangeError(`pool: PE=${pe} does not divide ${C}`);
  const k2 = kernel[0] * kernel[1];
  const pixels = outDim[0] * outDim[1];
  const accBits = fn === 'max' ? actBits : actBits + Math.ceil(Math.log2(k2));
  return {
    cycles: Math.trunc(((C * k2) / pe) * pixels),
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
}

export interface StreamingMaxPoolShape {
  channels: number;
  imgDim: [number, number];
  poolDim: [number, number];
}

export function streamingMaxPoolCost(shape: StreamingMaxPoolShape, actBits: number): EngineCost {
  const { channels: C, imgDim, poolDim } = shape;
  const w = imgDim[1];
  const k = poolDim[1];
  const oh = Math.floor(imgDim[0] / poolDim[0]);
  const ow = Math.floor(imgDim[1] / poolDim[1]);
  // One row of partial maxima, C values per pixel.
  const rowBits = C * actBits;
  return {
    cycles: Math.trunc(w * w * (1 + 1 / (k * k))),
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
}

export interface GlobalAccPoolShape {
  channels: number;
  inDim: [number, number];
}

export function globalAccPoolCost(shape: GlobalAccPoolShape, actBits: number, pe: number): EngineCost {
  const { channels: C, inDim } = shape;
  if (!Number.isInteger(pe) || pe < 1 || C % pe !== 0) throw new RangeError(`global pool: PE=${pe} does not divide ${C}`);
  const pixels = inDim[0] * inDim[1];
  const cf = C / pe;
  const accBits = actBits + Math.ceil(Math.log2(pixels));
  const accMem = cf > 1 ? lutram64(pe * accBits, cf) : 0;
  return {
    cycles: pixels * cf + cf,
    dsp: 0,
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
}
