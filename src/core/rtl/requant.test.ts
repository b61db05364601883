/**
 * The generated multiply-shift requantiser in Icarus Verilog: every channel's output equals
 * integer.ts `requantize` (the reference the whole designs are checked against), at one channel
 * fold and many, under a sink that stalls (the channel-fold counter's registered wrap flag holds).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasIcarus } from '../../../test/system-tools.ts';
import { seeded } from '../prune/testing.ts';
import { requantize, type Requant } from './integer.ts';
import { emitRequant } from './requant.ts';
import { packWord } from './verilog.ts';

const IB = 16;

describe.skipIf(!hasIcarus)('generated requantiser (Icarus)', () => {
  it.each([
    [4, 4],
    [6, 2],
    [5, 1],
  ])('C %i PE %i: equals requantize on every channel', (channels, pe) => {
    const rand = seeded(channels * 13 + pe);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const requant: Requant = {
      bias: Array.from({ length: channels }, () => int(-300, 300)),
      multiplier: Array.from({ length: channels }, () => int(1, 4000)),
      shift: 14,
      rounding: 'half-even',
      out: { bits: 8, signed: false, scale: 1, scaleType: 'float', rounding: 'half-even', qmin: 0, qmax: 255 },
    };
    const vectors = 4;
    const acc = Array.from({ length: vectors * channels }, () => int(-2000, 2000));
    const m = emitRequant({ name: 'dut', channels, pe, inBits: IB, requant });
    const CF = channels / pe;
    const words: string[] = [];
    for (let v = 0; v < vectors; v++) for (let cf = 0; cf < CF; cf++) words.push(packWord(acc.slice(v * channels + cf * pe, v * channels + (cf + 1) * pe), IB));
    const expected = acc.map((x, i) => requantize(x, i % channels, requant));

    const dir = mkdtempSync(join(tmpdir(), 'edgefold-requant-'));
    try {
      writeFileSync(join(dir, 'in.hex'), words.join('\n') + '\n');
      for (const [f, text] of Object.entries(m.files)) writeFileSync(join(dir, f), text);
      writeFileSync(join(dir, 'dut.v'), m.verilog);
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
  wire sink = (cycle % 3) != 1;
  dut u (.clk(clk), .rst(rst), .in_data(mem[i]), .in_valid(i < ${words.length}), .in_ready(in_ready), .out_data(out_data), .out_valid(out_valid), .out_ready(sink));
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (!rst) begin
      if (i < ${words.length} && in_ready) i <= i + 1;
      if (out_valid && sink) begin $display("%h", out_data); got = got + 1; if (got == ${words.length}) $finish; end
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
      expect(lines).toHaveLength(words.length);
      const got: number[] = [];
      for (const line of lines) {
        const word = BigInt(`0x${line.trim()}`);
        for (let lane = 0; lane < pe; lane++) got.push(Number((word >> BigInt(lane * 8)) & 0xffn));
      }
      expect(got).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
