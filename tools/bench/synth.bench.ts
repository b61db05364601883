/**
 * Synthesis wall time per family (issue 17), so the app can say what a "Synthesize" click costs
 * before it is made: the app's default design and a tiny one (designs in synth-designs.ts), each
 * through Debian's Yosys (the CLI's `edgefold synth` runner), YoWASP's Yosys in Node (in-process,
 * wasm fetched and compiled once beforehand by a `yosys -V`, timed apart), and YoWASP's Yosys in the app's synth worker in
 * headless Chromium (a fresh page per run: the time includes starting the worker and compiling
 * the wasm, as a user's first click does). Every run has a time limit; a run past it is reported
 * as "> limit", never as a number. The machine's load average is written next to each time.
 *
 *   npm run bench -- synth --write
 *   SYNTH_BENCH_DESIGNS=micro,tiny,default SYNTH_BENCH_FAMILIES=anlogic,gowin,xilinx SYNTH_BENCH_ENGINES=debian,node,chromium SYNTH_BENCH_LIMIT_S=1800
 *
 * Measured times also go to src/core/synth/wall-times.json (merged by design, family and engine):
 * the app's expected-time line reads them.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { synthesize, yosysVersion } from '../../src/cli/synth-run.ts';
import type { SynthFamily, SynthCounts } from '../../src/core/synth/families.ts';
import { synthesizeWasm } from '../../src/core/synth/yowasp.ts';
import type { WallTimes, WallTime } from '../../src/core/synth/wall-times.ts';
import { CHROMIUM, withBenchPage, type BenchSection } from './harness.ts';
import { designFiles, type BenchDesign, type DesignFiles } from './synth-designs.ts';

type Engine = 'debian' | 'node' | 'chromium';
const list = <T extends string>(name: string, all: T[]): T[] => (process.env[name] ? (process.env[name]!.split(',') as T[]).filter((x) => all.includes(x)) : all);
const DESIGNS = list<BenchDesign>('SYNTH_BENCH_DESIGNS', ['micro', 'tiny', 'default']);
const FAMILY_LIST = list<SynthFamily>('SYNTH_BENCH_FAMILIES', ['anlogic', 'gowin', 'xilinx']);
const ENGINES = list<Engine>('SYNTH_BENCH_ENGINES', ['debian', 'node', 'chromium']);
const LIMIT_S = Number(process.env.SYNTH_BENCH_LIMIT_S ?? 1800);
const WALL_TIMES = resolve(import.meta.dirname, '../../src/core/synth/wall-times.json');

interface Row {
  design: BenchDesign;
  family: SynthFamily;
  engine: Engine;
  seconds: number | null;
  load: [number, number];
  counts?: SynthCounts;
  version?: string;
  note?: string;
  size: DesignFiles;
}

const load1 = () => Math.round(loadavg()[0] * 10) / 10;

async function timed(design: BenchDesign, family: SynthFamily, engine: Engine, size: DesignFiles, work: () => Promise<{ seconds: number; counts: SynthCounts; version: string }>): Promise<Row> {
  const before = load1();
  try {
    const r = await work();
    return { design, family, engine, seconds: r.seconds, counts: r.counts, version: r.version, load: [before, load1()], size };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const over = /time limit|did not finish/.test(message);
    return { design, family, engine, seconds: null, load: [before, load1()], size, note: over ? `> ${LIMIT_S} s (stopped at the limit)` : `failed: ${message.split('\n')[0].slice(0, 160)}` };
  }
}

export async function run(): Promise<BenchSection> {
  const title = 'Synthesis wall time per family (Debian Yosys, YoWASP Yosys in Node and in a Chromium worker)';
  const rows: Row[] = [];
  const designs = new Map<string, DesignFiles>();
  for (const d of DESIGNS) for (const f of FAMILY_LIST) designs.set(`${d}/${f}`, await designFiles(d, f));
  let wasmLoadSeconds: number | null = null;
  if (ENGINES.includes('node')) {
    const { runYosys } = await import('@yowasp/yosys');
    const t = performance.now();
    await runYosys(['-V'], {}, { stdout: null, stderr: null });
    wasmLoadSeconds = (performance.now() - t) / 1000;
  }
  const debian = yosysVersion();
  const order: [BenchDesign, SynthFamily, Engine][] = [];
  for (const d of DESIGNS) for (const f of FAMILY_LIST) for (const e of ENGINES) order.push([d, f, e]);
  const chromiumRuns = order.filter(([, , e]) => e === 'chromium');
  for (const [d, f, e] of order.filter(([, , e]) => e !== 'chromium')) {
    const size = designs.get(`${d}/${f}`)!;
    let row: Row;
    if (e === 'debian') {
      if (!debian) row = { design: d, family: f, engine: e, seconds: null, load: [load1(), load1()], size, note: 'yosys not installed' };
      else {
        const dir = mkdtempSync(join(tmpdir(), 'edgefold-synth-bench-'));
        row = await timed(d, f, e, size, async () => {
          const r = await synthesize(size.files, size.top, f, dir, { timeoutMs: LIMIT_S * 1000 });
          return { seconds: r.seconds, counts: r.counts, version: r.yosysVersion.split(' (')[0] };
        });
        rmSync(dir, { recursive: true, force: true });
      }
    } else {
      // In-process: a wasm run cannot be stopped from its own thread, so the limit is not applied here (the designs run are chosen to fit).
      row = await timed(d, f, e, size, async () => {
        const r = await synthesizeWasm(size.files, size.top, f);
        return { seconds: r.seconds, counts: r.counts, version: r.yosysVersion };
      });
    }
    console.log(`   ${d} ${f} ${e}: ${row.seconds?.toFixed(1) ?? row.note} (load ${row.load.join(' -> ')})`);
    rows.push(row);
  }
  let chromiumVersion = '';
  if (chromiumRuns.length && !existsSync(CHROMIUM)) {
    for (const [d, f, e] of chromiumRuns) rows.push({ design: d, family: f, engine: e, seconds: null, load: [load1(), load1()], size: designs.get(`${d}/${f}`)!, note: `no Chromium at ${CHROMIUM}` });
  } else if (chromiumRuns.length) {
    for (const [d, f, e] of chromiumRuns) {
      const size = designs.get(`${d}/${f}`)!;
      // A fresh page (and so a fresh synth worker) per run.
      const row = await withBenchPage({ path: 'synth.html', ready: 'edgefoldSynthBench' }, (page) =>
        timed(d, f, e, size, async () => {
          page.setDefaultTimeout((LIMIT_S + 60) * 1000);
          const out = (await page.evaluate(
            (request) => (window as unknown as { edgefoldSynthBench: (r: unknown) => Promise<unknown> }).edgefoldSynthBench(request),
            { files: size.files, top: size.top, family: f, timeLimitMs: LIMIT_S * 1000 },
          )) as { wallSeconds: number; run: { counts: SynthCounts; yosysVersion: string }; userAgent: string };
          chromiumVersion = out.userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? '?';
          return { seconds: out.wallSeconds, counts: out.run.counts, version: out.run.yosysVersion };
        }),
      );
      console.log(`   ${d} ${f} ${e}: ${row.seconds?.toFixed(1) ?? row.note} (load ${row.load.join(' -> ')})`);
      rows.push(row);
    }
  }

  // The app's expected-time table: measured runs only.
  const previous: WallTimes = existsSync(WALL_TIMES) ? (JSON.parse(readFileSync(WALL_TIMES, 'utf8')) as WallTimes) : { note: '', runs: [] };
  const today = new Date().toISOString().slice(0, 10);
  const measured: WallTime[] = rows
    .filter((r) => r.seconds !== null)
    .map((r) => ({ design: r.design, family: r.family, engine: r.engine, seconds: Math.round(r.seconds! * 10) / 10, estimatedLut: r.size.estimatedLut, load: r.load, date: today }));
  const key = (w: WallTime) => `${w.design}/${w.family}/${w.engine}`;
  const merged = new Map(previous.runs.map((w) => [key(w), w]));
  for (const w of measured) merged.set(key(w), w);
  writeFileSync(
    WALL_TIMES,
    JSON.stringify({ note: 'Written by `npm run bench -- synth` (tools/bench/synth.bench.ts): synthesis wall times; the app scales them by the estimated LUT count to say what a Synthesize click costs.', runs: [...merged.values()] }, null, 2) + '\n',
  );

  const name = { debian: `Debian ${debian?.split(' (')[0] ?? 'Yosys (not installed)'} (Node child process)`, node: 'YoWASP Yosys in Node (in-process)', chromium: `YoWASP Yosys in the app's synth worker (Chromium ${chromiumVersion || '?'} headless)` };
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const body = [
    `Designs: **default** = the app's default design (dscnn-fmnist, W8A8, unpruned, fully folded) on the family's device (XC7Z020 / GW2A-18 / EG4S20); **tiny** = test/rtl-models.ts tinyModel(28) (conv, depthwise, pointwise: 4-4-8 channels, 20 stages), **micro** = microModel(28) (one 2-channel conv, pool, FC: the e2e's design), same settings. ` +
      "Verilog from the core generator with the family's vendor multiplier (as the app and `edgefold synth` emit it); script: families.ts (`synth_xilinx -family xc7 -noiopad -flatten`, `synth_gowin`, `synth_anlogic`).",
    `YoWASP in Node: loading and compiling the wasm once (\`yosys -V\`) took ${wasmLoadSeconds?.toFixed(1) ?? 'n/a'} s (not in the times below). Chromium: each run in a fresh page, so it includes starting the worker, loading (31 MB wasm from the preview server) and compiling it. Time limit per run ${LIMIT_S} s. Load: 1-minute load average before -> after the run (2 cores; other helpers' jobs running).`,
    '',
    '| design (est. LUT) | family | engine | wall time | load | LUT / FF / DSP / BRAM18 (synthesized) |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.design} (${n(r.size.estimatedLut)}) | ${r.family} | ${name[r.engine]} | ${r.seconds !== null ? `${r.seconds.toFixed(1)} s` : r.note} | ${r.load.join(' -> ')} | ${r.counts ? `${n(r.counts.lut)} / ${n(r.counts.ff)} / ${r.counts.dsp} / ${r.counts.bram18}` : ''} |`,
    ),
    '',
    `Not run here: ${
      [...['tiny', 'default'].flatMap((d) => ['anlogic', 'gowin', 'xilinx'].flatMap((f) => ['debian', 'node', 'chromium'].map((e) => `${d}/${f}/${e}`)))].filter((k) => !rows.some((r) => `${r.design}/${r.family}/${r.engine}` === k)).join(', ') || 'nothing'
    }.`,
  ].join('\n');
  return { title, body };
}

