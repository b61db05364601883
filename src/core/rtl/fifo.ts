/**
 * Stream FIFO emitter (FINN's StreamingFIFO): depth and width from the estimator (engines/fifo.ts,
 * pipeline.ts). Circular buffer with a registered count; reads are combinational, so a word
 * written in one cycle can leave in the next and the FIFO passes one word per cycle.
 *
 * The handshake flags (count != 0, count != DEPTH) and, when the depth is not a power of two, the
 * pointers' wrap (pointer == DEPTH - 1) are kept in registers of their own, computed a cycle
 * ahead, with the same cycle behaviour as deriving them from the count and pointers. A buffer
 * Yosys puts in block RAM reads at the next read pointer (memory_dff merges the pointer into the
 * port), so the pop condition and the wrap feed the block's address and the write-to-read bypass
 * compare Yosys adds; from registered flags that logic is a few LUTs deep instead of a cone over
 * the whole count, which Gowin's wide-LUT mapping (abc -lut 4:8) had blown up into LUT8 trees of
 * 16 LUT4s (docs/hardware-model.md "The FIFO as generated").
 */
import { clog2, wireStreamPorts, wrapCounterReset, wrapCounterStep, type EmittedModule } from './verilog.ts';

export function emitFifo(name: string, depth: number, width: number): EmittedModule {
  const A = clog2(depth);
  // Pointers of a power-of-two depth wrap by overflowing; otherwise at a registered last-slot flag.
  const wraps = 2 ** A === depth;
  const step = (p: string) => (wraps ? `${p} <= ${p} + 1'b1;` : `begin ${wrapCounterStep(p, depth)} end`);
  const pointerReset = wraps ? 'wp <= 0; rp <= 0;' : `${wrapCounterReset('wp', depth)} ${wrapCounterReset('rp', depth)}`;
  const verilog = `// FIFO ${name}: ${depth} x ${width} b
module ${name} (
${wireStreamPorts(width, width)}
);
  localparam DEPTH = ${depth};
  reg [${width - 1}:0] mem [0:DEPTH-1];
  reg [${A - 1}:0] wp, rp;
  reg [${A}:0] count;
  reg not_empty, not_full${wraps ? '' : ', wp_last, rp_last'};
  assign in_ready = not_full;
  assign out_valid = not_empty;
  assign out_data = mem[rp];
  wire push = in_valid && not_full;
  wire pop = not_empty && out_ready;
  wire [${A}:0] count_next = count + push - pop;
  always @(posedge clk) begin
    if (rst) begin
      ${pointerReset} count <= 0; not_empty <= 0; not_full <= 1;
    end else begin
      if (push) begin
        mem[wp] <= in_data;
        ${step('wp')}
      end
      if (pop) ${step('rp')}
      count <= count_next;
      not_empty <= count_next != 0;
      not_full <= count_next != DEPTH;
    end
  end
endmodule
`;
  return { name, verilog, files: {}, inWidth: width, outWidth: width };
}
