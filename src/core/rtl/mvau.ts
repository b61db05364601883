/**
 * MVAU emitter: matrix-vector unit for standard conv (after the sliding window), pointwise conv
 * and fully connected layers, folded PE x SIMD as FINN's MVAU: an input vector of MW elements
 * arrives as MW/SIMD words; for each of the MH/PE neuron folds the unit walks those words (the
 * words are kept in a double buffer and every fold re-reads them), so a vector takes
 * (MH/PE) x (MW/SIMD) cycles, the estimator's engines/mvau.ts count. Two pipeline stages
 * (weight read, dot product + accumulate); the whole pipe stalls only when the output is refused.
 */
import { clog2, packWord, ramStyleAttribute, streamPorts, wrapCounterReset, wrapCounterStep, type EmittedModule, type MemoryPlacement } from './verilog.ts';
import { extend18, productArray, type VendorMultiplier } from './vendor-mul.ts';

/** What every multiply-accumulate engine (MVAU, VVAU) is emitted from. */
export interface MacEngineParams {
  name: string;
  pe: number;
  simd: number;
  weightBits: number;
  actBits: number;
  actSigned: boolean;
  /** Accumulator (and output element) width. */
  accBits: number;
  /** Integer weights, in the engine's own order (see each engine). */
  weights: ArrayLike<number>;
  /** Products on this vendor's multiplier primitive (vendor-mul.ts) instead of `*`; omit for the generic design. */
  vendorMultiplier?: VendorMultiplier;
  /** Where the estimate put the weights; written as `ram_style` so synthesis follows it. Omit to let the tool choose. */
  weightMemory?: MemoryPlacement;
  /**
   * The estimate builds the products in LUTs (mulStyle 'lut', no DSP): written as shift-and-add
   * (`lutProductFunction`) instead of `*`, which Yosys 0.23 `synth_xilinx` maps to a DSP48E1
   * whatever the estimate chose. Not with `vendorMultiplier` (those families infer no DSP from `*`).
   */
  lutProducts?: boolean;
}

/**
 * Products one packed multiply computes (MVAU only: PE lanes share the activation): the
 * estimate's `dspLanes` (engines/common.ts dspPacking). 1 or absent: one `*` per product.
 */
export interface PackedProducts {
  dspLanes?: number;
}

/** The weight memory's attribute ('' when the caller leaves the choice to the tool). */
export const weightMemoryAttribute = (p: Pick<MacEngineParams, 'weightMemory'>): string => (p.weightMemory ? ramStyleAttribute(p.weightMemory, true) : '');

export interface MvauParams extends MacEngineParams, PackedProducts {
  /** Matrix width (k*k*Cin or input features) and height (output channels); weights row-major [mh][mw]. */
  mw: number;
  mh: number;
  /** Per output channel bias added to the output (the last layer, whose accumulators are the logits); omit otherwise. */
  bias?: ArrayLike<number>;
}

/** Weight memory: word nf*SF + sf holds PE x SIMD weights, element p*SIMD + s = W[nf*PE + p][sf*SIMD + s]. */
export function mvauWeightWords(mw: number, mh: number, pe: number, simd: number, weights: ArrayLike<number>): number[][] {
  const words: number[][] = [];
  for (let nf = 0; nf < mh / pe; nf++)
    for (let sf = 0; sf < mw / simd; sf++) {
      const w: number[] = [];
      for (let p = 0; p < pe; p++) for (let s = 0; s < simd; s++) w.push(weights[(nf * pe + p) * mw + sf * simd + s]);
      words.push(w);
    }
  return words;
}

/**
 * The accumulate-and-emit stage shared by MVAU and VVAU: per lane, acc = (first ? 0 : acc) + term;
 * on the last word the sum (plus `outExtra`) goes out. Terms index the lane with `lane`. Needs s1_valid/s1_first/s1_last, advance.
 */
export function accumulateStage(term: string, outExtra = ''): string {
  return `  reg [PE*ACC-1:0] accv;
  reg signed [ACC-1:0] sum;
  integer lane;
  always @(posedge clk) begin
    if (rst) begin
      out_valid <= 1'b0;
    end else if (advance) begin
      out_valid <= s1_valid && s1_last;
      if (s1_valid) begin
        for (lane = 0; lane < PE; lane = lane + 1) begin
          sum = (s1_first ? 0 : $signed(accv[lane*ACC +: ACC])) + ${term};
          accv[lane*ACC +: ACC] <= sum;
          out_data[lane*ACC +: ACC] <= sum${outExtra};
        end
      end
    end
  end
`;
}

/**
 * `lut_mul(w, x)`: the W x A product as the sum of the weight shifted by each set activation bit
 * (the top bit's term subtracted when the activation is signed). No `*` is left for Yosys 0.23
 * `synth_xilinx` to map to a DSP48E1 (its mul2dsp takes every `$mul` with a result of 9+ bits, and
 * no attribute opts a product out: docs/hardware-model.md "LUT multipliers on Xilinx"), so the
 * product is built from adders in LUTs and carry chains, where the estimate put it. Needs localparams WB, AB.
 */
export function lutProductFunction(actSigned: boolean): string {
  return `  function signed [WB+AB-1:0] lut_mul(input signed [WB-1:0] w, input [AB-1:0] x);
    integer b;
    begin
      lut_mul = 0;
      for (b = 0; b < AB; b = b + 1)
        if (x[b]) lut_mul = ${actSigned ? '(b == AB - 1) ? lut_mul - (w <<< b) : ' : ''}lut_mul + (w <<< b);
    end
  endfunction
`;
}

/** One product of a WB-bit weight slice and an AB-bit activation slice: `*`, or `lut_mul` for products in LUTs. */
export const productTerm = (w: string, x: string, actSigned: boolean, lutProducts: boolean | undefined): string =>
  lutProducts ? `lut_mul(${w}, ${x})` : `$signed(${w}) * ${activationOperand(x, actSigned)}`;

export const activationOperand = (expr: string, signed: boolean): string => (signed ? `$signed(${expr})` : `$signed({1'b0, ${expr}})`);

/**
 * Products of `lanes` PE lanes that share the activation, on one multiply (the INT8 packing of
 * Xilinx WP487 and FINN's mvu_8sx8u_dsp48, in the form the generator writes): lane l's weight is
 * placed at bit l*S, S = WB + AB bits apart, so the packed product is sum_l (w_l * x) * 2^(l*S).
 * Each w_l * x fits S signed bits, so the lanes are taken back from the bottom: the low S bits
 * (as signed) are lane 0's product; removing it leaves (P >>> S) + (lane 0 negative), and so on.
 * The packed weight needs (lanes-1)*S + WB + 1 bits (the lower lanes' sum can take the top lane
 * one past its own range; engines/common.ts keeps it within DSP48E1's 25-bit port), so Yosys maps
 * each packed product to one DSP48E1.
 */
export function packedDotProducts(lanes: number, WB: number, AB: number, actSigned: boolean): string {
  const S = WB + AB;
  const PW = (lanes - 1) * S + WB + 1;
  const PPW = PW + AB + 1;
  return `  localparam L = ${lanes}, S = ${S}, PW = ${PW}, PPW = ${PPW}, G = (PE + L - 1) / L;
  reg [PE*ACC-1:0] dotv;
  reg signed [PW-1:0] wpack;
  reg signed [PPW-1:0] pprod, rest_p;
  reg signed [S-1:0] lanep;
  integer i, j, l;
  always @* begin
    dotv = {PE*ACC{1'b0}};
    for (i = 0; i < G; i = i + 1)
      for (j = 0; j < SIMD; j = j + 1) begin
        wpack = 0;
        for (l = 0; l < L; l = l + 1)
          if (i*L + l < PE) wpack = wpack + ($signed(s1_w[((i*L + l)*SIMD + j)*WB +: WB]) <<< (l*S));
        pprod = wpack * ${activationOperand('s1_x[j*AB +: AB]', actSigned)};
        rest_p = pprod;
        for (l = 0; l < L; l = l + 1) begin
          lanep = rest_p[S-1:0];
          if (i*L + l < PE) dotv[(i*L + l)*ACC +: ACC] = $signed(dotv[(i*L + l)*ACC +: ACC]) + lanep;
          rest_p = (rest_p >>> S) + $signed({1'b0, rest_p[S-1]});
        end
      end
  end
`;
}

/** Products go one way: packed on DSPs, on vendor primitives, or in LUTs. */
export function assertProductForm(p: Pick<MacEngineParams, 'name' | 'vendorMultiplier' | 'lutProducts'>, lanes = 1): void {
  if (p.lutProducts && (p.vendorMultiplier || lanes > 1)) throw new RangeError(`${p.name}: products in LUTs are not also on ${p.vendorMultiplier ? `${p.vendorMultiplier} primitives` : 'packed DSPs'}`);
}

export function emitMvau(p: MvauParams): EmittedModule {
  const { name, mw, mh, pe, simd, weightBits: WB, actBits: AB, accBits: ACC } = p;
  if (mw % simd !== 0 || mh % pe !== 0) throw new RangeError(`${name}: PE ${pe} / SIMD ${simd} do not divide ${mh} x ${mw}`);
  const SF = mw / simd;
  const NF = mh / pe;
  const wfile = `${name}_weights.hex`;
  const files: Record<string, string> = { [wfile]: mvauWeightWords(mw, mh, pe, simd, p.weights).map((w) => packWord(w, WB)).join('\n') + '\n' };
  const bfile = `${name}_bias.hex`;
  if (p.bias) {
    const words: string[] = [];
    for (let nf = 0; nf < NF; nf++) words.push(packWord(Array.from({ length: pe }, (_, k) => p.bias![nf * pe + k]), ACC));
    files[bfile] = words.join('\n') + '\n';
  }
  const lanes = Math.min(p.dspLanes ?? 1, pe);
  if (!Number.isInteger(lanes) || lanes < 1) throw new RangeError(`${name}: dspLanes must be a positive integer, got ${p.dspLanes}`);
  if (lanes > 1 && p.vendorMultiplier) throw new RangeError(`${name}: packed products are written with \`*\` (Xilinx DSP48 inference), not on ${p.vendorMultiplier} primitives`);
  assertProductForm(p, lanes);
  const inW = simd * AB;
  const outW = pe * ACC;
  const verilog = `// MVAU ${name}: MW=${mw} MH=${mh} PE=${pe} SIMD=${simd}, W${WB} A${AB}${p.actSigned ? 's' : 'u'}, acc ${ACC} b; ${NF * SF} cycles per vector
module ${name} (
${streamPorts(inW, outW)}
);
  localparam PE = ${pe}, SIMD = ${simd}, WB = ${WB}, AB = ${AB}, ACC = ${ACC};
  localparam SF = ${SF}, NF = ${NF};
  ${weightMemoryAttribute(p)}reg [PE*SIMD*WB-1:0] wmem [0:NF*SF-1];
  initial $readmemh("${wfile}", wmem);
${p.bias ? `  ${p.weightMemory ? ramStyleAttribute('lutram', true) : ''}reg [PE*ACC-1:0] bmem [0:NF-1];\n  initial $readmemh("${bfile}", bmem);\n` : ''}  // Input vector double buffer: the stream fills one bank while the folds walk the other, so
  // the unit takes its input at the average rate and the FIFO in front never has to hold a vector.
  // The estimate charges it to LUTs (no block RAM), so it is stated as distributed with the weights'.
  ${p.weightMemory ? ramStyleAttribute('lutram', false) : ''}reg [SIMD*AB-1:0] ibuf [0:2*SF-1];
  reg [1:0] full;
  reg wbank, rbank;
  reg [${clog2(SF)}:0] wsf, sf;
  reg [${clog2(NF)}:0] nf;
  reg wsf_last, sf_last, nf_last;
  wire advance = !out_valid || out_ready;
  wire issue = advance && full[rbank];
  assign in_ready = !full[wbank];
  wire take = in_valid && in_ready;
  wire release_bank = issue && sf_last && nf_last;

  always @(posedge clk) begin
    if (rst) begin
      ${wrapCounterReset('wsf', SF)} wbank <= 1'b0;
    end else if (take) begin
      ibuf[(wbank ? SF : 0) + wsf] <= in_data;
      ${wrapCounterStep('wsf', SF)}
      if (wsf_last) wbank <= ~wbank;
    end
  end
  always @(posedge clk) begin
    if (rst) full <= 2'b00;
    else full <= (full | ((take && wsf_last) ? (2'b01 << wbank) : 2'b00)) & ~(release_bank ? (2'b01 << rbank) : 2'b00);
  end

  reg s1_valid, s1_first, s1_last;
  reg [SIMD*AB-1:0] s1_x;
  reg [PE*SIMD*WB-1:0] s1_w;
  reg [${clog2(NF)}:0] s1_nf;
  // Weight address nf * SF + sf, counted (a multiply by SF would become a DSP on Xilinx).
  reg [${clog2(NF * SF)}:0] waddr;
  reg waddr_last;
  always @(posedge clk) begin
    if (rst) begin
      ${wrapCounterReset('sf', SF)} ${wrapCounterReset('nf', NF)} rbank <= 1'b0; s1_valid <= 1'b0; ${wrapCounterReset('waddr', NF * SF)}
    end else if (advance) begin
      s1_valid <= issue;
      if (issue) begin
        s1_x <= ibuf[(rbank ? SF : 0) + sf];
        s1_w <= wmem[waddr];
        ${wrapCounterStep('waddr', NF * SF)}
        s1_first <= (sf == 0);
        s1_last <= sf_last;
        s1_nf <= nf;
        ${wrapCounterStep('sf', SF)}
        if (sf_last) begin
          ${wrapCounterStep('nf', NF)}
          if (nf_last) rbank <= ~rbank;
        end
      end
    end
  end

  // Dot products of the SIMD lanes, one per PE.
${lanes > 1 ? packedDotProducts(lanes, WB, AB, p.actSigned) : `${p.vendorMultiplier ? productArray(p.vendorMultiplier, 'prods', 'PE*SIMD', extend18('s1_w[g*WB +: WB]', 's1_w[g*WB + WB-1]', WB, true), extend18('s1_x[(g % SIMD)*AB +: AB]', 's1_x[(g % SIMD)*AB + AB-1]', AB, p.actSigned)) : ''}  reg [PE*ACC-1:0] dotv;
  reg signed [ACC-1:0] t;
${p.lutProducts ? lutProductFunction(p.actSigned) : ''}  integer i, j;
  always @* begin
    for (i = 0; i < PE; i = i + 1) begin
      t = 0;
      for (j = 0; j < SIMD; j = j + 1)
        t = t + ${p.vendorMultiplier ? '$signed(prods[(i*SIMD + j)*36 +: 36])' : productTerm('s1_w[(i*SIMD + j)*WB +: WB]', 's1_x[j*AB +: AB]', p.actSigned, p.lutProducts)};
      dotv[i*ACC +: ACC] = t;
    end
  end
`}
${accumulateStage(`$signed(dotv[lane*ACC +: ACC])`, p.bias ? ' + $signed(bmem[s1_nf][lane*ACC +: ACC])' : '')}endmodule
`;
  return { name, verilog, files, inWidth: inW, outWidth: outW };
}
