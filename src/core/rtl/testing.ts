/**
 * Test support: runs one emitted stream module in Icarus Verilog (iverilog / vvp), fed from a list
 * of input words, and returns its output words in order. The Icarus unit tests of the engines
 * (MVAU, VVAU, requantiser) share it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmittedModule } from './verilog.ts';

export interface StreamSimOptions {
  /** The sink refuses one cycle in this many (back-pressure); 0: always ready. */
  stallEvery?: number;
  /** Cycles before the run is called stuck. */
  maxCycles?: number;
}

/** `words`: input words in hex (one per cycle offered); returns `outWords` output words. Throws if the module stalls or gives fewer. */
export function simulateStreamModule(m: EmittedModule, words: string[], outWords: number, opts: StreamSimOptions = {}): bigint[] {
  const stall = opts.stallEvery ?? 0;
  const maxCycles = opts.maxCycles ?? 40 * (words.length + outWords + 100);
  const dir = mkdtempSync(join(tmpdir(), 'edgefold-stream-'));
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
  wire sink = ${stall > 0 ? `(cycle % ${stall}) != ${stall - 1}` : "1'b1"};
  ${m.name} u (.clk(clk), .rst(rst), .in_data(mem[i]), .in_valid(i < ${words.length}), .in_ready(in_ready), .out_data(out_data), .out_valid(out_valid), .out_ready(sink));
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (!rst) begin
      if (i < ${words.length} && in_ready) i <= i + 1;
      if (out_valid && sink) begin $display("%h", out_data); got = got + 1; if (got == ${outWords}) $finish; end
    end
  end
  initial begin #25 rst = 0; #${10 * maxCycles} $display("TIMEOUT"); $finish; end
endmodule
`,
    );
    execFileSync('iverilog', ['-g2005', '-o', 'sim', 'tb.v', 'dut.v'], { cwd: dir });
    const out = execFileSync('vvp', ['-n', 'sim'], { cwd: dir, encoding: 'utf8' });
    const lines = out.split('\n').filter((l) => /^[0-9a-f]+$/.test(l.trim()));
    if (out.includes('TIMEOUT') || lines.length !== outWords) throw new Error(`${m.name}: ${lines.length} of ${outWords} output words${out.includes('TIMEOUT') ? ' before the timeout' : ''}`);
    return lines.map((l) => BigInt(`0x${l.trim()}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lane `lane` of a packed word, `bits` wide, as a signed number. */
export const signedLane = (word: bigint, lane: number, bits: number): bigint => BigInt.asIntN(bits, word >> BigInt(lane * bits));
