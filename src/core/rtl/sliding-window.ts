/**
 * Sliding-window generator emitter (FINN's ConvolutionInputGenerator, with FMPadding folded in:
 * positions outside the image read as zero, the zero point of the symmetric grids). A line
 * buffer of NR rows (the next power of two >= k_h + s_h, so reading row r of the window and
 * writing row r + NR never meet), written one input word per cycle and read one output word per
 * cycle. Output order per output pixel:
 * - standard conv: ky, kx, then channel fold (the MVAU's k*k*Cin order, channel fastest);
 * - depthwise / pooling: channel fold, then ky, kx (the VVAU's order).
 * The reader starts a window once the last input pixel it needs has been written; the writer
 * runs ahead up to NR rows past the lowest row the reader still needs.
 */
import { clog2, constMul, hexOf, streamPorts, type EmittedModule } from './verilog.ts';

export interface SlidingWindowParams {
  name: string;
  channels: number;
  /** Elements (channels) per word. */
  simd: number;
  actBits: number;
  /** Input map [H, W] before padding, output map [OH, OW]. */
  inDim: [number, number];
  outDim: [number, number];
  kernel: [number, number];
  stride: [number, number];
  /** [top, left, bottom, right] zero padding. */
  pads: [number, number, number, number];
  depthwise: boolean;
  /** Value of a padded position (default 0, the zero point; a max pool pads with the grid's minimum). */
  padElement?: number;
}

export function emitSlidingWindow(p: SlidingWindowParams): EmittedModule {
  const { name, channels: C, simd, actBits: AB } = p;
  if (C % simd !== 0) throw new RangeError(`${name}: SIMD ${simd} does not divide ${C} channels`);
  const CF = C / simd;
  const [H, W] = p.inDim;
  const [OH, OW] = p.outDim;
  const [KH, KW] = p.kernel;
  const [SH, SW] = p.stride;
  const [PT, PL] = p.pads;
  const NR = 2 ** clog2(KH + SH);
  const RB = clog2(NR);
  const width = simd * AB;
  const depth = NR * W * CF;
  // Loop order of the reader: outer to inner.
  const inner = p.depthwise ? ['rcf', 'ky', 'kx'] : ['ky', 'kx', 'rcf'];
  const limit: Record<string, number> = { rcf: CF, ky: KH, kx: KW, oy: OH, ox: OW };
  const step = (vars: string[], tail: string): string => {
    // Nested "if last then reset and carry, else increment" for the reader's counters.
    if (!vars.length) return tail;
    const v = vars[vars.length - 1];
    return `if (${v} == ${limit[v] - 1}) begin ${v} <= 0; ${step(vars.slice(0, -1), tail)} end else ${v} <= ${v} + 1;`;
  };
  const verilog = `// Sliding window ${name}: C=${C} SIMD=${simd}, ${H}x${W} -> ${OH}x${OW}, k ${KH}x${KW}, stride ${SH}x${SW}, pads ${p.pads.join(',')}, ${p.depthwise ? 'depthwise' : 'standard'} order; ${NR} line-buffer rows
module ${name} (
${streamPorts(width, width)}
);
  localparam CF = ${CF}, H = ${H}, W = ${W}, OH = ${OH}, OW = ${OW}, NR = ${NR};
  reg [${width - 1}:0] buffer [0:${depth - 1}];
  // Writer: position in the input frame, and absolute row / pixel counts over all frames.
  reg [${clog2(W)}:0] wx;
  reg [${clog2(H)}:0] wy;
  reg [${clog2(CF)}:0] wcf;
  reg [31:0] wrow, wpix;
  // Reader: output pixel, window position, channel fold; first row and pixel of its frame.
  reg [${clog2(OH)}:0] oy;
  reg [${clog2(OW)}:0] ox;
  reg [${clog2(KH)}:0] ky;
  reg [${clog2(KW)}:0] kx;
  reg [${clog2(CF)}:0] rcf;
  reg [31:0] rbase, pbase;
  wire advance = !out_valid || out_ready;

  wire signed [31:0] top = ${constMul("$signed({1'b0, oy})", SH)} - ${PT};
  wire signed [31:0] left = ${constMul("$signed({1'b0, ox})", SW)} - ${PL};
  wire signed [31:0] iy = top + ky;
  wire signed [31:0] ix = left + kx;
  wire signed [31:0] last_y = (top + ${KH - 1} > ${H - 1}) ? ${H - 1} : top + ${KH - 1};
  wire signed [31:0] last_x = (left + ${KW - 1} > ${W - 1}) ? ${W - 1} : left + ${KW - 1};
  wire [31:0] low_row = rbase + ((top < 0) ? 0 : top);
  wire [31:0] need_pix = pbase + ${constMul('last_y', W)} + last_x;
  wire window_ready = wpix > need_pix;
  wire pad = (iy < 0) || (iy >= H) || (ix < 0) || (ix >= W);
  wire [31:0] row_abs = rbase + iy;
  wire [${RB - 1}:0] slot = row_abs[${RB - 1}:0];
  wire [${RB - 1}:0] wslot = wrow[${RB - 1}:0];
  wire [31:0] raddr = ${constMul(`${constMul('slot', W)} + ix`, CF)} + rcf;
  wire [31:0] waddr = ${constMul(`${constMul('wslot', W)} + wx`, CF)} + wcf;
  assign in_ready = wrow < low_row + NR;

  always @(posedge clk) begin
    if (rst) begin
      wx <= 0; wy <= 0; wcf <= 0; wrow <= 0; wpix <= 0;
    end else if (in_valid && in_ready) begin
      buffer[waddr] <= in_data;
      if (wcf == CF - 1) begin
        wcf <= 0;
        wpix <= wpix + 1;
        if (wx == W - 1) begin
          wx <= 0;
          wrow <= wrow + 1;
          wy <= (wy == H - 1) ? 0 : wy + 1;
        end else wx <= wx + 1;
      end else wcf <= wcf + 1;
    end
  end

  always @(posedge clk) begin
    if (rst) begin
      oy <= 0; ox <= 0; ky <= 0; kx <= 0; rcf <= 0; rbase <= 0; pbase <= 0; out_valid <= 1'b0;
    end else if (advance) begin
      out_valid <= window_ready;
      if (window_ready) begin
        out_data <= pad ? ${p.padElement ? `{${simd}{${AB}'h${hexOf(p.padElement, AB)}}}` : '0'} : buffer[raddr];
        ${step(inner, step(['oy', 'ox'], `rbase <= rbase + H; pbase <= pbase + H * W;`))}
      end
    end
  end
endmodule
`;
  return { name, verilog, files: {}, inWidth: width, outWidth: width };
}
