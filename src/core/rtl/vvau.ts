/**
 * VVAU emitter: depthwise convolution after the depthwise sliding window. PE channels per word;
 * the window streams, per output pixel and channel fold, its k*k positions (SIMD = 1), so a frame
 * takes C*k*k/PE x pixels cycles, the estimator's engines/vvau.ts count. Same two-stage pipe as
 * the MVAU, with one product per lane (no shared operand).
 */
import { accumulateStage, assertProductForm, lutProductFunction, productTerm, weightMemoryAttribute, type MacEngineParams } from './mvau.ts';
import { clog2, packWord, streamPorts, wrapCounterReset, wrapCounterStep, type EmittedModule } from './verilog.ts';
import { extend18, productArray } from './vendor-mul.ts';

/** Weights are [channel][ky][kx]. */
export interface VvauParams extends MacEngineParams {
  channels: number;
  kernel: [number, number];
}

export function emitVvau(p: VvauParams): EmittedModule {
  const { name, channels: C, pe, weightBits: WB, actBits: AB, accBits: ACC } = p;
  const K2 = p.kernel[0] * p.kernel[1];
  if (p.simd !== 1) throw new RangeError(`${name}: the generator builds depthwise units with SIMD 1 (the window's parallel mode is not generated); got SIMD ${p.simd}`);
  assertProductForm(p);
  if (C % pe !== 0) throw new RangeError(`${name}: PE ${pe} does not divide ${C} channels`);
  const CF = C / pe;
  const wfile = `${name}_weights.hex`;
  const words: string[] = [];
  for (let cf = 0; cf < CF; cf++) for (let k = 0; k < K2; k++) words.push(packWord(Array.from({ length: pe }, (_, i) => p.weights[(cf * pe + i) * K2 + k]), WB));
  const inW = pe * AB;
  const outW = pe * ACC;
  const verilog = `// VVAU ${name}: C=${C} k=${p.kernel.join('x')} PE=${pe} SIMD=1, W${WB} A${AB}${p.actSigned ? 's' : 'u'}, acc ${ACC} b
module ${name} (
${streamPorts(inW, outW)}
);
  localparam PE = ${pe}, WB = ${WB}, AB = ${AB}, ACC = ${ACC}, K2 = ${K2}, CF = ${CF};
  ${weightMemoryAttribute(p)}reg [PE*WB-1:0] wmem [0:CF*K2-1];
  initial $readmemh("${wfile}", wmem);
  reg [${clog2(K2)}:0] k;
  // Weight address cf * K2 + k, counted (a multiply by K2 would become a DSP on Xilinx).
  reg [${clog2(CF * K2)}:0] waddr;
  reg k_last, waddr_last;
  wire advance = !out_valid || out_ready;
  wire issue = advance && in_valid;
  assign in_ready = advance;

  reg s1_valid, s1_first, s1_last;
  reg [PE*AB-1:0] s1_x;
  reg [PE*WB-1:0] s1_w;
  always @(posedge clk) begin
    if (rst) begin
      ${wrapCounterReset('k', K2)} ${wrapCounterReset('waddr', CF * K2)} s1_valid <= 1'b0;
    end else if (advance) begin
      s1_valid <= issue;
      if (issue) begin
        s1_x <= in_data;
        s1_w <= wmem[waddr];
        s1_first <= (k == 0);
        s1_last <= k_last;
        ${wrapCounterStep('k', K2)}
        ${wrapCounterStep('waddr', CF * K2)}
      end
    end
  end

${p.lutProducts ? lutProductFunction(p.actSigned) : ''}${p.vendorMultiplier ? productArray(p.vendorMultiplier, 'prods', 'PE', extend18('s1_w[g*WB +: WB]', 's1_w[g*WB + WB-1]', WB, true), extend18('s1_x[g*AB +: AB]', 's1_x[g*AB + AB-1]', AB, p.actSigned)) : ''}${accumulateStage(p.vendorMultiplier ? '$signed(prods[lane*36 +: 36])' : productTerm('s1_w[lane*WB +: WB]', 's1_x[lane*AB +: AB]', p.actSigned, p.lutProducts))}endmodule
`;
  return { name, verilog, files: { [wfile]: words.join('\n') + '\n' }, inWidth: inW, outWidth: outW };
}
