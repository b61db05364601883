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

/** Bits of a global pool's per-channel sum: the activation plus clog2(H*W) plus a sign bit (the estimate counts the same). */
export const globalPoolSumBits = (actBits: number, pixels: number): number => actBits + clog2(pixels) + 1;

export function emitGlobalPool(p: GlobalPoolParams): EmittedModule {
  const { name, channels: C, pe, actBits: AB, requant: r } = p;
  if (C % pe !== 0) throw new RangeError(`${name}: PE ${pe} does not divide ${C} channels`);
  const CF = C / pe;
  const P = p.inDim[0] * p.inDim[1];
  const SUMW = globalPoolSumBits(AB, P);
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

export interface MaxPoolParams {
  name: string;
  channels: number;
  actBits: number;
  actSigned: boolean;
}

/** Per lane: `into` = the larger of `a` and `b` (signed or unsigned), or `a` when `takeA` holds. */
function laneMax(lanes: number, ab: number, signed: boolean, into: string, a: string, b: string, takeA: string): string {
  const as = (v: string) => (signed ? `$signed(${v}[i*${ab} +: ${ab}])` : `${v}[i*${ab} +: ${ab}]`);
  return `  integer i;
  always @* for (i = 0; i < ${lanes}; i = i + 1) ${into}[i*${ab} +: ${ab}] = (${takeA} || ${as(a)} > ${as(b)}) ? ${a}[i*${ab} +: ${ab}] : ${b}[i*${ab} +: ${ab}];
`;
}

export interface StreamingMaxPoolParams extends MaxPoolParams {
  /** Input map [H, W]; the window tiles it (stride = pool size, no padding), leftover rows / columns are dropped. */
  imgDim: [number, number];
  poolDim: [number, number];
}

/**
 * FINN's StreamingMaxPool: every channel of a pixel in one word; a row of OW partial maxima
 * (LUTRAM), updated one input pixel per cycle; after the last input row of each pooled row the
 * OW maxima leave, one per cycle, while the input waits (as FINN's HLS does). So a frame takes
 * H*W + OH*OW cycles: FINN's count ImgDim^2 (1 + 1/k^2) (engines/pool.ts) for a square map that
 * the window divides.
 */
export function emitStreamingMaxPool(p: StreamingMaxPoolParams): EmittedModule {
  const { name, channels: C, actBits: AB } = p;
  const [H, W] = p.imgDim;
  const [KH, KW] = p.poolDim;
  const OH = Math.floor(H / KH);
  const OW = Math.floor(W / KW);
  if (OH < 1 || OW < 1) throw new RangeError(`${name}: pool ${KH}x${KW} is larger than the ${H}x${W} map`);
  const width = C * AB;
  const verilog = `// Streaming max pool ${name}: C=${C} (one pixel per word), ${H}x${W} -> ${OH}x${OW}, pool ${KH}x${KW}, ${AB}-bit ${p.actSigned ? 'signed' : 'unsigned'}
module ${name} (
${streamPorts(width, width)}
);
  localparam H = ${H}, W = ${W}, KH = ${KH}, KW = ${KW}, OH = ${OH}, OW = ${OW};
  // One row of partial maxima: LUTRAM, as the estimate counts it.
  ${ramStyleAttribute('lutram', false)}reg [${width - 1}:0] rowmax [0:OW-1];
  reg [${clog2(W)}:0] x;
  reg [${clog2(H)}:0] y;
  reg [${clog2(KW)}:0] kx;
  reg [${clog2(KH)}:0] ky;
  // Pooled column of the input pixel (OW in the dropped columns) and pooled rows done this frame.
  reg [${clog2(OW + 1)}:0] ox;
  reg [${clog2(OH + 1)}:0] oy;
  reg emitting;
  reg [${clog2(OW)}:0] ecount;
  wire advance = !out_valid || out_ready;
  assign in_ready = !emitting;
  wire in_map = (ox < OW) && (oy < OH);
  wire [${width - 1}:0] old = rowmax[emitting ? ecount : ox];
  reg [${width - 1}:0] merged;
${laneMax(C, AB, p.actSigned, 'merged', 'in_data', 'old', '(kx == 0 && ky == 0)')}
  always @(posedge clk) begin
    if (rst) begin
      x <= 0; y <= 0; kx <= 0; ky <= 0; ox <= 0; oy <= 0; emitting <= 1'b0; ecount <= 0; out_valid <= 1'b0;
    end else if (!emitting) begin
      if (advance) out_valid <= 1'b0;
      if (in_valid) begin
        if (in_map) rowmax[ox] <= merged;
        if (x == W - 1) begin
          x <= 0; kx <= 0; ox <= 0;
          if (ky == KH - 1 && oy < OH) emitting <= 1'b1;
          if (y == H - 1) begin
            y <= 0; ky <= 0; oy <= 0;
          end else begin
            y <= y + 1;
            if (ky == KH - 1) begin ky <= 0; oy <= oy + 1; end else ky <= ky + 1;
          end
        end else begin
          x <= x + 1;
          if (kx == KW - 1) begin kx <= 0; ox <= ox + 1; end else kx <= kx + 1;
        end
      end
    end else if (advance) begin
      out_valid <= 1'b1;
      out_data <= old;
      if (ecount == OW - 1) begin ecount <= 0; emitting <= 1'b0; end else ecount <= ecount + 1;
    end
  end
endmodule
`;
  return { name, verilog, files: {}, inWidth: width, outWidth: width };
}

export interface WindowMaxPoolParams extends MaxPoolParams {
  pe: number;
  kernel: [number, number];
}

/**
 * FINN's Pool (max) after a depthwise sliding window: PE channels per word, the window's k*k
 * words of a pixel and channel fold in a row (src/core/rtl/sliding-window.ts), their maximum out;
 * one input word per cycle, so C*k*k/PE x pixels cycles per frame (engines/pool.ts poolCycles).
 * The window pads with the grid's minimum, which never wins.
 */
export function emitWindowMaxPool(p: WindowMaxPoolParams): EmittedModule {
  const { name, channels: C, pe, actBits: AB } = p;
  if (C % pe !== 0) throw new RangeError(`${name}: PE ${pe} does not divide ${C} channels`);
  const K2 = p.kernel[0] * p.kernel[1];
  const width = pe * AB;
  const verilog = `// Max pool ${name}: C=${C} PE=${pe}, window ${p.kernel.join('x')} from a depthwise sliding window, ${AB}-bit ${p.actSigned ? 'signed' : 'unsigned'}
module ${name} (
${streamPorts(width, width)}
);
  localparam K2 = ${K2};
  reg [${clog2(K2)}:0] k;
  reg [${width - 1}:0] best, merged;
  wire advance = !out_valid || out_ready;
  assign in_ready = advance;
${laneMax(pe, AB, p.actSigned, 'merged', 'in_data', 'best', '(k == 0)')}
  always @(posedge clk) begin
    if (rst) begin
      k <= 0; out_valid <= 1'b0;
    end else if (advance) begin
      out_valid <= 1'b0;
      if (in_valid) begin
        if (k == K2 - 1) begin
          k <= 0; out_valid <= 1'b1; out_data <= merged;
        end else begin
          k <= k + 1; best <= merged;
        end
      end
    end
  end
endmodule
`;
  return { name, verilog, files: {}, inWidth: width, outWidth: width };
}
