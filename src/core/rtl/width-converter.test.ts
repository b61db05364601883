/**
 * The generated width converter in Icarus Verilog: random elements streamed through up, down and
 * lcm forms with random stalls on both sides come out in the same order; without stalls it moves
 * one word per cycle on its slower side (the estimator's widthConverterCycles).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../data/random.ts';
import { widthConverterCycles } from '../hw/engines/width-converter.ts';
import { hasIcarus, hasVerilator } from '../../../test/system-tools.ts';
import { emitWidthConverter, widthConverterLayout, widthConverterRegisterBits } from './width-converter.ts';

interface Run {
  errors: number;
  received: number;
  /** Cycles from the first accepted input word to the last output word. */
  cycles: number;
}

/**
 * Streams `groups` lcm-groups of random `bits`-bit elements through an IN -> OUT converter; the
 * source offers a word with probability `validPct` %, the sink takes one with `readyPct` % (per
 * cycle, from a seeded LFSR in the testbench), and every output element is compared with the input.
 */
function stream(inEl: number, outEl: number, bits: number, groups: number, validPct: number, readyPct: number, seed: number): Run {
  const dir = mkdtempSync(join(tmpdir(), 'edgefold-dwc-form-'));
  const { lcm } = widthConverterLayout(inEl, outEl);
  const total = groups * lcm;
  const rand = mulberry32(seed);
  const elements = Array.from({ length: total }, () => Math.floor(rand() * 2 ** bits));
  writeFileSync(join(dir, 'elements.hex'), elements.map((e) => e.toString(16)).join('\n') + '\n');
  const inWords = total / inEl;
  const outWords = total / outEl;
  const tb = `module tb;
  reg clk = 0, rst = 1;
  always #5 clk = ~clk;
  reg [${bits - 1}:0] mem [0:${total - 1}];
  initial $readmemh("${join(dir, 'elements.hex')}", mem);
  integer sent = 0, got = 0, errors = 0, cycle = 0, first = -1, e;
  reg [31:0] lfsr = 32'h${((seed * 2654435761) >>> 0 || 1).toString(16)};
  wire [6:0] roll_valid = lfsr[6:0] % 100;
  wire [6:0] roll_ready = lfsr[22:16] % 100;
  wire src_valid = !rst && sent < ${inWords} && roll_valid < ${validPct};
  wire sink_ready = !rst && roll_ready < ${readyPct};
  wire [${inEl * bits - 1}:0] word;
  genvar g;
  generate for (g = 0; g < ${inEl}; g = g + 1) begin : element
    assign word[g*${bits} +: ${bits}] = mem[(sent * ${inEl} + g) % ${total}];
  end endgenerate
  wire in_ready, out_valid;
  wire [${outEl * bits - 1}:0] out_data;
  dut d (.clk(clk), .rst(rst), .in_data(word), .in_valid(src_valid), .in_ready(in_ready), .out_data(out_data), .out_valid(out_valid), .out_ready(sink_ready));
  always @(posedge clk) begin
    cycle <= cycle + 1;
    lfsr <= {lfsr[30:0], lfsr[31] ^ lfsr[21] ^ lfsr[1] ^ lfsr[0]};
    if (src_valid && in_ready) begin
      sent <= sent + 1;
      if (first < 0) first <= cycle;
    end
    if (out_valid && sink_ready) begin
      for (e = 0; e < ${outEl}; e = e + 1) if (out_data[e*${bits} +: ${bits}] !== mem[got * ${outEl} + e]) errors = errors + 1;
      got <= got + 1;
      if (got + 1 == ${outWords}) begin $display("DONE %0d %0d %0d", got + 1, errors, cycle - first + 1); $finish; end
    end
    if (cycle > ${20 * (inWords + outWords) + 1000}) begin $display("STUCK %0d %0d %0d", got, errors, 0); $finish; end
  end
  initial begin repeat (2) @(posedge clk); rst <= 0; end
endmodule
`;
  writeFileSync(join(dir, 'all.v'), emitWidthConverter('dut', inEl, outEl, bits).verilog + tb);
  execFileSync('iverilog', ['-g2005', '-Wall', '-s', 'tb', '-o', join(dir, 'sim.vvp'), join(dir, 'all.v')]);
  const out = execFileSync('vvp', ['-n', join(dir, 'sim.vvp')], { encoding: 'utf8' });
  const m = /(DONE|STUCK) (\d+) (\d+) (\d+)/.exec(out);
  if (!m) throw new Error(`no result from the simulation:\n${out}`);
  return { received: Number(m[2]), errors: Number(m[3]), cycles: Number(m[4]) };
}

const CASES: [number, number, 'up' | 'down' | 'lcm'][] = [
  [1, 3, 'up'],
  [2, 8, 'up'],
  [3, 1, 'down'],
  [8, 2, 'down'],
  [2, 3, 'lcm'],
  [3, 2, 'lcm'],
  [4, 6, 'lcm'],
  [6, 4, 'lcm'],
];

describe('width converter forms', () => {
  it.each(CASES)('%i -> %i elements is the %s form', (inEl, outEl, form) => {
    expect(widthConverterLayout(inEl, outEl).form).toBe(form);
  });

  it('counts its registers: 4 -> 6 of 8 b collects 8, holds 12 elements, a ring of 3 and a thermometer of 2', () => {
    // lcm 12: collect 12 - 4 = 8 elements, held 12; the input word's place in 12 / 4 = 3 ring bits, slices left in 12 / 6 = 2 bits.
    expect(widthConverterRegisterBits(4, 6, 8)).toBe((8 + 12) * 8 + 3 + 2);
    // up 2 -> 8: 8 elements, a ring of 8 / 2 = 4, the full flag.
    expect(widthConverterRegisterBits(2, 8, 4)).toBe(8 * 4 + 4 + 1);
    // down 8 -> 2: 8 elements held, slices left in 8 / 2 = 4 bits.
    expect(widthConverterRegisterBits(8, 2, 4)).toBe(8 * 4 + 4);
  });
  it('keeps its counters as shift registers: no comparison reads a whole counter', () => {
    const lcm = emitWidthConverter('c', 4, 6, 8).verilog;
    expect(lcm).toContain('wire last = place[R-1];');
    expect(lcm).toContain('place <= {place[R-2:0], place[R-1]};');
    expect(lcm).toContain('else if (pop) left <= {1\'b0, left[SLICES-1:1]};');
    expect(lcm).not.toMatch(/==/);
  });
});

describe.skipIf(!hasIcarus)('width converter forms in Icarus Verilog', () => {
  it.each(CASES)('%i -> %i (%s): random elements under random stalls on both sides arrive in order', (inEl, outEl) => {
    const { lcm } = widthConverterLayout(inEl, outEl);
    const groups = Math.ceil(96 / lcm);
    for (const [bits, validPct, readyPct, seed] of [
      [8, 60, 45, 1],
      [5, 90, 30, 2],
      [3, 35, 90, 3],
    ]) {
      const run = stream(inEl, outEl, bits, groups, validPct, readyPct, seed + inEl * 10 + outEl);
      expect(run).toMatchObject({ errors: 0, received: (groups * lcm) / outEl });
    }
  });

  it.each(CASES)('%i -> %i (%s): without stalls, one word per cycle on the slower side', (inEl, outEl) => {
    const { lcm, inPerGroup } = widthConverterLayout(inEl, outEl);
    const groups = 24;
    const run = stream(inEl, outEl, 8, groups, 100, 100, 7);
    expect(run.errors).toBe(0);
    const modelled = widthConverterCycles({ inElements: inEl, outElements: outEl, elementBits: 8, inWords: (groups * lcm) / inEl });
    // The model's words per frame plus the fill of the first group (its input words before the first output word).
    expect(run.cycles).toBeLessThanOrEqual(modelled + inPerGroup);
    expect(run.cycles).toBeGreaterThanOrEqual(modelled);
  });
});

describe.skipIf(!hasVerilator)('width converter forms under Verilator lint', () => {
  it.each([...CASES, [3, 16, 'lcm'], [16, 3, 'lcm']])('%i -> %i (%s) is clean under --lint-only -Wall', (inEl, outEl) => {
    const dir = mkdtempSync(join(tmpdir(), 'edgefold-dwc-lint-'));
    writeFileSync(join(dir, 'dut.v'), emitWidthConverter('dut', inEl, outEl, 8).verilog);
    const lint = spawnSync('verilator', ['--lint-only', '-Wall', join(dir, 'dut.v')], { encoding: 'utf8' });
    expect(lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });
});
