/**
 * Stream FIFO emitter (FINN's StreamingFIFO): depth and width from the estimator (engines/fifo.ts,
 * pipeline.ts). Circular buffer with a registered count; reads are combinational, so a word
 * written in one cycle can leave in the next and the FIFO passes one word per cycle.
 */
import { clog2, wireStreamPorts, type EmittedModule } from './verilog.ts';

export function emitFifo(name: string, depth: number, width: number): EmittedModule {
  const A = clog2(depth);
  const verilog = `// FIFO ${name}: ${depth} x ${width} b
module ${name} (
${wireStreamPorts(width, width)}
);
  localparam DEPTH = ${depth};
  reg [${width - 1}:0] mem [0:DEPTH-1];
  reg [${A - 1}:0] wp, rp;
  reg [${A}:0] count;
  assign in_ready = count < DEPTH;
  assign out_valid = count != 0;
  assign out_data = mem[rp];
  wire push = in_valid && in_ready;
  wire pop = out_valid && out_ready;
  always @(posedge clk) begin
    if (rst) begin
      wp <= 0; rp <= 0; count <= 0;
    end else begin
      if (push) begin
        mem[wp] <= in_data;
        wp <= (wp == DEPTH - 1) ? 0 : wp + 1;
      end
      if (pop) rp <= (rp == DEPTH - 1) ? 0 : rp + 1;
      count <= count + push - pop;
    end
  end
endmodule
`;
  return { name, verilog, files: {}, inWidth: width, outWidth: width };
}
