/**
 * The wrapping counter with a registered wrap flag (verilog.ts wrapCounterReset / wrapCounterStep)
 * in Icarus Verilog: stepped under an irregular enable, it walks 0 .. count-1 and wraps, and every
 * cycle its flag equals (counter == count - 1), down to count 1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasIcarus } from '../../../test/system-tools.ts';
import { clog2, wrapCounterReset, wrapCounterStep } from './verilog.ts';

describe('wrapping counter text', () => {
  it('refuses a count that is not a positive integer', () => {
    expect(() => wrapCounterStep('c', 0)).toThrow(/positive integer/);
    expect(() => wrapCounterStep('c', 2.5)).toThrow(/positive integer/);
  });
});

describe.skipIf(!hasIcarus)('wrapping counter (Icarus)', () => {
  it.each([1, 2, 3, 5, 8, 36])('count %i: walks 0 .. count-1, flag equals the last value', (count) => {
    const dir = mkdtempSync(join(tmpdir(), 'edgefold-counter-'));
    const steps = 200;
    const tb = `module tb;
  reg clk = 0, rst = 1;
  always #5 clk = ~clk;
  integer cycle = 0, stepped = 0, expected = 0, errors = 0;
  reg [${clog2(count)}:0] c;
  reg c_last;
  wire enable = ((cycle * 7) % 5) < 3;
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (rst) begin
      ${wrapCounterReset('c', count)}
    end else begin
      if (c !== expected || c_last !== (expected == ${count - 1})) errors = errors + 1;
      if (enable) begin
        ${wrapCounterStep('c', count)}
        expected = (expected + 1) % ${count};
        stepped = stepped + 1;
      end
      if (stepped == ${steps}) begin $display("DONE %0d", errors); $finish; end
    end
  end
  initial begin repeat (2) @(posedge clk); rst <= 0; end
endmodule
`;
    writeFileSync(join(dir, 'tb.v'), tb);
    execFileSync('iverilog', ['-g2005', '-s', 'tb', '-o', join(dir, 'sim.vvp'), join(dir, 'tb.v')]);
    expect(execFileSync('vvp', ['-n', join(dir, 'sim.vvp')], { encoding: 'utf8' })).toContain('DONE 0');
  });
});
