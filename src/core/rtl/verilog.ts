/**
 * Small helpers shared by the Verilog-2005 emitters: identifiers, bit widths, memory init files.
 * Every emitter returns one self-contained module with its sizes baked in as localparams.
 */

/** A Verilog identifier from a layer name ("/blocks/blocks.0/dw/conv/Conv" -> "blocks_blocks_0_dw_conv_Conv"). */
export function verilogName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[A-Za-z]/.test(s) ? s : `n_${s}`;
}

/** Bits to count 0..n-1 (at least 1). */
export const clog2 = (n: number): number => Math.max(1, Math.ceil(Math.log2(Math.max(2, n))));

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
/** Least common multiple of two positive integers (width converters' element and bit widths). */
export const lcm = (a: number, b: number): number => (a * b) / gcd(a, b);

/** Bits of a signed integer holding every value of `values` (at least 2). */
export function signedBits(values: ArrayLike<number>): number {
  let bits = 2;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    while (v < -(2 ** (bits - 1)) || v > 2 ** (bits - 1) - 1) bits++;
  }
  return bits;
}

/** Two's complement hex of `value` in `bits` bits. */
export function hexOf(value: number, bits: number): string {
  const digits = Math.ceil(bits / 4);
  const v = BigInt(value) & ((1n << BigInt(bits)) - 1n);
  return v.toString(16).padStart(digits, '0');
}

/** A packed word: element i (bits wide) at bits [i*bits +: bits], as hex for $readmemh. */
export function packWord(elements: ArrayLike<number>, bits: number): string {
  let v = 0n;
  const mask = (1n << BigInt(bits)) - 1n;
  for (let i = elements.length - 1; i >= 0; i--) v = (v << BigInt(bits)) | (BigInt(elements[i]) & mask);
  return v.toString(16).padStart(Math.ceil((elements.length * bits) / 4), '0');
}

/** Stream ports every engine has (AXI-stream-like valid/ready, element 0 in the low bits). */
export const streamPorts = (inWidth: number, outWidth: number): string =>
  `  input  wire clk,
  input  wire rst,
  input  wire [${inWidth - 1}:0] in_data,
  input  wire in_valid,
  output wire in_ready,
  output ${'reg '}[${outWidth - 1}:0] out_data,
  output reg  out_valid,
  input  wire out_ready`;

/** Ports of a stream module whose outputs are combinational (FIFO, width converter, fork). */
export const wireStreamPorts = (inWidth: number, outWidth: number): string =>
  `  input  wire clk,
  input  wire rst,
  input  wire [${inWidth - 1}:0] in_data,
  input  wire in_valid,
  output wire in_ready,
  output wire [${outWidth - 1}:0] out_data,
  output wire out_valid,
  input  wire out_ready`;

/** An emitted module and the memory init files it reads ($readmemh, paths relative to the simulation directory). */
export interface EmittedModule {
  name: string;
  verilog: string;
  files: Record<string, string>;
  inWidth: number;
  outWidth: number;
}

/**
 * A counter over 0 .. count-1 that wraps, with its wrap flag `<reg>_last` (reg == count - 1) in a
 * register of its own, set one step ahead. Derived from the count, the wrap is a compare over every
 * bit that feeds each bit's next value; Gowin's depth-first mapping (abc -lut 4:8) built each such
 * bit of a lone engine as one wide LUT (a 7-bit counter: 119 LUT4), docs/hardware-model.md
 * "Counters with registered wrap flags". Same cycle behaviour. The module declares `<reg>` (at least
 * clog2(count) bits) and `<reg>_last`.
 */
export function wrapCounterReset(reg: string, count: number): string {
  return `${reg} <= 0; ${reg}_last <= ${count === 1 ? "1'b1" : "1'b0"};`;
}

/**
 * Flip-flops of a `wrapCounterStep` counter over `count` as the engines declare it
 * (`reg [clog2(count):0]`, which Yosys keeps whole) plus its wrap flag, a constant that Yosys
 * removes at a count of 1. The estimator's features count counters with it.
 */
export function wrapCounterFlipFlops(count: number): number {
  return clog2(count) + 1 + (count > 1 ? 1 : 0);
}

/** One step of a `wrapCounterReset` counter (see there). */
export function wrapCounterStep(reg: string, count: number): string {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`counter ${reg}: count must be a positive integer, got ${count}`);
  return `${reg} <= ${reg}_last ? 0 : ${reg} + 1'b1; ${reg}_last <= ${count === 1 ? "1'b1" : `${reg} == ${count - 2}`};`;
}

/**
 * The output stage of the per-channel-fold engines (requantiser, thresholds): one register stage
 * with valid/ready, and the channel-fold counter `cf` (a `wrapCounterStep` counter over the
 * `channelFolds`) stepping with each accepted word. Expects `advance`, `res`, `cf` and `cf_last`
 * declared by the module; closes the module.
 */
export function registeredChannelFoldOutput(channelFolds: number): string {
  return `  always @(posedge clk) begin
    if (rst) begin
      ${wrapCounterReset('cf', channelFolds)} out_valid <= 1'b0;
    end else if (advance) begin
      out_valid <= in_valid;
      if (in_valid) begin
        out_data <= res;
        ${wrapCounterStep('cf', channelFolds)}
      end
    end
  end
endmodule
`;
}

/**
 * `expr * k` for a constant k >= 0 written as shifts and adds (one term per set bit), so that Yosys
 * builds it from adders: a `*` by a constant becomes a DSP48E1 on Xilinx whenever the product
 * has 9 bits or more (synth_xilinx map_dsp), which the estimate does not charge for address logic.
 * Same value in any context width (`expr` is wrapped in parentheses).
 */
export function constMul(expr: string, k: number): string {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`constMul: ${k} is not a non-negative integer`);
  if (k === 0) return '0';
  const terms: string[] = [];
  for (let bit = 0; 2 ** bit <= k; bit++) if (Math.floor(k / 2 ** bit) % 2 === 1) terms.push(bit === 0 ? `(${expr})` : `((${expr}) <<< ${bit})`);
  return terms.length === 1 ? terms[0] : `(${terms.join(' + ')})`;
}

/** Where the estimate put a memory (engines/common.ts `resolveWeightMem`, or 'uram' by the layer's choice). */
export type MemoryPlacement = 'bram' | 'lutram' | 'uram';

/**
 * The `ram_style` attribute that makes synthesis build a memory where the estimate put it.
 * Yosys' memory_libmap (0.23 and 0.55, checked on Gowin, Anlogic and Xilinx 7-series) honours
 * `ram_style` ("block", "logic", "distributed", "ultra"), as Vivado does. A ROM kept in LUTs is
 * "logic": Yosys' Gowin / Anlogic / Xilinx LUTRAM descriptions are marked `prune_rom`, so
 * "distributed" on a ROM finds no mapping; a writable memory kept in LUTs is "distributed".
 */
export function ramStyleAttribute(placement: MemoryPlacement, rom: boolean): string {
  const style = placement === 'bram' ? 'block' : placement === 'uram' ? 'ultra' : rom ? 'logic' : 'distributed';
  return `(* ram_style = "${style}" *) `;
}
