/**
 * Residual joins: a fork that copies a stream to two consumers (the branch and the bypass FIFO),
 * and AddStreams (FINN's AddStreams): elementwise sum of the chain's stream (the branch, signed)
 * and the skip stream, PE elements per word, one word per cycle (vectors x C / PE cycles).
 */
import { streamPorts, wireStreamPorts, type EmittedModule } from './verilog.ts';

/** A word leaves when both consumers take it. */
export function emitFork(name: string, width: number): EmittedModule {
  const verilog = `// Fork ${name}: one stream of ${width} b to two consumers
module ${name} (
${wireStreamPorts(width, width)},
  output wire [${width - 1}:0] out2_data,
  output wire out2_valid,
  input  wire out2_ready
);
  assign out_data = in_data;
  assign out2_data = in_data;
  assign out_valid = in_valid && out2_ready;
  assign out2_valid = in_valid && out_ready;
  assign in_ready = out_ready && out2_ready;
endmodule
`;
  return { name, verilog, files: {}, inWidth: width, outWidth: width };
}

export interface AddStreamsParams {
  name: string;
  pe: number;
  /** Branch (chain) elements: signed, branchBits wide. */
  branchBits: number;
  skipBits: number;
  skipSigned: boolean;
  /** Sum width (signed). */
  outBits: number;
}

export function emitAddStreams(p: AddStreamsParams): EmittedModule {
  const { name, pe, branchBits: BB, skipBits: KB, outBits: OB } = p;
  const skip = p.skipSigned ? `$signed(in2_data[i*${KB} +: ${KB}])` : `$signed({1'b0, in2_data[i*${KB} +: ${KB}]})`;
  const verilog = `// AddStreams ${name}: PE=${pe}, ${BB} b signed branch + ${KB} b ${p.skipSigned ? 'signed' : 'unsigned'} skip -> ${OB} b
module ${name} (
${streamPorts(pe * BB, pe * OB)},
  input  wire [${pe * KB - 1}:0] in2_data,
  input  wire in2_valid,
  output wire in2_ready
);
  wire advance = !out_valid || out_ready;
  wire both = in_valid && in2_valid;
  assign in_ready = advance && in2_valid;
  assign in2_ready = advance && in_valid;
  reg [${pe * OB - 1}:0] sum;
  integer i;
  always @* begin
    for (i = 0; i < ${pe}; i = i + 1)
      sum[i*${OB} +: ${OB}] = $signed(in_data[i*${BB} +: ${BB}]) + ${skip};
  end
  always @(posedge clk) begin
    if (rst) out_valid <= 1'b0;
    else if (advance) begin
      out_valid <= both;
      if (both) out_data <= sum;
    end
  end
endmodule
`;
  return { name, verilog, files: {}, inWidth: pe * BB, outWidth: pe * OB };
}
