/**
 * Stream width converter (FINN's StreamingDataWidthConverter) between engines whose words carry
 * different numbers of elements (e.g. a window of SIMD 1 feeding an MVAU of SIMD 3). Any pair of
 * element counts: a shift buffer of IN + OUT - 1 elements, one word per cycle on the wider side.
 */
import { clog2, wireStreamPorts, type EmittedModule } from './verilog.ts';

export function emitWidthConverter(name: string, inElements: number, outElements: number, elementBits: number): EmittedModule {
  const IN = inElements;
  const OUT = outElements;
  const EB = elementBits;
  const CAP = IN + OUT - 1;
  const CB = clog2(CAP + 1) + 1;
  const verilog = `// Width converter ${name}: ${IN} -> ${OUT} elements of ${EB} b
module ${name} (
${wireStreamPorts(IN * EB, OUT * EB)}
);
  localparam IN = ${IN}, OUT = ${OUT}, EB = ${EB}, CAP = ${CAP};
  reg [CAP*EB-1:0] buffer;
  reg [${CB - 1}:0] count;
  assign out_valid = count >= OUT;
  assign out_data = buffer[OUT*EB-1:0];
  wire pop = out_valid && out_ready;
  wire [${CB - 1}:0] kept = pop ? count - OUT : count;
  assign in_ready = kept + IN <= CAP;
  wire push = in_valid && in_ready;
  reg [CAP*EB-1:0] next;
  always @* begin
    next = pop ? (buffer >> (OUT*EB)) : buffer;
    if (push) next[kept*EB +: IN*EB] = in_data;
  end
  always @(posedge clk) begin
    if (rst) begin
      count <= 0;
    end else begin
      buffer <= next;
      count <= kept + (push ? IN : 0);
    end
  end
endmodule
`;
  return { name, verilog, files: {}, inWidth: IN * EB, outWidth: OUT * EB };
}
