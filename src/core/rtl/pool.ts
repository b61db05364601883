/**
 * Global average pool emitter (FINN's GlobalAccPool, with the 1/(H*W) folded into a
 * multiply-shift requantiser on the output, src/core/rtl/integer.ts): PE channels per word, a
 * sum per channel over the map, then C/PE output words, so H*W*C/PE + C/PE cycles per frame
 * (the estimator's engines/pool.ts count).
 */
import type { Requant } from './integer.ts';
import { MULTIPLIER_BITS } from './integer.ts';
import { roundClipVerilog } from './requant.ts';
import { clog2, ramStyleAttribute, streamPorts, type EmittedModule } from './verilog.ts';

export interface GlobalPoolParams {
  name: string;
  channels: number;
  /** Input map [H, W]. */
  inDim: [number, number];
  pe: number;
  actBits: number;
  actSigned: boolean;
  /** Same multiplier on every channel, bias 0. */
  requant: Requant;
}

export function emitGlobalPool(p: GlobalPoolParams): EmittedModule {
  const { name, channels: C, pe, actBits: AB, requant: r } = p;
  if (C % pe !== 0) throw new RangeError(`${name}: PE ${pe} does not divide ${C} channels`);
  const CF = C / pe;
  const P = p.inDim[0] * p.inDim[1];
  const SUMW = AB + clog2(P) + 1;
  const PW = SUMW + MULTIPLIER_BITS + 1;
  const OB = r.out.bits;
  const m = r.multiplier[0];
  if (r.multiplier.some((v) => v !== m)) throw new RangeError(`${name}: the global pool takes one multiplier`);
  const inW = pe * AB;
  const outW = pe * OB;
  const x = p.actSigned ? `$signed(in_data[i*AB +: AB])` : `$signed({1'b0, in_data[i*AB +: AB]})`;
  const verilog = `// Global average pool ${name}: C=${C} over ${p.inDim.join('x')}, PE=${pe}; sum ${SUMW} b, * ${m} >>> ${r.shift} (${r.rounding}) -> ${OB} b
module ${name} (
${streamPorts(inW, outW)}
);
  localparam PE = ${pe}, AB = ${AB}, SUMW = ${SUMW}, PW = ${PW}, OB = ${OB}, CF = ${CF}, P = ${P};
  // The estimate keeps the per-channel sums in LUTRAM (registers for one fold): stated so synthesis does too.
  ${CF > 1 ? ramStyleAttribute('lutram', false) : ''}reg [PE*SUMW-1:0] accmem [0:CF-1];
  reg [${clog2(CF)}:0] cf;
  reg [${clog2(P)}:0] pix;
  reg emitting;
  wire advance = !out_valid || out_ready;
  assign in_ready = !emitting;
  reg [PE*SUMW-1:0] nextsum;
  reg signed [PW-1:0] prod, q;
  reg [${Math.max(1, r.shift)}-1:0] rest;
  reg [PE*OB-1:0] res;
  integer i;
  always @* begin
    for (i = 0; i < PE; i = i + 1) begin
      nextsum[i*SUMW +: SUMW] = (pix == 0 ? 0 : $signed(accmem[cf][i*SUMW +: SUMW])) + ${x};
      prod = $signed(accmem[cf][i*SUMW +: SUMW]) * $signed({1'b0, ${MULTIPLIER_BITS}'d${m}});
${roundClipVerilog('prod', PW, r, 'q')}
      res[i*OB +: OB] = q[OB-1:0];
    end
  end
  always @(posedge clk) begin
    if (rst) begin
      cf <= 0; pix <= 0; emitting <= 1'b0; out_valid <= 1'b0;
    end else begin
      if (!emitting) begin
        if (in_valid) begin
          accmem[cf] <= nextsum;
          if (cf == CF - 1) begin
            cf <= 0;
            if (pix == P - 1) begin pix <= 0; emitting <= 1'b1; end else pix <= pix + 1;
          end else cf <= cf + 1;
        end
        if (advance) out_valid <= 1'b0;
      end else if (advance) begin
        out_valid <= 1'b1;
        out_data <= res;
        if (cf == CF - 1) begin cf <= 0; emitting <= 1'b0; end else cf <= cf + 1;
      end
    end
  end
endmodule
`;
  return { name, verilog, files: {}, inWidth: inW, outWidth: outW };
}
