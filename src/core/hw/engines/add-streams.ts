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

/** A sliding window on a residual branch, as the bypass count needs it. */
export interface BranchWindow {
  kernel: [number, number];
  /** Zero padding at the top and left. */
  padTop: number;
  padLeft: number;
  /** Input width before padding, and channels. */
  inWidth: number;
  channels: number;
}

/** Pipeline registers and FIFOs between the fork and the Add that also hold skip words. */
export const BYPASS_SLACK_WORDS = 32;

/**
 * Depth of a residual Add's bypass FIFO, in words of `pe` elements: the skip words that pass the
 * fork before the branch's first output reaches the Add. Every window on the branch waits for
 * (k_h - 1 - pad_top) rows plus k_w - pad_left pixels of its input before its first output; plus
 * BYPASS_SLACK_WORDS. Shallower deadlocks the fork, branch and Add (found in simulation, issue 17:
 * 272 words for the 28x28 8-channel residual design where the fill-rate rule gave 41). The
 * estimator (pipeline.ts) and the generator (src/core/rtl/design.ts) both size the bypass with it.
 */
export function bypassWords(windows: readonly BranchWindow[], pe: number): number {
  let elements = 0;
  for (const w of windows) {
    const [kh, kw] = w.kernel;
    const pixels = Math.max(0, kh - 1 - w.padTop) * w.inWidth + Math.max(1, kw - w.padLeft);
    elements += pixels * w.channels;
  }
  return Math.ceil(elements / pe) + BYPASS_SLACK_WORDS;
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
