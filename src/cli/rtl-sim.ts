/**
 * Writes an emitted accelerator to a directory and simulates it with Icarus Verilog or
 * Verilator: the logits it wrote, and the cycles (first input word, end of each image).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AcceleratorDesign } from '../core/rtl/design.ts';
import { allModules, inputHex } from '../core/rtl/design.ts';

const run = promisify(execFile);

export type Simulator = 'iverilog' | 'verilator';

export async function writeDesign(design: AcceleratorDesign, dir: string, images?: Int32Array[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(design.files)) await writeFile(join(dir, name), text);
  if (images) await writeFile(join(dir, 'input.hex'), inputHex(images, design.inputBits));
}

export interface SimulationResult {
  simulator: Simulator;
  logits: Int32Array[];
  /** Cycle the first input word was accepted. */
  startCycle: number;
  /** Cycle each image's last logit left the pipeline. */
  frameEnds: number[];
  /** frameEnds[0] - startCycle. */
  firstFrameLatency: number;
  /** Mean cycles between consecutive image ends (null with one image). */
  steadyInterval: number | null;
  compileSeconds: number;
  runSeconds: number;
}

/** Simulates the design in `dir` (written by writeDesign with `images` images). */
export async function simulate(design: AcceleratorDesign, dir: string, images: number, simulator: Simulator = 'iverilog', timeoutMs = 3_600_000): Promise<SimulationResult> {
  const sources = [...allModules(design.stages).map((m) => `${m.name}.v`), `${design.top}.v`, 'tb.v'];
  const t0 = performance.now();
  const opts = { cwd: dir, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 };
  let binary: string[];
  if (simulator === 'iverilog') {
    await run('iverilog', ['-g2005', '-s', 'tb', `-Ptb.IMAGES=${images}`, '-o', 'sim.vvp', ...sources], opts);
    binary = ['vvp', '-n', 'sim.vvp'];
  } else {
    await run('verilator', ['--binary', '--timing', '-O2', '-Wno-fatal', '-Wno-lint', '-Wno-style', '--top-module', 'tb', `-GIMAGES=${images}`, '-j', '1', ...sources], opts);
    binary = ['./obj_dir/Vtb'];
  }
  const t1 = performance.now();
  const { stdout } = await run(binary[0], binary.slice(1), opts);
  const t2 = performance.now();
  if (stdout.includes('TIMEOUT')) throw new Error(`simulation timed out: ${stdout.trim()}`);
  const values = (await readFile(join(dir, 'logits.txt'), 'utf8')).split('\n').filter(Boolean).map(Number);
  const cycles = (await readFile(join(dir, 'cycles.txt'), 'utf8')).split('\n').filter(Boolean).map(Number);
  const per = design.logitsPerImage;
  const logits: Int32Array[] = [];
  for (let i = 0; i + per <= values.length; i += per) logits.push(Int32Array.from(values.slice(i, i + per)));
  const [startCycle, ...frameEnds] = cycles;
  return {
    simulator,
    logits,
    startCycle,
    frameEnds,
    firstFrameLatency: frameEnds[0] - startCycle,
    steadyInterval: frameEnds.length > 1 ? (frameEnds.at(-1)! - frameEnds[0]) / (frameEnds.length - 1) : null,
    compileSeconds: (t1 - t0) / 1000,
    runSeconds: (t2 - t1) / 1000,
  };
}
