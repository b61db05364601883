/** Which system tools (installed by tools/ensure-system-tools.mjs) this machine has, for tests that skip without them. */
import { execFileSync } from 'node:child_process';

function runs(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Icarus Verilog (Debian `iverilog`). */
export const hasIcarus = runs('iverilog', ['-V']);
/** Verilator (Debian `verilator`). */
export const hasVerilator = runs('verilator', ['--version']);
