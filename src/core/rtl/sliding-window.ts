/**
 * Sliding-window generator emitter (FINN's ConvolutionInputGenerator, with FMPadding folded in:
 * positions outside the image read as zero, the zero point of the symmetric grids). A line
 * buffer of k_h rows (row r of the stream in slot r mod k_h), written one input word per cycle
 * and read one output word per cycle. Output order per output pixel:
 * - standard conv: ky, kx, then channel fold (the MVAU's k*k*Cin order, channel fastest);
 * - depthwise / pooling: channel fold, then ky, kx (the VVAU's order).
 * The reader starts a window once the last input pixel it needs has been written. The writer
 * overwrites a pixel of row r - k_h as soon as no present or future window needs it: rows above
 * the reader's top row, and columns left of its window in the rows only the current output row
 * uses (top .. top + s_h - 1).
 */
import { clog2, constMul, hexOf, ramStyleAttribute, streamPorts, type EmittedModule } from './verilog.ts';

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
  /** Where the estimate put the line buffer; written as `ram_style` so synthesis follows it. Omit to let the tool choose. */
  bufferMemory?: 'bram' | 'lutram';
}

/**
 * The line buffer the generator builds: k_h rows of W pixels (the unpadded input width: padding
 * is generated, not stored) x CF channel-fold words of SIMD x actBits bits. The estimator counts
 * its block RAM and LUTRAM from this same shape.
 */
export function lineBufferShape(p: { width: number; kernelH: number; channelFold: number; wordBits: number }): { rows: number; depth: number; width: number } {
  return { rows: p.kernelH, depth: p.kernelH * p.width * p.channelFold, width: p.wordBits };
}

/** a mod m for a possibly negative a. */
const modulo = (a: number, m: number): number => ((a % m) + m) % m;

export function emitSlidingWindow(p: SlidingWindowParams): EmittedModule {
  const { name, channels: C, simd, actBits: AB } = p;
  if (C % simd !== 0) throw new RangeError(`${name}: SIMD ${simd} does not divide ${C} channels`);
  const CF = C / simd;
  const [H, W] = p.inDim;
  const [OH, OW] = p.outDim;
  const [KH, KW] = p.kernel;
  const [SH, SW] = p.stride;
  const [PT, PL] = p.pads;
  if (PT >= KH || PL >= KW) throw new RangeError(`${name}: padding ${PT},${PL} reaches past the ${KH}x${KW} kernel (a window of padding only)`);
  const { rows: K, depth, width } = lineBufferShape({ width: W, kernelH: KH, channelFold: CF, wordBits: simd * AB });
  const SB = clog2(K);
  // Slot steps of the top row: to the next output row, and from the last output row to the next frame's first.
  const rowStep = modulo(SH, K);
  const frameStep = modulo(H - (OH - 1) * SH, K);
  const wrapAdd = (slot: string, add: number): string => (add === 0 ? slot : `(${slot} >= ${K - add}) ? ${slot} - ${K - add} : ${slot} + ${add}`);
  // Loop order of the reader: outer to inner.
  const inner = p.depthwise ? ['rcf', 'ky', 'kx'] : ['ky', 'kx', 'rcf'];
  const limit: Record<string, number> = { rcf: CF, ky: KH, kx: KW };
  const step = (vars: string[], tail: string): string => {
    // Nested "if last then reset and carry, else increment" for the reader's counters.
    if (!vars.length) return tail;
    const v = vars[vars.length - 1];
    return `if (${v} == ${limit[v] - 1}) begin ${v} <= 0; ${step(vars.slice(0, -1), tail)} end else ${v} <= ${v} + 1;`;
  };
  const nextPixel = `if (ox == ${OW - 1}) begin
          ox <= 0;
          if (oy == ${OH - 1}) begin oy <= 0; rbase <= rbase + H; pbase <= pbase + H * W; top_slot <= ${wrapAdd('top_slot', frameStep)}; end
          else begin oy <= oy + 1; top_slot <= ${wrapAdd('top_slot', rowStep)}; end
        end else ox <= ox + 1;`;
  const verilog = `// Sliding window ${name}: C=${C} SIMD=${simd}, ${H}x${W} -> ${OH}x${OW}, k ${KH}x${KW}, stride ${SH}x${SW}, pads ${p.pads.join(',')}, ${p.depthwise ? 'depthwise' : 'standard'} order; ${K} line-buffer rows
module ${name} (
${streamPorts(width, width)}
);
  localparam CF = ${CF}, H = ${H}, W = ${W}, OH = ${OH}, OW = ${OW}, K = ${K};
  ${p.bufferMemory ? ramStyleAttribute(p.bufferMemory, false) : ''}reg [${width - 1}:0] buffer [0:${depth - 1}];
  // Writer: column, channel fold and row slot; absolute row / pixel counts over all frames.
  reg [${clog2(W)}:0] wx;
  reg [${clog2(CF)}:0] wcf;
  reg [${SB - 1}:0] wslot;
  reg [31:0] wrow, wpix;
  // Reader: output pixel, window position, channel fold; first row and pixel of its frame; slot of its top row.
  reg [${clog2(OH)}:0] oy;
  reg [${clog2(OW)}:0] ox;
  reg [${clog2(KH)}:0] ky;
  reg [${clog2(KW)}:0] kx;
  reg [${clog2(CF)}:0] rcf;
  reg [31:0] rbase, pbase;
  reg [${SB - 1}:0] top_slot;
  wire advance = !out_valid || out_ready;

  wire signed [31:0] top = ${constMul("$signed({1'b0, oy})", SH)} - ${PT};
  wire signed [31:0] left = ${constMul("$signed({1'b0, ox})", SW)} - ${PL};
  wire signed [31:0] iy = top + ky;
  wire signed [31:0] ix = left + kx;
  wire signed [31:0] last_y = (top + ${KH - 1} > ${H - 1}) ? ${H - 1} : top + ${KH - 1};
  wire signed [31:0] last_x = (left + ${KW - 1} > ${W - 1}) ? ${W - 1} : left + ${KW - 1};
  wire signed [31:0] top_row = $signed(rbase) + top;
  wire [31:0] low_row = rbase + ((top < 0) ? 0 : top);
  wire [31:0] need_pix = pbase + ${constMul('last_y', W)} + last_x;
  wire window_ready = wpix > need_pix;
  wire pad = (iy < 0) || (iy >= H) || (ix < 0) || (ix >= W);
  wire [${SB}:0] slot_sum = top_slot + ky;
  wire [${SB - 1}:0] slot = (slot_sum >= K) ? slot_sum - K : slot_sum;
  wire [31:0] raddr = ${constMul(`${constMul('slot', W)} + ix`, CF)} + rcf;
  wire [31:0] waddr = ${constMul(`${constMul('wslot', W)} + wx`, CF)} + wcf;
  // Writing row wrow overwrites row wrow - K at column wx: free once it is above the reader's
  // lowest needed row, or in a row only the current output row uses and left of its window.
  // Deadlock-free: while the reader waits, the writer is at or before the window's last pixel, so
  // wrow <= top_row + ${KH - 1} and wrow - K < top_row <= low_row: the slot it overwrites is free.
  assign in_ready = (wrow < low_row + K) || ($signed(wrow) < top_row + ${SH + K} && $signed({1'b0, wx}) < left);

  always @(posedge clk) begin
    if (rst) begin
      wx <= 0; wcf <= 0; wslot <= 0; wrow <= 0; wpix <= 0;
    end else if (in_valid && in_ready) begin
      buffer[waddr] <= in_data;
      if (wcf == CF - 1) begin
        wcf <= 0;
        wpix <= wpix + 1;
        if (wx == W - 1) begin
          wx <= 0;
          wrow <= wrow + 1;
          wslot <= ${wrapAdd('wslot', 1 % K)};
        end else wx <= wx + 1;
      end else wcf <= wcf + 1;
    end
  end

  always @(posedge clk) begin
    if (rst) begin
      oy <= 0; ox <= 0; ky <= 0; kx <= 0; rcf <= 0; rbase <= 0; pbase <= 0; top_slot <= ${modulo(-PT, K)}; out_valid <= 1'b0;
    end else if (advance) begin
      out_valid <= window_ready;
      if (window_ready) begin
        out_data <= pad ? ${p.padElement ? `{${simd}{${AB}'h${hexOf(p.padElement, AB)}}}` : '0'} : buffer[raddr];
        ${step(inner, nextPixel)}
      end
    end
  end
endmodule
`;
  return { name, verilog, files: {}, inWidth: width, outWidth: width };
}
