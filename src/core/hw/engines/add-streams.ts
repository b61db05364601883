/**
 * Elementwise addition of two streams (residual joins), FINN's AddStreams.
 *
 * Source, Xilinx/finn @ 39f0c9a6b: src/finn/custom_op/fpgadataflow/addstreams.py get_exp_cycles
 * (= numInputVectors * C / PE). FINN has no resource estimate for it; the adder LUT/FF below
 * are ours (PE adders of A+1 bits plus stream control).
 */
import type { EngineCost } from '../types.ts';
import { emitAddStreams, type AddStreamsParams } from '../../rtl/add-streams.ts';
import type { HwEngine, SpecOf } from './contract.ts';

export interface AddStreamsShape {
  channels: number;
  /** Pixels per frame (H*W). */
  numVectors: number;
}

/** addstreams.py get_exp_cycles: numInputVectors * C / PE. */
export function addStreamsCycles({ channels, numVectors }: AddStreamsShape, pe: number): number {
  return numVectors * (channels / pe);
}

export function addStreamsCost(shape: AddStreamsShape, actBits: number, pe: number): EngineCost {
  const { channels: C } = shape;
  if (!Number.isInteger(pe) || pe < 1 || C % pe !== 0) throw new RangeError(`AddStreams: PE=${pe} does not divide ${C}`);
  const words = addStreamsCycles(shape, pe);
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

/** What an AddStreams instance needs beyond its folding: the element widths of both inputs and the sum. */
export type AddStreamsRtlData = Omit<AddStreamsParams, 'name' | 'pe'>;

export const addStreamsEngine: HwEngine<SpecOf<'add-streams'>, AddStreamsRtlData> = {
  kind: 'add-streams',
  finnOp: 'AddStreams',
  expCycles: (spec, fold) => addStreamsCycles(spec, fold.pe),
  estimate: (spec, fold, ctx) => addStreamsCost(spec, ctx.bits.actBits, fold.pe),
  rtl: { emit: (_spec, fold, _ctx, { name, data }) => emitAddStreams({ name, pe: fold.pe, ...data }) },
};
