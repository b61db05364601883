/**
 * The generated VVAU (depthwise) in Icarus Verilog: per output pixel and channel fold it takes the
 * window's k*k words of PE channels and gives PE dot products equal to the integer reference, at
 * one channel fold or many and a 1x1 or 3x3 kernel (the edges of its registered wrap flags).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasIcarus } from '../../../test/system-tools.ts';
import { seeded } from '../prune/testing.ts';
import { packWord } from './verilog.ts';
import { emitVvau } from './vvau.ts';

const WB = 4;
const AB = 4;
const ACC = 16;

describe.skipIf(!hasIcarus)('generated VVAU (Icarus)', () => {
  it.each([
    [4, 1, 1],
    [4, 3, 4],
    [6, 3, 2],
    [4, 1, 2],
  ])('C %i, kernel %i (square), PE %i: equals the integer depthwise dot products', (channels, k, pe) => {
    const K2 = k * k;
    const pixels = 3;
    const rand = seeded(channels * 31 + K2 * 7 + pe);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    // Weights [channel][ky][kx]; activations per pixel [channel][k], unsigned.
    const weights = Array.from({ length: channels * K2 }, () => int(-(2 ** (WB - 1)), 2 ** (WB - 1) - 1));
    const acts = Array.from({ length: pixels * channels * K2 }, () => int(0, 2 ** AB - 1));
    const m = emitVvau({ name: 'dut', channels, kernel: [k, k], pe, simd: 1, weightBits: WB, actBits: AB, actSigned: false, accBits: ACC, weights });

    const CF = channels / pe;
    const words: string[] = [];
    for (let px = 0; px < pixels; px++)
      for (let cf = 0; cf < CF; cf++)
        for (let kk = 0; kk < K2; kk++) words.push(packWord(Array.from({ length: pe }, (_, lane) => acts[(px * channels + cf * pe + lane) * K2 + kk]), AB));
    const expected: number[] = [];
    for (let px = 0; px < pixels; px++)
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let kk = 0; kk < K2; kk++) s += weights[c * K2 + kk] * acts[(px * channels + c) * K2 + kk];
        expected.push(s);
      }

    const dir = mkdtempSync(join(tmpdir(), 'edgefold-vvau-'));
    try {
      writeFileSync(join(dir, 'in.hex'), words.join('\n') + '\n');
      for (const [f, text] of Object.entries(m.files)) writeFileSync(join(dir, f), text);
      writeFileSync(join(dir, 'dut.v'), m.verilog);
      const outWords = pixels * CF;
      // A sink that stalls every third cycle, so the counters also hold under back-pressure.
      writeFileSync(
        join(dir, 'tb.v'),
        `module tb;
  reg clk = 0, rst = 1;
  always #5 clk = ~clk;
  reg [${m.inWidth - 1}:0] mem [0:${words.length - 1}];
  initial $readmemh("in.hex", mem);
  integer i = 0, got = 0, cycle = 0;
  wire in_ready, out_valid;
  wire [${m.outWidth - 1}:0] out_data;
  wire sink = (cycle % 3) != 2;
  dut u (.clk(clk), .rst(rst), .in_data(mem[i]), .in_valid(i < ${words.length}), .in_ready(in_ready), .out_data(out_data), .out_valid(out_valid), .out_ready(sink));
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (!rst) begin
      if (i < ${words.length} && in_ready) i <= i + 1;
      if (out_valid && sink) begin $display("%h", out_data); got = got + 1; if (got == ${outWords}) $finish; end
    end
  end
  initial begin #25 rst = 0; #${40 * (words.length + 100)} $display("TIMEOUT"); $finish; end
endmodule
`,
      );
      execFileSync('iverilog', ['-g2005', '-o', 'sim', 'tb.v', 'dut.v'], { cwd: dir });
      const out = execFileSync('vvp', ['-n', 'sim'], { cwd: dir, encoding: 'utf8' });
      expect(out).not.toContain('TIMEOUT');
      const lines = out.split('\n').filter((l) => /^[0-9a-f]+$/.test(l.trim()));
      expect(lines).toHaveLength(outWords);
      const got: number[] = [];
      for (const line of lines) {
        const word = BigInt(`0x${line.trim()}`);
        for (let lane = 0; lane < pe; lane++) got.push(Number(BigInt.asIntN(ACC, word >> BigInt(lane * ACC))));
      }
      expect(got).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
