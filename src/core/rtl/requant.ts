/**
 * Requantiser emitter (multiply-shift): out = clip(round((acc + bias_c) * m_c / 2^shift)) per
 * channel, PE channels per word, one word per cycle (numVectors x C/PE cycles per frame, as the
 * estimator's engines/thresholding.ts requantCost). The integer semantics are src/core/rtl/integer.ts
 * `requantize`; rounding is half-to-even or floor, as the design says.
 */
import type { Requant } from './integer.ts';
import { clog2, packWord, ramStyleAttribute, registeredChannelFoldOutput, signedBits, streamPorts, type EmittedModule, type MemoryPlacement } from './verilog.ts';
import { MULTIPLIER_BITS } from './integer.ts';
import { extend18, multiplierInstance, PRIMITIVE_BITS, type VendorMultiplier } from './vendor-mul.ts';

/**
 * Width of the stored bias: the widest bias of the layer, at least 2 bits. The emitter and the
 * estimate (engines/thresholding.ts requantCost, through LayerBits.requantBiasBits) both use it.
 */
export function requantBiasBits(bias: ArrayLike<number>): number {
  return Math.max(2, signedBits(bias));
}

/** Bits of one lane of the parameter ROM: the bias, then the unsigned multiplier (MULTIPLIER_BITS). */
export function requantParamBits(biasBits: number): number {
  return biasBits + MULTIPLIER_BITS;
}

export interface RequantParams {
  /** Where the estimate put the per-channel parameters; written as `ram_style`. Omit to let the tool choose. */
  paramMemory?: MemoryPlacement;
  name: string;
  channels: number;
  pe: number;
  /** Width of an incoming accumulator (signed). */
  inBits: number;
  requant: Requant;
  /** Products on this vendor's multiplier primitive (vendor-mul.ts) instead of `*`; omit for the generic design. */
  vendorMultiplier?: VendorMultiplier;
}

/**
 * Per lane g: prodw[g*PW +: PW] = (acc + bias) * m on vendor primitives. A sum wider than 18 bits
 * is split at bit 17 (low part unsigned, high part signed): two primitives, (hi * m << 17) + lo * m.
 */
function vendorProducts(v: VendorMultiplier, SW: number, MB: number): string {
  if (SW > 2 * PRIMITIVE_BITS - 1) throw new RangeError(`requantiser: a ${SW}-bit sum does not fit two 18-bit multipliers`);
  const m = extend18('pmem[cf][g*LW + BB +: MW]', '', MULTIPLIER_BITS, false);
  const body =
    SW <= PRIMITIVE_BITS
      ? `      wire [35:0] p0;
      ${multiplierInstance(v, 'mul', extend18('sg', 'sg[SW-1]', SW, true), m, 'p0')}
      assign prodw[g*PW +: PW] = p0[PW-1:0];`
      : `      wire [35:0] plo, phi;
      ${multiplierInstance(v, 'mul_lo', `{1'b0, sg[16:0]}`, m, 'plo')}
      ${multiplierInstance(v, 'mul_hi', extend18(`sg[SW-1:17]`, 'sg[SW-1]', SW - 17, true), m, 'phi')}
      assign prodw[g*PW +: PW] = ($signed(phi) <<< 17) + $signed(plo);`;
  void MB;
  return `  wire [PE*PW-1:0] prodw;
  genvar g;
  generate
    for (g = 0; g < PE; g = g + 1) begin : prod_dsp
      wire signed [SW-1:0] sg = $signed(in_data[g*IB +: IB]) + $signed(pmem[cf][g*LW +: BB]);
${body}
    end
  endgenerate
`;
}

/** The rounding + clipping tail shared by the requantiser and the pool: `prod` (signed, PW bits) -> `q`. */
export function roundClipVerilog(prod: string, PW: number, r: Requant, q: string): string {
  const sh = r.shift;
  const lines: string[] = [];
  if (sh === 0) {
    lines.push(`${q} = ${prod};`);
  } else {
    lines.push(`${q} = ${prod} >>> ${sh};`);
    if (r.rounding === 'half-even') {
      lines.push(`rest = ${prod}[${sh - 1}:0];`);
      lines.push(`if (rest > ${sh}'d${2n ** BigInt(sh - 1)} || (rest == ${sh}'d${2n ** BigInt(sh - 1)} && ${q}[0])) ${q} = ${q} + 1;`);
    }
  }
  lines.push(`if (${q} < ${r.out.qmin}) ${q} = ${r.out.qmin};`);
  lines.push(`if (${q} > ${r.out.qmax}) ${q} = ${r.out.qmax};`);
  void PW;
  return lines.map((l) => `          ${l}`).join('\n');
}

export function emitRequant(p: RequantParams): EmittedModule {
  const { name, channels: C, pe, inBits: IB, requant: r } = p;
  if (C % pe !== 0) throw new RangeError(`${name}: PE ${pe} does not divide ${C} channels`);
  const CF = C / pe;
  const BB = requantBiasBits(r.bias);
  const SW = Math.max(IB, BB) + 1;
  // The multiplier is stored in MULTIPLIER_BITS and multiplies as a signed MB-bit operand ({0, m}).
  const MB = MULTIPLIER_BITS + 1;
  const LW = requantParamBits(BB);
  const PW = SW + MB;
  const OB = r.out.bits;
  const pfile = `${name}_params.hex`;
  const words: string[] = [];
  for (let cf = 0; cf < CF; cf++) {
    const el: number[] = [];
    for (let i = 0; i < pe; i++) el.push(r.bias[cf * pe + i], r.multiplier[cf * pe + i]);
    // element 2i = bias (BB bits), 2i+1 = multiplier: pack as lanes of LW = BB + MULTIPLIER_BITS bits.
    let v = 0n;
    for (let i = pe - 1; i >= 0; i--) {
      const b = BigInt(el[2 * i]) & ((1n << BigInt(BB)) - 1n);
      const m = BigInt(el[2 * i + 1]);
      v = (v << BigInt(LW)) | (m << BigInt(BB)) | b;
    }
    words.push(v.toString(16).padStart(Math.ceil((pe * LW) / 4), '0'));
  }
  void packWord;
  const inW = pe * IB;
  const outW = pe * OB;
  const verilog = `// Requantiser ${name}: C=${C} PE=${pe}, acc ${IB} b -> ${OB} b ${r.out.signed ? 'signed' : 'unsigned'}, (acc + bias) * m >>> ${r.shift}, ${r.rounding}, clip [${r.out.qmin}, ${r.out.qmax}]
module ${name} (
${streamPorts(inW, outW)}
);
  localparam PE = ${pe}, IB = ${IB}, BB = ${BB}, MW = ${MULTIPLIER_BITS}, LW = ${LW}, MB = ${MB}, SW = ${SW}, PW = ${PW}, OB = ${OB}, CF = ${CF};
  ${p.paramMemory ? ramStyleAttribute(p.paramMemory, true) : ''}reg [PE*LW-1:0] pmem [0:CF-1];
  initial $readmemh("${pfile}", pmem);
  reg [${clog2(CF)}:0] cf;
  reg cf_last;
  wire advance = !out_valid || out_ready;
  assign in_ready = advance;
  reg signed [SW-1:0] s;
  reg signed [PW-1:0] prod, q;
  reg [${Math.max(1, r.shift)}-1:0] rest;
  reg [PE*OB-1:0] res;
  integer i;
${p.vendorMultiplier ? vendorProducts(p.vendorMultiplier, SW, MB) : ''}  always @* begin
    for (i = 0; i < PE; i = i + 1) begin
${
  p.vendorMultiplier
    ? `      prod = $signed(prodw[i*PW +: PW]);`
    : `      s = $signed(in_data[i*IB +: IB]) + $signed(pmem[cf][i*LW +: BB]);
      prod = s * $signed({1'b0, pmem[cf][i*LW + BB +: MW]});`
}
${roundClipVerilog('prod', PW, r, 'q')}
      res[i*OB +: OB] = q[OB-1:0];
    end
  end
${registeredChannelFoldOutput(CF)}`;
  return { name, verilog, files: { [pfile]: words.join('\n') + '\n' }, inWidth: inW, outWidth: outW };
}
