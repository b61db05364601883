/**
 * Stream width converter (FINN's StreamingDataWidthConverter), inserted by the pipeline wherever
 * the words of neighbouring engines carry different numbers of elements (e.g. a window at SIMD 1
 * feeding an MVAU at SIMD 3, an MVAU at PE 4 feeding a requantiser at PE 2), as the generator does
 * (src/core/rtl/design.ts, src/core/rtl/width-converter.ts).
 *
 * Sources:
 * - LUT prior: Xilinx/finn src/finn/custom_op/fpgadataflow/streamingdatawidthconverter.py
 *   lut_estimation (a shift-based converter through the least common multiple of the widths:
 *   ceil(log2) counter LUTs per step plus one control-set LUT per bit of the wider side).
 * - cycles: ours, from the generated converter (one word per cycle on both sides): the larger of
 *   the input and output word counts. FINN's get_exp_cycles adds the element counts of both sides,
 *   which is no tighter than the neighbours' own cycles; ours never exceeds a neighbour's
 *   cycles, so a converter never sets the frame interval.
 * - FF prior: ours, the generated converter's registers: its buffer of IN + OUT - 1 elements and
 *   its element count.
 * On a calibrated family LUT / FF come from synthesis (calibration.ts, kind `dwc`).
 */
import { calibrate, type Features } from '../calibration.ts';
import { emitWidthConverter } from '../../rtl/width-converter.ts';
import { clog2 } from '../../rtl/verilog.ts';
import type { EngineCost, EngineDevice } from '../types.ts';
import type { HwEngine, SpecOf } from './contract.ts';

export interface WidthConverterShape {
  inElements: number;
  outElements: number;
  elementBits: number;
  /** Input words per frame. */
  inWords: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** FINN lut_estimation of the DWC, on stream widths in bits. */
export function finnDwcLuts(inWidth: number, outWidth: number): number {
  const min = Math.min(inWidth, outWidth);
  const max = Math.max(inWidth, outWidth);
  const lcm = (max * min) / gcd(max, min);
  let luts = 0;
  if (inWidth !== lcm) luts += Math.abs(Math.ceil(Math.log2(inWidth / lcm))) + lcm;
  if (lcm !== outWidth) luts += Math.abs(Math.ceil(Math.log2(lcm / outWidth))) + outWidth;
  return luts;
}

/** Bits of the generated converter's element count register (as src/core/rtl/width-converter.ts sizes it). */
function countBits(inElements: number, outElements: number): number {
  return clog2(inElements + outElements) + 1;
}

export function widthConverterWords({ inElements, outElements, inWords }: WidthConverterShape): { inWords: number; outWords: number } {
  return { inWords, outWords: (inWords * inElements) / outElements };
}

export function widthConverterCycles(shape: WidthConverterShape): number {
  const { inWords, outWords } = widthConverterWords(shape);
  return Math.ceil(Math.max(inWords, outWords));
}

export function widthConverterCost(shape: WidthConverterShape, device: EngineDevice): EngineCost {
  const { inElements: IN, outElements: OUT, elementBits: EB } = shape;
  const inWidth = IN * EB;
  const outWidth = OUT * EB;
  const { inWords, outWords } = widthConverterWords(shape);
  const f = widthConverterFeatures(shape);
  return calibrate(
    {
      cycles: widthConverterCycles(shape),
      dsp: 0,
      bram18: 0,
      lut: finnDwcLuts(inWidth, outWidth),
      ff: (IN + OUT - 1) * EB + countBits(IN, OUT),
      weightMemBits: 0,
      fillWords: Math.ceil(OUT / IN),
      inWords,
      outWords: Math.ceil(outWords),
      outWidth,
      notes: [`width converter ${IN} -> ${OUT} elements of ${EB} b (LUT: FINN streamingdatawidthconverter.py; FF: the generated buffer)`],
    },
    device.calibration,
    'dwc',
    f.lut,
    f.ff,
  );
}

/**
 * What the synthesis calibration multiplies for a width converter as generated (a buffer of
 * CAP = IN + OUT - 1 elements, shifted out by OUT elements and written at a variable offset): the
 * buffer bits (a register and its load multiplexer each), the input word bits (Yosys 0.23 builds
 * the variable-offset write `buffer[kept*EB +: IN*EB] = in` as a shift of the input word and of
 * its mask, so its logic grows with the input word) and the output word bits (the shift by OUT
 * elements); registers: the buffer and the count.
 */
export function widthConverterFeatures({ inElements: IN, outElements: OUT, elementBits: EB }: WidthConverterShape): { lut: Features; ff: Features } {
  const bufferBits = (IN + OUT - 1) * EB;
  return {
    lut: { one: 1, bufferBits, inBits: IN * EB, outBits: OUT * EB },
    ff: { one: 1, bufferBits, count: countBits(IN, OUT) },
  };
}

export const widthConverterEngine: HwEngine<SpecOf<'width-converter'>> = {
  kind: 'width-converter',
  finnOp: 'StreamingDataWidthConverter',
  expCycles: (spec) => widthConverterCycles(spec),
  estimate: (spec, _fold, ctx) => widthConverterCost(spec, ctx.device),
  rtl: { emit: (spec, _fold, _ctx, { name }) => emitWidthConverter(name, spec.inElements, spec.outElements, spec.elementBits) },
};
