/**
 * Thresholding requantiser emitter (FINN's Thresholding, the estimator's choice for <= 4 output
 * bits under requant 'auto'): per channel, 2^B - 1 thresholds; the output is qmin plus the number
 * of thresholds the accumulator reaches. The thresholds are derived from the multiply-shift
 * requantisation (integer.ts `requantize`, which is monotonic in the accumulator), so both
 * styles compute the very same integers. All thresholds of a word compare in parallel: one word
 * per cycle, vectors x C / PE cycles.
 */
import { requantize, type Requant } from './integer.ts';
import { clog2, packWord, registeredChannelFoldOutput, streamPorts, type EmittedModule } from './verilog.ts';

/**
 * Thresholds of one channel: T[k] (k = 1 .. qmax - qmin) is the smallest accumulator in
 * [lo, hi] whose requantised value is >= qmin + k, or hi + 1 when none is (never reached).
 */
export function channelThresholds(r: Requant, channel: number, accBits: number): number[] {
  const lo = -(2 ** (accBits - 1));
  const hi = 2 ** (accBits - 1) - 1;
  const out: number[] = [];
  for (let level = r.out.qmin + 1; level <= r.out.qmax; level++) {
    if (requantize(hi, channel, r) < level) {
      out.push(hi + 1);
      continue;
    }
    let a = lo;
    let b = hi;
    while (a < b) {
      const mid = Math.floor((a + b) / 2);
      if (requantize(mid, channel, r) >= level) b = mid;
      else a = mid + 1;
    }
    out.push(a);
  }
  return out;
}

export interface ThresholdsParams {
  name: string;
  channels: number;
  pe: number;
  /** Width of an incoming accumulator (signed). */
  inBits: number;
  requant: Requant;
}

export function emitThresholds(p: ThresholdsParams): EmittedModule {
  const { name, channels: C, pe, inBits: IB, requant: r } = p;
  if (C % pe !== 0) throw new RangeError(`${name}: PE ${pe} does not divide ${C} channels`);
  const CF = C / pe;
  const N = r.out.qmax - r.out.qmin;
  const TB = IB + 1; // thresholds may be hi + 1 ("never")
  const OB = r.out.bits;
  const tfile = `${name}_thresholds.hex`;
  const words: string[] = [];
  for (let cf = 0; cf < CF; cf++) {
    const el: number[] = [];
    for (let i = 0; i < pe; i++) el.push(...channelThresholds(r, cf * pe + i, IB));
    words.push(packWord(el, TB));
  }
  const inW = pe * IB;
  const outW = pe * OB;
  const verilog = `// Thresholds ${name}: C=${C} PE=${pe}, acc ${IB} b -> ${OB} b ${r.out.signed ? 'signed' : 'unsigned'}, ${N} thresholds per channel (from the multiply-shift requantiser)
module ${name} (
${streamPorts(inW, outW)}
);
  localparam PE = ${pe}, IB = ${IB}, TB = ${TB}, OB = ${OB}, N = ${N}, CF = ${CF};
  reg [PE*N*TB-1:0] tmem [0:CF-1];
  initial $readmemh("${tfile}", tmem);
  reg [${clog2(CF)}:0] cf;
  reg cf_last;
  wire advance = !out_valid || out_ready;
  assign in_ready = advance;
  reg signed [OB+1:0] q;
  reg [PE*OB-1:0] res;
  integer i, t;
  always @* begin
    for (i = 0; i < PE; i = i + 1) begin
      q = ${r.out.qmin};
      for (t = 0; t < N; t = t + 1)
        if ($signed(in_data[i*IB +: IB]) >= $signed(tmem[cf][(i*N + t)*TB +: TB])) q = q + 1;
      res[i*OB +: OB] = q[OB-1:0];
    end
  end
${registeredChannelFoldOutput(CF)}`;
  return { name, verilog, files: { [tfile]: words.join('\n') + '\n' }, inWidth: inW, outWidth: outW };
}
