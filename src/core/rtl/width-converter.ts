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
 * Counters are shift registers too (a one-hot ring of the input word's place, a thermometer of
 * the slices left), so each control bit reads its neighbour and the handshake, not a whole
 * counter (session 12). One word per cycle on the slower side; element 0 in the low bits.
 */
import { lcm as leastCommonMultiple, wireStreamPorts, type EmittedModule } from './verilog.ts';

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
  /**
   * Control as shift registers, so that no next-state function reads a whole counter (Yosys maps a
   * binary counter's compare-and-load logic into LUT trees whose size jumps with the shape): a
   * one-hot ring of the input word's place in its group (up, lcm: inPerGroup bits, rotated by each
   * input word, no logic) and a thermometer of the slices still to leave (down, lcm: outPerGroup
   * bits, all set by a load, shifted down by each output word).
   */
  const ringBits = form === 'down' ? 0 : inPerGroup;
  const leftBits = form === 'up' ? 0 : outPerGroup;
  /** The up form's output-valid flag. */
  const flagBits = form === 'up' ? 1 : 0;
  return { form, lcm, inPerGroup, outPerGroup, collectElements, holdElements, ringBits, leftBits, flagBits };
}

/** Register bits of the generated converter (its data registers, counters and flag). */
export function widthConverterRegisterBits(inElements: number, outElements: number, elementBits: number): number {
  const l = widthConverterLayout(inElements, outElements);
  return (l.collectElements + l.holdElements) * elementBits + l.ringBits + l.leftBits + l.flagBits;
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
  // The place of the next input word in its group: a one-hot ring, rotated by each input word.
  const ring = `  localparam R = ${l.inPerGroup};
  reg [R-1:0] place;
  wire last = place[R-1];
`;
  const ringReset = `      place <= 1;
`;
  const ringStep = `      if (in_valid && in_ready) place <= {place[R-2:0], place[R-1]};
`;
  if (l.form === 'up') {
    // Input word k of a group lands in elements [k*IN, (k+1)*IN) once all OUT/IN words are in.
    body = `  reg [OUT*EB-1:0] collect;
${ring}  reg full;
  assign out_valid = full;
  assign out_data = collect;
  assign in_ready = !full || out_ready;
  wire push = in_valid && in_ready;
  always @(posedge clk) begin
    if (push) collect <= {in_data, collect[OUT*EB-1:IN*EB]};
    if (rst) begin
${ringReset}      full <= 1'b0;
    end else begin
${ringStep}      full <= (push && last) || (full && !out_ready);
    end
  end
`;
  } else {
    // down: the held word is the input word; lcm: L - IN collected elements below the last input word.
    const loadData = l.form === 'down' ? 'in_data' : '{in_data, collect}';
    const collectDecl =
      l.form === 'down'
        ? ''
        : `  localparam CE = ${l.collectElements};
  reg [CE*EB-1:0] collect;
${ring}`;
    const collectShift = l.collectElements === IN ? 'in_data' : '{in_data, collect[CE*EB-1:IN*EB]}';
    const inReady = l.form === 'down' ? 'can_load' : '!last || can_load';
    // The last word of a group shifts in too: the next group's words overwrite it before the next load.
    const collectUpdate =
      l.form === 'down'
        ? ''
        : `    if (in_valid && in_ready) collect <= ${collectShift};
`;
    const load = l.form === 'down' ? 'in_valid && can_load' : 'in_valid && last && can_load';
    // left[i]: slice i of the held word is still to leave (a thermometer: left[0] = any left,
    // !left[1] = at most one). Every held bit loads on load || pop; the bits below the top slice
    // take the input when at most one slice is left (a load, or the last slice leaving: then they
    // are no longer read), else the next slice: a 2:1 choice on a register.
    body = `  localparam L = ${l.lcm}, SLICES = ${l.outPerGroup};
${collectDecl}  reg [L*EB-1:0] held;
  reg [SLICES-1:0] left;
  wire one_left = !left[1];
  wire pop = left[0] && out_ready;
  wire can_load = !left[0] || (one_left && out_ready);
  wire load = ${load};
  wire [L*EB-1:0] word_in = ${loadData};
  assign out_valid = left[0];
  assign out_data = held[OUT*EB-1:0];
  assign in_ready = ${inReady};
  always @(posedge clk) begin
${collectUpdate}    if (load || pop) held <= one_left ? word_in : {word_in[L*EB-1 -: OUT*EB], held[L*EB-1:OUT*EB]};
    if (rst) begin
      left <= 0;
${l.form === 'down' ? '' : ringReset}    end else begin
${l.form === 'down' ? '' : ringStep}      if (load) left <= {SLICES{1'b1}};
      else if (pop) left <= {1'b0, left[SLICES-1:1]};
    end
  end
`;
  }
  return { name, verilog: `${header}${body}endmodule\n`, files: {}, inWidth: IN * EB, outWidth: OUT * EB };
}
