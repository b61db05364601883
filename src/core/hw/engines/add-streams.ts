/**
 * Elementwise addition of two streams (residual joins), FINN's AddStreams.
 *
 * Source, Xilinx/finn @ 39f0c9a6b: src/finn/custom_op/fpgadataflow/addstreams.py get_exp_cycles
 * (= numInputVectors * C / PE). FINN has no resource estimate for it; the adder LUT/FF below
 * are ours (PE adders of A+1 bits plus stream control).
 */
import type { EngineCost } from '../types.ts';

export interface AddStreamsShape {
  channels: number;
  /** Pixels per frame (H*W). */
  numVectors: number;
}

export function addStreamsCost(shape: AddStreamsShape, actBits: number, pe: number): EngineCost {
  const { channels: C, numVectors } = shape;
  if (!Number.isInteger(pe) || pe < 1 || C % pe !== 0) throw new RangeError(`AddStreams: PE=${pe} does not divide ${C}`);
  const words = numVectors * (C / pe);
  return {
    cycles: words,
    dsp: 0,
    bram18: 0,
    lut: 40 + pe * (actBits + 1),
    ff: 32 + pe * (actBits + 1),
    weightMemBits: 0,
    fillWords: 1,
    inWords: words,
    outWords: words,
    outWidth: pe * (actBits + 1),
    notes: ['AddStreams (resources ours; FINN estimates none)'],
  };
}
