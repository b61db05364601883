/**
 * The generated FIFO in Icarus Verilog: words streamed through it under stalls on both sides come
 * out in order, and every cycle its handshake flags are those of the word count (ready while fewer
 * than `depth` words are held, valid while any is), at power-of-two depths (pointers wrap by
 * overflow) and others (registered wrap flags), down to depth 1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasIcarus } from '../../../test/system-tools.ts';
import { emitFifo } from './fifo.ts';

describe.skipIf(!hasIcarus)('generated FIFO (Icarus)', () => {
  it.each([1, 2, 3, 4, 5, 8, 33])('depth %i: in order, flags follow the count', (depth) => {
    const dir = mkdtempSync(join(tmpdir(), 'edgefold-fifo-'));
    const words = 600;
    const tb = `module tb;
  reg clk = 0, rst = 1;
  always #5 clk = ~clk;
  integer sent = 0, got = 0, held = 0, errors = 0, cycle = 0;
  wire ready, valid;
  wire [7:0] data;
  // Bursty source and sink; the sink drains everything at the end.
  wire offer = ((cycle * 13) % 7) < 4 && sent < ${words};
  wire take = ((cycle * 11) % 5) < 2 || cycle > ${words * 4};
  fifo f (.clk(clk), .rst(rst), .in_data(sent[7:0]), .in_valid(!rst && offer), .in_ready(ready), .out_data(data), .out_valid(valid), .out_ready(take));
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (!rst) begin
      if (ready !== (held < ${depth}) || valid !== (held > 0)) errors = errors + 1;
      if (offer && ready) begin sent = sent + 1; held = held + 1; end
      if (valid && take) begin if (data !== got[7:0]) errors = errors + 1; got = got + 1; held = held - 1; end
      if (got == ${words}) begin $display("DONE %0d", errors); $finish; end
    end
    if (cycle > ${words * 20}) begin $display("STUCK %0d", got); $finish; end
  end
  initial begin repeat (2) @(posedge clk); rst <= 0; end
endmodule
`;
    writeFileSync(join(dir, 'all.v'), emitFifo('fifo', depth, 8).verilog + tb);
    execFileSync('iverilog', ['-g2005', '-s', 'tb', '-o', join(dir, 'sim.vvp'), join(dir, 'all.v')]);
    expect(execFileSync('vvp', ['-n', join(dir, 'sim.vvp')], { encoding: 'utf8' })).toContain('DONE 0');
  });

  it('keeps the wrap flags only where the depth is not a power of two', () => {
    expect(emitFifo('f', 32, 8).verilog).not.toContain('wp_last');
    expect(emitFifo('f', 33, 8).verilog).toContain('wp_last <= wp == 31');
  });
});
