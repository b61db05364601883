/**
 * Stream width converter (FINN's StreamingDataWidthConverter) between engines whose words carry
 * different numbers of elements (e.g. a window of SIMD 1 feeding an MVAU of SIMD 3). Shift
 * registers only, no variable-offset write (docs/decisions.md):
 * - up (OUT a multiple of IN): a shift register of OUT elements takes IN elements per input word;
 *   the output word is valid after OUT / IN words.
 * - down (IN a multiple of OUT): a held input word shifted right by OUT elements per output word;
 *   the next input word loads as the last slice leaves.
 * - lcm (neither): up to L = lcm(IN, OUT) elements, then down: L - IN elements collected, the
 *   last input word of each L loads the down register together with them.
 * One word per cycle on the slower side; element 0 in the low bits.
 */
import { clog2, lcm as leastCommonMultiple, wireStreamPorts, type EmittedModule } from './verilog.ts';

export type WidthConverterForm = 'up' | 'down' | 'lcm';

/** The converter's form and sizes (elements): what the emitter builds and the estimate counts. */
export function widthConverterLayout(inElements: number, outElements: number) {
  const lcm = leastCommonMultiple(inElements, outElements);
  const form: WidthConverterForm = lcm === outElements ? 'up' : lcm === inElements ? 'down' : 'lcm';
  /** Input words per lcm-group (up stage) and output words per lcm-group (down stage). */
  const inPerGroup = lcm / inElements;
  const outPerGroup = lcm / outElements;
  /** Elements in the collecting shift register: the whole output word (up) or all but the last input word (lcm). */
  const collectElements = form === 'up' ? lcm : form === 'lcm' ? lcm - inElements : 0;
  /** Elements in the held register the output slices leave from (down, lcm). */
  const holdElements = form === 'up' ? 0 : lcm;
  /** Input word counter (up, lcm) and slices-left counter (down, lcm). */
  const inCountBits = form === 'down' ? 0 : clog2(inPerGroup);
  const leftBits = form === 'up' ? 0 : clog2(outPerGroup + 1);
  /** The up form's output-valid flag; the down and lcm forms' at-most-one-slice-left flag. */
  const flagBits = 1;
  return { form, lcm, inPerGroup, outPerGroup, collectElements, holdElements, inCountBits, leftBits, flagBits };
}

/** Register bits of the generated converter (its data registers, counters and flag). */
export function widthConverterRegisterBits(inElements: number, outElements: number, elementBits: number): number {
  const l = widthConverterLayout(inElements, outElements);
  return (l.collectElements + l.holdElements) * elementBits + l.inCountBits + l.leftBits + l.flagBits;
}

export function emitWidthConverter(name: string, inElements: number, outElements: number, elementBits: number): EmittedModule {
  const IN = inElements;
  const OUT = outElements;
  const EB = elementBits;
  const l = widthConverterLayout(IN, OUT);
  // The input width appears in the shift of a collecting register wider than one input word.
  const usesIn = l.form === 'up' || (l.form === 'lcm' && l.collectElements !== IN);
  const header = `// Width converter ${name}: ${IN} -> ${OUT} elements of ${EB} b (${l.form}${l.form === 'lcm' ? ` through ${l.lcm}` : ''})
module ${name} (
${wireStreamPorts(IN * EB, OUT * EB)}
);
  localparam ${usesIn ? `IN = ${IN}, ` : ''}OUT = ${OUT}, EB = ${EB};
`;
  let body: string;
  if (l.form === 'up') {
    // Input word k of a group lands in elements [k*IN, (k+1)*IN) once all OUT/IN words are in.
    const CB = l.inCountBits;
    body = `  reg [OUT*EB-1:0] collect;
  reg [${CB - 1}:0] words;
  reg full;
  assign out_valid = full;
  assign out_data = collect;
  assign in_ready = !full || out_ready;
  wire push = in_valid && in_ready;
  wire last = words == ${CB}'d${l.inPerGroup - 1};
  always @(posedge clk) begin
    if (push) collect <= {in_data, collect[OUT*EB-1:IN*EB]};
    if (rst) begin
      words <= 0;
      full <= 1'b0;
    end else begin
      if (push) words <= last ? 0 : words + 1;
      full <= (push && last) || (full && !out_ready);
    end
  end
`;
  } else {
    // down: the held word is the input word; lcm: L - IN collected elements below the last input word.
    const LB = l.leftBits;
    const loadData = l.form === 'down' ? 'in_data' : '{in_data, collect}';
    const collectDecl =
      l.form === 'down'
        ? ''
        : `  localparam CE = ${l.collectElements};
  reg [CE*EB-1:0] collect;
  reg [${l.inCountBits - 1}:0] words;
  wire last = words == ${l.inCountBits}'d${l.inPerGroup - 1};
`;
    const collectShift = l.collectElements === IN ? 'in_data' : '{in_data, collect[CE*EB-1:IN*EB]}';
    const inReady = l.form === 'down' ? 'can_load' : '!last || can_load';
    // The last word of a group shifts in too: the next group's words overwrite it before the next load.
    const collectUpdate =
      l.form === 'down'
        ? ''
        : `    if (in_valid && in_ready) collect <= ${collectShift};
`;
    const countUpdate =
      l.form === 'down'
        ? ''
        : `      if (in_valid && in_ready) words <= last ? 0 : words + 1;
`;
    const load = l.form === 'down' ? 'in_valid && can_load' : 'in_valid && last && can_load';
    // Every held bit loads on load || pop; the bits below the top slice take the input when at most
    // one slice is left (a load, or the last slice leaving: then they are no longer read), else
    // the next slice: a 2:1 choice on a register, so no control logic in each bit's LUT.
    body = `  localparam L = ${l.lcm}, SLICES = ${l.outPerGroup};
${collectDecl}  reg [L*EB-1:0] held;
  reg [${LB - 1}:0] left;
  reg one_left;
  wire pop = left != 0 && out_ready;
  wire can_load = left == 0 || (left == 1 && out_ready);
  wire load = ${load};
  wire [L*EB-1:0] word_in = ${loadData};
  assign out_valid = left != 0;
  assign out_data = held[OUT*EB-1:0];
  assign in_ready = ${inReady};
  always @(posedge clk) begin
${collectUpdate}    if (load || pop) held <= one_left ? word_in : {word_in[L*EB-1 -: OUT*EB], held[L*EB-1:OUT*EB]};
    if (rst) begin
      left <= 0;
      one_left <= 1'b1;
${l.form === 'down' ? '' : '      words <= 0;\n'}    end else begin
${countUpdate}      if (load) begin
        left <= SLICES;
        one_left <= 1'b0;
      end else if (pop) begin
        left <= left - 1;
        one_left <= (left <= 2);
      end
    end
  end
`;
  }
  return { name, verilog: `${header}${body}endmodule\n`, files: {}, inWidth: IN * EB, outWidth: OUT * EB };
}
