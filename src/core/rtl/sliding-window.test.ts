/**
 * The generated sliding window alone in Icarus Verilog: random frames streamed back to back under
 * random stalls on both sides come out in the window order of a plain TypeScript reference
 * (padding included), and at full rate its frame interval is the estimator's count
 * (slidingWindowCycles).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../data/random.ts';
import { hasIcarus } from '../../../test/system-tools.ts';
import { generatedWindowCycles } from '../hw/engines/sliding-window.ts';
import { emitSlidingWindow, type SlidingWindowParams } from './sliding-window.ts';

type Shape = Omit<SlidingWindowParams, 'name' | 'outDim' | 'actBits'>;

const outDimOf = (s: Shape): [number, number] => [
  Math.floor((s.inDim[0] + s.pads[0] + s.pads[2] - s.kernel[0]) / s.stride[0]) + 1,
  Math.floor((s.inDim[1] + s.pads[1] + s.pads[3] - s.kernel[1]) / s.stride[1]) + 1,
];

/**
 * The window stream of one frame of words (frame[y][x][cf]): per output pixel, standard order
 * ky, kx, cf; depthwise order cf, ky, kx; a position outside the image is `padWord`.
 */
function referenceWindows(s: Shape, frame: number[][][], padWord: number): number[] {
  const [H, W] = s.inDim;
  const [OH, OW] = outDimOf(s);
  const [KH, KW] = s.kernel;
  const CF = s.channels / s.simd;
  const out: number[] = [];
  const at = (y: number, x: number, cf: number): number => (y < 0 || y >= H || x < 0 || x >= W ? padWord : frame[y][x][cf]);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      const top = oy * s.stride[0] - s.pads[0];
      const left = ox * s.stride[1] - s.pads[1];
      if (s.depthwise) {
        for (let cf = 0; cf < CF; cf++) for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) out.push(at(top + ky, left + kx, cf));
      } else {
        for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) for (let cf = 0; cf < CF; cf++) out.push(at(top + ky, left + kx, cf));
      }
    }
  }
  return out;
}

interface Run {
  received: number;
  errors: number;
  /** Cycle at which each frame's last output word was taken. */
  frameDone: number[];
}

const BITS = 4;

/**
 * Streams `frames` random frames (SIMD elements of 4 bits per word) through the window; the source
 * offers a word with probability `validPct` %, the sink takes one with `readyPct` % per cycle.
 */
function stream(s: Shape, frames: number, validPct: number, readyPct: number, seed: number): Run {
  const dir = mkdtempSync(join(tmpdir(), 'edgefold-swg-'));
  const [H, W] = s.inDim;
  const CF = s.channels / s.simd;
  const wordBits = s.simd * BITS;
  const rand = mulberry32(seed);
  // The padded word: padElement (4 bits here) in every element.
  const pad = Array.from({ length: s.simd }, () => s.padElement ?? 0).reduce((acc, e, i) => acc + e * 2 ** (i * BITS), 0);
  const inWords: number[] = [];
  const outWords: number[] = [];
  for (let f = 0; f < frames; f++) {
    const frame = Array.from({ length: H }, () => Array.from({ length: W }, () => Array.from({ length: CF }, () => Math.floor(rand() * 2 ** wordBits))));
    for (const row of frame) for (const px of row) inWords.push(...px);
    outWords.push(...referenceWindows(s, frame, pad));
  }
  const hex = (words: number[]): string => words.map((w) => w.toString(16)).join('\n') + '\n';
  writeFileSync(join(dir, 'in.hex'), hex(inWords));
  writeFileSync(join(dir, 'out.hex'), hex(outWords));
  const perFrame = outWords.length / frames;
  const tb = `module tb;
  reg clk = 0, rst = 1;
  always #5 clk = ~clk;
  reg [${wordBits - 1}:0] in_mem [0:${inWords.length - 1}];
  reg [${wordBits - 1}:0] out_mem [0:${outWords.length - 1}];
  initial begin $readmemh("${join(dir, 'in.hex')}", in_mem); $readmemh("${join(dir, 'out.hex')}", out_mem); end
  integer sent = 0, got = 0, errors = 0, cycle = 0;
  reg [31:0] lfsr = 32'h${((seed * 2654435761) >>> 0 || 1).toString(16)};
  wire [6:0] roll_valid = lfsr[6:0] % 100;
  wire [6:0] roll_ready = lfsr[22:16] % 100;
  wire src_valid = !rst && sent < ${inWords.length} && roll_valid < ${validPct};
  wire sink_ready = !rst && roll_ready < ${readyPct};
  wire in_ready, out_valid;
  wire [${wordBits - 1}:0] out_data;
  dut d (.clk(clk), .rst(rst), .in_data(in_mem[sent % ${inWords.length}]), .in_valid(src_valid), .in_ready(in_ready), .out_data(out_data), .out_valid(out_valid), .out_ready(sink_ready));
  always @(posedge clk) begin
    cycle <= cycle + 1;
    lfsr <= {lfsr[30:0], lfsr[31] ^ lfsr[21] ^ lfsr[1] ^ lfsr[0]};
    if (src_valid && in_ready) sent <= sent + 1;
    if (out_valid && sink_ready) begin
      if (out_data !== out_mem[got]) errors = errors + 1;
      got <= got + 1;
      if ((got + 1) % ${perFrame} == 0) $display("FRAME %0d", cycle);
      if (got + 1 == ${outWords.length}) begin $display("DONE %0d %0d", got + 1, errors); $finish; end
    end
    if (cycle > ${20 * (inWords.length + outWords.length) + 1000}) begin $display("DONE %0d %0d", got, errors); $finish; end
  end
  initial begin repeat (2) @(posedge clk); rst <= 0; end
endmodule
`;
  const [OH, OW] = outDimOf(s);
  const dut = emitSlidingWindow({ ...s, name: 'dut', actBits: BITS, outDim: [OH, OW] });
  writeFileSync(join(dir, 'all.v'), dut.verilog + tb);
  execFileSync('iverilog', ['-g2005', '-Wall', '-s', 'tb', '-o', join(dir, 'sim.vvp'), join(dir, 'all.v')]);
  const out = execFileSync('vvp', ['-n', join(dir, 'sim.vvp')], { encoding: 'utf8' });
  const m = /DONE (\d+) (\d+)/.exec(out);
  if (!m) throw new Error(`no result from the simulation:\n${out}`);
  const frameDone = [...out.matchAll(/FRAME (\d+)/g)].map((f) => Number(f[1]));
  return { received: Number(m[1]), errors: Number(m[2]), frameDone };
}

const base = { channels: 2, simd: 1, pads: [0, 0, 0, 0] as [number, number, number, number], depthwise: false };
/** Name, shape. */
const WINDOW_CASES: [string, Shape][] = [
  ['k3 s1 pad 1, standard, CF 2', { ...base, inDim: [7, 8], kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1] }],
  ['k3 s1 pad 1, depthwise, CF 3, SIMD 2', { ...base, channels: 6, simd: 2, inDim: [6, 6], kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], depthwise: true }],
  ['k3 s2 pad 1 (28-style even map), depthwise', { ...base, inDim: [8, 8], kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], depthwise: true }],
  ['k3 s2 no pad, odd map, standard', { ...base, inDim: [9, 7], kernel: [3, 3], stride: [2, 2] }],
  ['k5 s1 pad 2, standard, CF 1', { ...base, channels: 1, inDim: [9, 10], kernel: [5, 5], stride: [1, 1], pads: [2, 2, 2, 2] }],
  ['k1 s1, standard, CF 3', { ...base, channels: 3, inDim: [4, 5], kernel: [1, 1], stride: [1, 1] }],
  ['k2 s2 tiling (max pool), depthwise, CF 4, pad element', { ...base, channels: 4, inDim: [6, 8], kernel: [2, 2], stride: [2, 2], depthwise: true, padElement: 9 }],
  ['non-square k3x2 s1x2 pad 1,0,1,1, depthwise', { ...base, inDim: [7, 9], kernel: [3, 2], stride: [1, 2], pads: [1, 0, 1, 1], depthwise: true }],
  ['k2 s3 (stride above the kernel)', { ...base, inDim: [8, 8], kernel: [2, 2], stride: [3, 3] }],
  ['k3 s1 asymmetric pad 0,0,2,2, single column wide', { ...base, inDim: [5, 1], kernel: [3, 3], stride: [1, 1], pads: [0, 0, 2, 2] }],
];

describe('sliding window emitter', () => {
  it('keeps k_h rows of the unpadded width, and refuses padding as deep as the kernel (a window of padding only)', () => {
    const m = emitSlidingWindow({ name: 'w', channels: 4, simd: 2, actBits: 8, inDim: [6, 5], outDim: [3, 3], kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], depthwise: false });
    // 3 rows x 5 pixels x 2 channel-fold words of 16 bits
    expect(m.verilog).toContain('reg [15:0] buffer [0:29];');
    expect(() => emitSlidingWindow({ name: 'w', channels: 4, simd: 2, actBits: 8, inDim: [6, 5], outDim: [4, 3], kernel: [3, 3], stride: [2, 2], pads: [3, 1, 1, 1], depthwise: false })).toThrow('w: padding 3,1 reaches past the 3x3 kernel');
  });
});

describe.skipIf(!hasIcarus)('sliding window in Icarus Verilog', () => {
  it.each(WINDOW_CASES)('%s: three frames under random stalls arrive in window order', (_label, s) => {
    const [OH, OW] = outDimOf(s);
    const words = OH * OW * s.kernel[0] * s.kernel[1] * (s.channels / s.simd) * 3;
    for (const [validPct, readyPct, seed] of [
      [60, 45, 1],
      [95, 30, 2],
      [35, 95, 3],
      [100, 100, 4],
    ]) {
      const run = stream(s, 3, validPct, readyPct, seed);
      expect(run).toMatchObject({ errors: 0, received: words });
    }
  });

  it.each(WINDOW_CASES)('%s: at full rate a frame takes the estimator\'s generatedWindowCycles', (_label, s) => {
    const [H, W] = s.inDim;
    const [pt, pl, pb, pr] = s.pads;
    const spec = { channels: s.channels, ifmDim: [H + pt + pb, W + pl + pr] as [number, number], ofmDim: outDimOf(s), kernel: s.kernel, stride: s.stride, dilation: [1, 1] as [number, number], depthwise: s.depthwise, pads: s.pads };
    const { frameDone } = stream(s, 4, 100, 100, 5);
    // Steady state: the first frame also fills the buffer.
    expect(frameDone[3] - frameDone[2]).toBe(generatedWindowCycles(spec, { simd: s.simd }));
    expect(frameDone[2] - frameDone[1]).toBe(frameDone[3] - frameDone[2]);
  });

  it('the stall-free and the stalling regimes: reader-bound k3 s1, row-end waits at k3 s2, writer-bound k2 s3', () => {
    const spec = (h: number, k: number, st: number, p: number, channels: number) => ({ channels, ifmDim: [h + 2 * p, h + 2 * p] as [number, number], ofmDim: outDimOf({ channels, simd: 1, inDim: [h, h], kernel: [k, k], stride: [st, st], pads: [p, p, p, p], depthwise: true }), kernel: [k, k] as [number, number], stride: [st, st] as [number, number], dilation: [1, 1] as [number, number], depthwise: true, pads: [p, p, p, p] as [number, number, number, number] });
    // 14 x 14, k3 s1 pad 1, CF 3: the reader's 14 * 14 * 9 * 3 = 5292 words, no wait.
    expect(generatedWindowCycles(spec(14, 3, 1, 1, 3), { simd: 1 })).toBe(5292);
    // 28 x 28, k3 s2 pad 1, CF 4: 14 * 14 * 9 * 4 = 7056 words, and after 13 of the 14 output rows
    // (not the first: its window starts in the padding) the writer finishes row top + 3 from column
    // 25 (3 pixels) and writes 2 of row top + 4: 13 * 5 * 4 = 260 (measured 7316 in Icarus).
    expect(generatedWindowCycles(spec(28, 3, 2, 1, 4), { simd: 1 })).toBe(7056 + 260);
    // 8 x 8, k2 s3, CF 2: 3 * 3 * 4 * 2 = 72 words read, 8 * 8 * 2 = 128 written: the writer's count.
    expect(generatedWindowCycles(spec(8, 2, 3, 0, 2), { simd: 1 })).toBe(128);
  });
});
