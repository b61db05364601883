/**
 * Vendor multiplier primitives behind a family switch. Yosys 0.23 (and 0.55) infer DSP48 blocks
 * from `*` for Xilinx but no DSP block for Gowin or Anlogic, so a product the estimate puts on a
 * DSP is written, for those families, as an instance of the vendor's 18 x 18 multiplier with
 * every register disabled (combinational, so the pipeline timing is the generic `*`'s):
 * - Gowin `MULT18X18` (Gowin UG287, "DSP" user guide: ports A, B, ASIGN, BSIGN, ASEL, BSEL, SIA,
 *   SIB, CE, CLK, RESET, DOUT, SOA, SOB; AREG/BREG/OUT_REG/PIPE_REG 0 = bypassed). Yosys 0.23's
 *   gowin/cells_sim.v has no model of it: `GOWIN_BLACKBOXES` declares it for synthesis.
 * - Anlogic `EG_PHY_MULT18` (declared in Yosys' anlogic/eagle_bb.v; INPUTREGA/INPUTREGB/OUTPUTREG
 *   "DISABLE").
 * The generic family keeps `*` (simulation, Xilinx inference, LUT multipliers).
 */

export type VendorMultiplier = 'gowin' | 'anlogic';

/** Operand width of the primitives (signed 18 x 18 -> 36). */
export const PRIMITIVE_BITS = 18;

/**
 * One primitive instance computing `p` (36 bits) = `a` * `b`, both 18-bit signed expressions.
 * `clk`/`rst` are wired only because the primitives have the ports; no register is enabled.
 */
export function multiplierInstance(vendor: VendorMultiplier, inst: string, a: string, b: string, p: string): string {
  if (vendor === 'gowin') {
    return `MULT18X18 #(.AREG(1'b0), .BREG(1'b0), .OUT_REG(1'b0), .PIPE_REG(1'b0), .ASIGN_REG(1'b0), .BSIGN_REG(1'b0), .SOA_REG(1'b0)) ${inst} (
      .A(${a}), .B(${b}), .ASIGN(1'b1), .BSIGN(1'b1), .ASEL(1'b0), .BSEL(1'b0), .SIA(18'd0), .SIB(18'd0),
      .CE(1'b1), .CLK(clk), .RESET(rst), .DOUT(${p}), .SOA(), .SOB());`;
  }
  return `EG_PHY_MULT18 #(.INPUTREGA("DISABLE"), .INPUTREGB("DISABLE"), .OUTPUTREG("DISABLE"), .MODE("MULT18X18C")) ${inst} (
      .a(${a}), .b(${b}), .signeda(1'b1), .signedb(1'b1), .acin(18'd0), .bcin(18'd0), .cea(1'b1), .ceb(1'b1), .cepd(1'b1),
      .clk(clk), .rstan(1'b1), .rstbn(1'b1), .rstpdn(1'b1), .sourcea(1'b0), .sourceb(1'b0), .p(${p}), .acout(), .bcout());`;
}

/** `expr` (a `bits`-wide slice) extended to 18 bits: sign-extended, or zero-extended when unsigned. */
export function extend18(expr: string, msb: string, bits: number, signed: boolean): string {
  if (bits > PRIMITIVE_BITS || (!signed && bits >= PRIMITIVE_BITS)) throw new RangeError(`a ${bits}-bit ${signed ? 'signed' : 'unsigned'} operand does not fit an 18-bit signed multiplier port`);
  const pad = PRIMITIVE_BITS - bits;
  if (pad === 0) return expr;
  return signed ? `{{${pad}{${msb}}}, ${expr}}` : `{${pad}'d0, ${expr}}`;
}

/**
 * A generate block of `count` products, product g of `a(g)` and `b(g)` (18-bit signed
 * expressions in the loop variable `g`) into `${wire}[g*36 +: 36]`.
 */
export function productArray(vendor: VendorMultiplier, wire: string, count: string, a: string, b: string): string {
  return `  wire [(${count})*36-1:0] ${wire};
  genvar g;
  generate
    for (g = 0; g < ${count}; g = g + 1) begin : ${wire}_dsp
      wire [17:0] a18 = ${a};
      wire [17:0] b18 = ${b};
      ${multiplierInstance(vendor, 'mul', 'a18', 'b18', `${wire}[g*36 +: 36]`)}
    end
  endgenerate
`;
}

/** Blackbox declaration of Gowin's MULT18X18 for Yosys 0.23, whose gowin cell library lacks it (synthesis only). */
export const GOWIN_BLACKBOXES = `// Gowin MULT18X18 port list (Gowin UG287), declared as a blackbox: Yosys 0.23 has no model of it.
(* blackbox *)
module MULT18X18 (DOUT, SOA, SOB, A, B, SIA, SIB, ASIGN, BSIGN, ASEL, BSEL, CE, CLK, RESET);
  parameter AREG = 1'b0;
  parameter BREG = 1'b0;
  parameter OUT_REG = 1'b0;
  parameter PIPE_REG = 1'b0;
  parameter ASIGN_REG = 1'b0;
  parameter BSIGN_REG = 1'b0;
  parameter SOA_REG = 1'b0;
  parameter MULT_RESET_MODE = "SYNC";
  input [17:0] A, B, SIA, SIB;
  input ASIGN, BSIGN, ASEL, BSEL, CE, CLK, RESET;
  output [35:0] DOUT;
  output [17:0] SOA, SOB;
endmodule
`;
