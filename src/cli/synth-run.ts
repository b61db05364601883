/**
 * Runs Debian's Yosys on a directory of Verilog and reads back the cell counts (the family rules
 * are src/core/synth/families.ts). Bounded: the run is killed after `timeoutMs`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgefoldError } from '../core/errors.ts';
import { FAMILIES, parseStatJson, parseStatModules, synthInputs, tallyCells, yosysScript, type CellTally, type SynthFamily } from '../core/synth/families.ts';

export interface SynthRun extends CellTally {
  family: SynthFamily;
  top: string;
  /** Wall time of the Yosys process. */
  seconds: number;
  /** Hierarchical runs: the tally of each module. */
  modules?: Record<string, CellTally>;
  yosysVersion: string;
}

export interface SynthOptions {
  /** Kill Yosys after this long (default 30 min). */
  timeoutMs?: number;
  /** Run Yosys under `nice -n` (the machine is shared). */
  nice?: number;
  /** Keep the hierarchy: `modules` then holds the counts per module (one per engine instance), `counts` their sum. */
  hierarchical?: boolean;
}

/** "Yosys 0.23 (git sha1 ...)" or null when Yosys is not installed. */
export function yosysVersion(): string | null {
  const r = spawnSync('yosys', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return r.stdout.trim();
}

/** Yosys ran past the time limit: what to do about it, under the `timeout` option. */
export function timeoutError(family: SynthFamily, top: string, timeoutMs: number): EdgefoldError {
  const s = Math.max(1, Math.round(timeoutMs / 1000));
  return new EdgefoldError(
    'bad-input',
    `Yosys (${FAMILIES[family].synth}) did not finish synthesizing ${top} in ${s} s and was stopped. Raise --timeout (seconds; default 1800), fold the design further (fewer parallel engines synthesize faster), or run it on a less loaded machine.`,
    'timeout',
  );
}

/**
 * Writes `files` (Verilog and memory init files) into `dir`, synthesizes `top` for `family` and
 * returns the tally. Only the `.v` files other than `tb.v` are read (the testbench is not hardware).
 */
export async function synthesize(files: Record<string, string>, top: string, family: SynthFamily, dir: string, options: SynthOptions = {}): Promise<SynthRun> {
  const version = yosysVersion();
  if (!version) throw new Error('yosys is not installed (Debian: apt-get install yosys; `node tools/ensure-system-tools.mjs` says how).');
  await mkdir(dir, { recursive: true });
  const { files: all, verilog } = synthInputs(files, family);
  for (const [name, text] of Object.entries(all)) await writeFile(join(dir, name), text);
  const statFile = `stat_${family}.json`;
  const script = `synth_${family}.ys`;
  await writeFile(join(dir, script), yosysScript(family, verilog, top, statFile, options.hierarchical));
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const args = ['-q', '-l', `synth_${family}.log`, '-s', script];
  const [cmd, argv] = options.nice ? ['nice', ['-n', String(options.nice), 'yosys', ...args]] : ['yosys', args];
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 20_000) stderr += d.toString();
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // A timeout is the user's limit (--timeout), not a fault of edgefold: a clear message and the bad-input exit code (2).
      if (timedOut) reject(timeoutError(family, top, timeoutMs));
      else if (code !== 0 || signal) reject(new Error(`yosys ${FAMILIES[family].synth} on ${top} failed (${signal ? `killed by ${signal}` : `exit ${code}`}); see ${join(dir, `synth_${family}.log`)}\n${stderr.slice(-2000)}`));
      else resolve();
    });
  });
  const seconds = (performance.now() - started) / 1000;
  const statText = await readFile(join(dir, statFile), 'utf8');
  if (!options.hierarchical) return { ...tallyCells(family, parseStatJson(statText, top)), family, top, seconds, yosysVersion: version };
  // Every engine instance is its own module, instantiated once: the design is the sum of the modules.
  const parsed = parseStatModules(statText);
  const isModule = (t: string) => t.replace(/^\\/, '') in parsed;
  const modules: Record<string, CellTally> = {};
  const sum: Record<string, number> = {};
  for (const [name, cells] of Object.entries(parsed)) {
    const own = Object.fromEntries(Object.entries(cells).filter(([t]) => !isModule(t)));
    modules[name] = tallyCells(family, own);
    for (const [t, n] of Object.entries(own)) sum[t] = (sum[t] ?? 0) + n;
  }
  return { ...tallyCells(family, sum), modules, family, top, seconds, yosysVersion: version };
}
