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
 * - FF prior: ours, exactly the generated converter's registers (widthConverterRegisterBits): up
 *   OUT elements + OUT/IN ring bits + 1 flag; down IN elements + IN/OUT slices-left bits; lcm
 *   (L = lcm(IN, OUT)) (2L - IN) elements + L/IN ring bits + L/OUT slices-left bits.
 * On a calibrated family LUT / FF come from synthesis (calibration.ts, kind `dwc`).
 */
import { calibrate, type Features } from '../calibration.ts';
import { emitWidthConverter, widthConverterLayout, widthConverterRegisterBits } from '../../rtl/width-converter.ts';
import { lcm } from '../../rtl/verilog.ts';
import type { EngineCost, EngineDevice } from '../types.ts';
import type { HwEngine, SpecOf } from './contract.ts';

export interface WidthConverterShape {
  inElements: number;
  outElements: number;
  elementBits: number;
  /** Input words per frame. */
  inWords: number;
}

/** FINN lut_estimation of the DWC, on stream widths in bits. */
export function finnDwcLuts(inWidth: number, outWidth: number): number {
  const common = lcm(inWidth, outWidth);
  let luts = 0;
  if (inWidth !== common) luts += Math.abs(Math.ceil(Math.log2(inWidth / common))) + common;
  if (common !== outWidth) luts += Math.abs(Math.ceil(Math.log2(common / outWidth))) + outWidth;
  return luts;
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
      ff: widthConverterRegisterBits(IN, OUT, EB),
      weightMemBits: 0,
      // Input words in before the first output word: one lcm-group.
      fillWords: widthConverterLayout(IN, OUT).inPerGroup,
      inWords,
      outWords: Math.ceil(outWords),
      outWidth,
      notes: [`width converter ${IN} -> ${OUT} elements of ${EB} b (LUT: FINN streamingdatawidthconverter.py; FF: the generated registers)`],
    },
    device.calibration,
    'dwc',
    f.lut,
    f.ff,
  );
}

/**
 * What the synthesis calibration multiplies for a width converter as generated
 * (src/core/rtl/width-converter.ts: shift registers, counters as a one-hot ring and a thermometer,
 * session 12). LUT:
 * - `upControl` (1 on the up form): the full flag and the handshake (3 LUTs on every family; the
 *   ring rotates through enabled flip-flops with no logic, whatever the ratio).
 * - `heldControl` (1 on the down and lcm forms): load / pop / can-load decode.
 * - `loadMux`: the held register's bits below its top output slice, each a 2:1 choice between
 *   loading the input and shifting by OUT elements (one LUT3 each in every family's cells).
 * - `slices`: thermometer bits of the slices left (down, lcm), each set by a load or taking its
 *   upper neighbour; Yosys folds the load decode into each bit (a 5-input function: 2 LUT4 on
 *   Gowin / Anlogic, 1 LUT6 on Xilinx).
 * - `lcmSlices`: the same bits on the lcm form, whose load also reads the ring's last bit: a 6-input
 *   function per bit (4 LUT4 on Gowin / Anlogic, still 1 LUT6 on Xilinx, where the lcm form adds
 *   about one LUT in all; the grid's fitting lcm rows all have 3 slices, so the fit spreads it as
 *   1/3 per slice).
 * FF: data bits (collected and held elements) and control bits (ring, thermometer, the up form's flag).
 */
export function widthConverterFeatures({ inElements: IN, outElements: OUT, elementBits: EB }: WidthConverterShape): { lut: Features; ff: Features } {
  const l = widthConverterLayout(IN, OUT);
  const held = l.form !== 'up';
  return {
    lut: {
      upControl: held ? 0 : 1,
      heldControl: held ? 1 : 0,
      loadMux: held ? (l.holdElements - OUT) * EB : 0,
      slices: l.leftBits,
      lcmSlices: l.form === 'lcm' ? l.leftBits : 0,
    },
    ff: { one: 1, dataBits: (l.collectElements + l.holdElements) * EB, control: l.ringBits + l.leftBits + l.flagBits },
  };
}

export const widthConverterEngine: HwEngine<SpecOf<'width-converter'>> = {
  kind: 'width-converter',
  finnOp: 'StreamingDataWidthConverter',
  expCycles: (spec) => widthConverterCycles(spec),
  estimate: (spec, _fold, ctx) => widthConverterCost(spec, ctx.device),
  rtl: { emit: (spec, _fold, _ctx, { name }) => emitWidthConverter(name, spec.inElements, spec.outElements, spec.elementBits) },
};
