/**
 * Synthesis with YoWASP's Yosys (Yosys compiled to WebAssembly, npm `@yowasp/yosys`), the same
 * script and cell counting as the CLI's Debian Yosys (families.ts). Runs in Node and in a browser
 * worker alike: the package loads its .wasm and Yosys' share files from its own files (Node) or
 * the app's origin (browser), never from elsewhere.
 *
 * The wasm call is synchronous: nothing can interrupt it but terminating the thread it runs on
 * (the app's synth worker does; see src/workers-client/synth.ts).
 */
import { parseStatJson, synthInputs, tallyCells, yosysScript, type CellTally, type SynthFamily } from './families.ts';

export interface WasmSynthProgress {
  /** The Yosys pass running now, e.g. "SYNTH_ANLOGIC" then "ABC" (from the log's "N.M. Executing X pass" lines). */
  phase: string;
  /** Passes started so far. */
  passes: number;
  elapsedMs: number;
}

export interface WasmSynthRun extends CellTally {
  family: SynthFamily;
  top: string;
  /** Wall time of the Yosys run, with loading the wasm the first time. */
  seconds: number;
  /** "Yosys 0.55 (YoWASP 0.55.944)". */
  yosysVersion: string;
}

/** The @yowasp/yosys version package.json pins (a test checks it against the installed package): views name it before loading the wasm. */
export const YOWASP_YOSYS_VERSION = '0.55.944';

/** "Yosys 0.55": the Yosys release of a YoWASP package version (its first two numbers). */
export const yowaspYosysRelease = (version = YOWASP_YOSYS_VERSION) => `Yosys ${version.split('.').slice(0, 2).join('.')}`;

/** Log lines kept for an error message. */
const LOG_TAIL = 40;

/** The package's version (its first two numbers are Yosys' release). */
export async function yowaspVersion(): Promise<string> {
  const { version } = await import('@yowasp/yosys');
  return version;
}

/** Reads "2.3. Executing ABC pass (technology mapping)." into "ABC". */
export function passOf(line: string): string | null {
  const m = /^\d+(?:\.\d+)*\. Executing (\S+) pass/.exec(line);
  return m ? m[1] : null;
}

/**
 * Synthesizes `top` for `family` with the same script as the CLI (flattened; see FAMILIES) and
 * returns the family's tally. `onProgress` is called at most every `progressEveryMs` with the pass
 * running, from inside the synchronous wasm call.
 */
export async function synthesizeWasm(
  files: Record<string, string>,
  top: string,
  family: SynthFamily,
  options: { onProgress?: (p: WasmSynthProgress) => void; progressEveryMs?: number } = {},
): Promise<WasmSynthRun> {
  const { runYosys, version } = await import('@yowasp/yosys');
  const { files: all, verilog } = synthInputs(files, family);
  const statFile = `stat_${family}.json`;
  const input = { ...all, 'synth.ys': yosysScript(family, verilog, top, statFile) };
  const started = performance.now();
  const tail: string[] = [];
  let passes = 0;
  let lastReport = -Infinity;
  const every = options.progressEveryMs ?? 250;
  const decoder = new TextDecoder();
  let pending = '';
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > LOG_TAIL) tail.shift();
    const pass = passOf(line);
    if (!pass) return;
    passes++;
    const now = performance.now();
    if (options.onProgress && now - lastReport >= every) {
      lastReport = now;
      options.onProgress({ phase: pass, passes, elapsedMs: now - started });
    }
  };
  const output = (bytes: Uint8Array | null) => {
    if (!bytes) return;
    pending += decoder.decode(bytes, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    // A single unterminated line cannot grow without bound.
    if (pending.length > 64_000) pending = pending.slice(-1000);
    for (const line of lines) onLine(line);
  };
  options.onProgress?.({ phase: 'loading Yosys', passes: 0, elapsedMs: 0 });
  let tree;
  try {
    tree = await runYosys(['-s', 'synth.ys'], input, { stdout: output, stderr: output });
  } catch (error) {
    const code = (error as { code?: number }).code;
    const errors = tail.filter((l) => /ERROR|error/.test(l));
    throw new Error(`Yosys ${version} ${family} on ${top} failed${code !== undefined ? ` (exit ${code})` : ''}: ${(errors.length ? errors : tail.slice(-5)).join('\n') || String(error)}`, { cause: error });
  }
  const seconds = (performance.now() - started) / 1000;
  const stat = tree?.[statFile];
  if (typeof stat !== 'string') throw new Error(`Yosys ${version} wrote no ${statFile}.`);
  return { ...tallyCells(family, parseStatJson(stat, top)), family, top, seconds, yosysVersion: `${yowaspYosysRelease(version)} (YoWASP ${version})` };
}
