/**
 * Fits the per-family LUT / FF coefficients of the compute engines (src/core/hw/calibration.ts)
 * on the fitting half of the synthesis grid (tools/synth/grid.ts) and reports the error on the
 * held-out half, before (the FINN-based priors) and after. Writes src/core/hw/calibration.json
 * (the coefficients, with source, Yosys version and date) and tools/synth/calibration-report.json.
 *
 * Fit: non-negative least squares on relative error (each row divided by the synthesized count),
 * so small and large engines weigh alike and no coefficient says that more hardware costs less.
 *
 * Run: node --import tsx tools/synth/calibrate.ts [--grid tools/synth/grid-results.json] [--min-rows 10] [--apply-lut anlogic,gowin:gpool+maxpool]
 *        [--families gowin,anlogic]  (the families whose coefficients go into the table; others are reported only)
 *        [--table src/core/hw/calibration.json] [--report tools/synth/calibration-report.json]
 *        [--rows gowin/fifo]  (prints that kind's fitting-half rows one by one: synthesized, fitted, error; held-out rows only in summary)
 *        [--cv 5] [--only gowin/fifo,xilinx/mvau]  (k-fold cross-validation on the fitting half only, printed per kind: how to choose
 *        features without looking at the held-out half; --only limits what is printed, the table is always written whole)
 *        [--probe /tmp/probes-out.json]  (rows of off-grid configurations from grid.ts --configs: each one's error under the fit, printed one by one)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CalibratedKind, CalibrationTable, Features, KindCoefficients } from '../../src/core/hw/calibration.ts';
import { getDevice, lutFactor } from '../../src/core/hw/devices.ts';
import { mvauFeatures } from '../../src/core/hw/engines/mvau.ts';
import { requantFeatures } from '../../src/core/hw/engines/thresholding.ts';
import { vvauFeatures } from '../../src/core/hw/engines/vvau.ts';
import { slidingWindowCost, slidingWindowFeatures } from '../../src/core/hw/engines/sliding-window.ts';
import { fifoCost, fifoFeatures } from '../../src/core/hw/engines/fifo.ts';
import { widthConverterFeatures } from '../../src/core/hw/engines/width-converter.ts';
import { globalAccPoolFeatures, maxPoolFeatures } from '../../src/core/hw/engines/pool.ts';
import { FAMILIES, type SynthFamily } from '../../src/core/synth/families.ts';
import { gridEngineContext, gridMvauSpec, gridRequantBias, gridWindowShape, maxPoolGridEngine, type GridConfig } from './configs.ts';
import { requantBiasBits } from '../../src/core/rtl/requant.ts';
import type { GridRow } from './grid.ts';

const { values } = parseArgs({ options: { families: { type: 'string' }, 'apply-lut': { type: 'string' }, grid: { type: 'string', default: 'tools/synth/grid-results.json' }, 'min-rows': { type: 'string', default: '10' }, table: { type: 'string', default: 'src/core/hw/calibration.json' }, report: { type: 'string', default: 'tools/synth/calibration-report.json' }, rows: { type: 'string' }, cv: { type: 'string' }, only: { type: 'string' }, probe: { type: 'string' } } });
const root = resolve(import.meta.dirname, '../..');
const grid = JSON.parse(readFileSync(resolve(root, values.grid!), 'utf8')) as { yosys: string; rows: GridRow[] };
const minRows = Number(values['min-rows']);
// Off-grid rows (grid.ts --configs): shown one by one under the fit, never fitted.
const probeRows = values.probe ? (JSON.parse(readFileSync(resolve(values.probe), 'utf8')) as { rows: GridRow[] }).rows : [];

function features(row: { family: SynthFamily; config: GridConfig }): { lut: Features; ff: Features } {
  const c = row.config;
  const { device } = gridEngineContext(c, row.family);
  const bits = { weightBits: c.bits, actBits: c.bits, actSigned: false };
  // LUT-style rows (mulStyle 'lut') as grid.ts estimated and built them.
  const mul = { mulStyle: c.mulStyle ?? ('auto' as const) };
  if (c.kind === 'mvau') return mvauFeatures(gridMvauSpec(c), bits, c, device, mul);
  if (c.kind === 'vvau') return vvauFeatures({ channels: c.channels, kernel: [c.kernel, c.kernel], outDim: [4, 4] }, bits, c, device, mul);
  // The bias width of the built ROM, as grid.ts estimated it.
  if (c.kind === 'requant') return requantFeatures({ channels: c.channels, numVectors: 16, thresholdBits: c.accBits!, biasBits: requantBiasBits(gridRequantBias(c)) }, c.bits, c.pe, device);
  if (c.kind === 'swg') {
    // The same window tools/synth/grid.ts builds, and the estimator's line-buffer placement (which the grid's Verilog states).
    const shape = gridWindowShape(c);
    const mem = slidingWindowCost(shape, c.bits, { simd: c.simd }, device).bufferMemory!;
    return slidingWindowFeatures(shape, c.bits, { simd: c.simd }, mem, device.memoryLibrary);
  }
  if (c.kind === 'fifo') return fifoFeatures(c.depth!, c.width!, fifoCost(c.depth!, c.width!, device).bram18 > 0 ? 'bram' : 'lutram', device.lutInputs);
  if (c.kind === 'gpool') return globalAccPoolFeatures({ channels: c.channels, inDim: [c.imgDim!, c.imgDim!] }, c.bits, c.pe, c.bits, device.lutInputs);
  if (c.kind === 'maxpool') return maxPoolFeatures(maxPoolGridEngine(c), c.bits, device.lutInputs);
  return widthConverterFeatures({ inElements: c.inElements!, outElements: c.outElements!, elementBits: c.bits, inWords: 64 });
}

/** Non-negative least squares by cyclic coordinate descent on min |diag(1/y) (X b - y)|^2, b >= 0. */
function nnlsRelative(X: number[][], y: number[]): number[] {
  const n = X.length;
  const p = X[0].length;
  const A = X.map((r, i) => r.map((v) => v / Math.max(1, y[i])));
  const t = y.map((v) => v / Math.max(1, v));
  const b = new Array(p).fill(0);
  const colNorm = Array.from({ length: p }, (_, j) => A.reduce((s, r) => s + r[j] * r[j], 0));
  const resid = t.slice();
  for (let sweep = 0; sweep < 20000; sweep++) {
    let change = 0;
    for (let j = 0; j < p; j++) {
      if (colNorm[j] === 0) continue;
      let g = 0;
      for (let i = 0; i < n; i++) g += A[i][j] * resid[i];
      const next = Math.max(0, b[j] + g / colNorm[j]);
      const d = next - b[j];
      if (d !== 0) {
        for (let i = 0; i < n; i++) resid[i] -= A[i][j] * d;
        b[j] = next;
        change = Math.max(change, Math.abs(d) * Math.sqrt(colNorm[j]));
      }
    }
    if (change < 1e-10) break;
  }
  return b;
}

function fitCoefficients(fit: GridRow[]): KindCoefficients {
  const coef: KindCoefficients = { lut: {}, ff: {} };
  for (const what of ['lut', 'ff'] as const) {
    const names = Object.keys(features(fit[0])[what]);
    const X = fit.map((r) => names.map((n) => features(r)[what][n] ?? 0));
    const b = nnlsRelative(X, fit.map((r) => r.synthesized[what]));
    names.forEach((n, j) => {
      if (b[j] !== 0) coef[what][n] = Math.round(b[j] * 1e4) / 1e4;
    });
  }
  return coef;
}
const predictWith = (coef: KindCoefficients, r: GridRow, what: 'lut' | 'ff') => Object.entries(coef[what]).reduce((s, [n, c]) => s + c * (features(r)[what][n] ?? 0), 0);

/**
 * k-fold cross-validation on the fitting half (folds by row order after sorting by id, so the
 * same every run): each fold is predicted by a fit on the other folds. It tells whether a feature
 * generalises without reading the held-out half, which stays the final, once-looked-at check.
 */
function crossValidate(fit: GridRow[], k: number): { lut: ReturnType<typeof summary>; ff: ReturnType<typeof summary> } {
  const rows = fit.slice().sort((a, b) => a.id.localeCompare(b.id));
  const errs = { lut: [] as number[], ff: [] as number[] };
  for (let f = 0; f < k; f++) {
    const test = rows.filter((_, i) => i % k === f);
    const train = rows.filter((_, i) => i % k !== f);
    if (test.length === 0 || train.length === 0) continue;
    const coef = fitCoefficients(train);
    for (const what of ['lut', 'ff'] as const) for (const r of test) errs[what].push(relErr(predictWith(coef, r, what), r.synthesized[what]));
  }
  return { lut: summary(errs.lut), ff: summary(errs.ff) };
}
const crossValidation = new Map<string, { lut: ReturnType<typeof summary>; ff: ReturnType<typeof summary> }>();

const relErr = (est: number, real: number) => (real === 0 ? (est === 0 ? 0 : Infinity) : Math.abs(est - real) / real);
function summary(errs: number[]) {
  const s = errs.slice().sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { mean: round(mean), median: round(s[Math.floor(s.length / 2)]), p90: round(s[Math.min(s.length - 1, Math.floor(s.length * 0.9))]), max: round(s[s.length - 1]), within15: `${s.filter((e) => e <= 0.15).length}/${s.length}` };
}
const round = (x: number) => Math.round(x * 1000) / 1000;

// Whether the estimator applies the LUT fit is a decision on whole designs (docs/decisions.md): kept from the table unless --apply-lut says.
const previous = (() => {
  try {
    return JSON.parse(readFileSync(resolve(root, values.table!), 'utf8')) as Partial<CalibrationTable>;
  } catch {
    return {};
  }
})();
const applyLut: CalibrationTable['applyLut'] =
  values['apply-lut'] !== undefined
    ? // "anlogic" = every kind of the family; "gowin:gpool+maxpool" = those kinds only.
      Object.fromEntries(values['apply-lut'].split(',').filter(Boolean).map((f) => (f.includes(':') ? [f.split(':')[0], f.split(':')[1].split('+')] : [f, true])))
    : typeof previous.applyLut === 'object'
      ? previous.applyLut
      : {};
const table: CalibrationTable = {
  applyLut,
  source: `tools/synth/calibrate.ts on ${values.grid} (single engines synthesized by tools/synth/grid.ts); non-negative least squares on relative error, fitting half of the grid`,
  yosys: grid.yosys.split(' (')[0],
  date: new Date().toISOString().slice(0, 10),
  families: {},
};
const report: Record<string, unknown> = {};
const kindOf = (r: GridRow): CalibratedKind => r.kind;
for (const family of [...new Set(grid.rows.map((r) => r.family))]) {
  const factor = lutFactor(getDevice(FAMILIES[family].device));
  const kinds: Partial<Record<CalibratedKind, KindCoefficients>> = {};
  for (const kind of [...new Set(grid.rows.filter((r) => r.family === family).map(kindOf))]) {
    const rows = grid.rows.filter((r) => r.family === family && r.kind === kind);
    const fit = rows.filter((r) => !r.heldOut);
    const held = rows.filter((r) => r.heldOut);
    const key = `${family}/${kind}`;
    if (fit.length < minRows || held.length < 1) {
      report[key] = { skipped: `${fit.length} fitting and ${held.length} held-out rows (need ${minRows} and 1)` };
      continue;
    }
    const coef = fitCoefficients(fit);
    kinds[kind] = coef;
    const predict = (r: GridRow, what: 'lut' | 'ff') => predictWith(coef, r, what);
    const errors = (set: GridRow[], what: 'lut' | 'ff', after: boolean) => set.map((r) => relErr(after ? predict(r, what) : r.estimated[what], r.synthesized[what]));
    const blocks = (set: GridRow[], what: 'dsp' | 'bram18') => {
      const d = set.map((r) => Math.abs(r.estimated[what] - r.synthesized[what]));
      return { exact: `${d.filter((x) => x === 0).length}/${d.length}`, withinOneBlock: `${d.filter((x) => x <= 1).length}/${d.length}`, maxDiff: Math.max(...d) };
    };
    if (values.rows === key)
      for (const r of fit) {
        const [l, f] = [predict(r, 'lut'), predict(r, 'ff')];
        console.log(`fit row ${r.id}: LUT ${r.synthesized.lut} fitted ${l.toFixed(0)} (${((100 * (l - r.synthesized.lut)) / r.synthesized.lut).toFixed(1)} %), FF ${r.synthesized.ff} fitted ${f.toFixed(0)} (${((100 * (f - r.synthesized.ff)) / r.synthesized.ff).toFixed(1)} %)`);
      }
    if (values.cv) crossValidation.set(key, crossValidate(fit, Number(values.cv)));
    for (const r of probeRows.filter((p) => p.family === family && p.kind === kind)) {
      const [l, f] = [predict(r, 'lut'), predict(r, 'ff')];
      console.log(`probe ${r.id}: LUT ${r.synthesized.lut} fitted ${l.toFixed(0)} (${((100 * (l - r.synthesized.lut)) / Math.max(1, r.synthesized.lut)).toFixed(1)} %), FF ${r.synthesized.ff} fitted ${f.toFixed(0)} (${((100 * (f - r.synthesized.ff)) / Math.max(1, r.synthesized.ff)).toFixed(1)} %)`);
    }
    report[key] = {
      rows: { fit: fit.length, heldOut: held.length },
      heldOut: {
        lut: { before: summary(errors(held, 'lut', false)), after: summary(errors(held, 'lut', true)) },
        ff: { before: summary(errors(held, 'ff', false)), after: summary(errors(held, 'ff', true)) },
        dsp: blocks(held, 'dsp'),
        bram18: blocks(held, 'bram18'),
      },
      fitHalfAfter: { lut: summary(errors(fit, 'lut', true)), ff: summary(errors(fit, 'ff', true)) },
      coefficients: coef,
    };
  }
  if (!values.families || values.families.split(',').includes(family)) table.families[family] = { lutPerLut6: factor, kinds };
  else for (const kind of Object.keys(kinds)) (report[`${family}/${kind}`] as Record<string, unknown>).notApplied = `${family} is not in --families: reported, not written to the table (its previous coefficients, if any, are kept)`;
}
// Families left out of --families keep the coefficients (and the Yosys version) they had: a refit of one family never drops another's.
if (values.families) {
  const fitted = values.families.split(',');
  for (const [family, entry] of Object.entries(previous.families ?? {})) if (!fitted.includes(family) && entry) table.families[family as keyof CalibrationTable['families']] = entry;
}
writeFileSync(resolve(root, values.table!), JSON.stringify(table, null, 1) + '\n');
writeFileSync(resolve(root, values.report!), JSON.stringify({ grid: values.grid, yosys: grid.yosys, date: table.date, report }, null, 1) + '\n');
for (const [key, r] of Object.entries(report)) {
  const x = r as { skipped?: string; rows?: { fit: number; heldOut: number }; heldOut?: Record<string, Record<string, unknown>> };
  if (values.only && !values.only.split(',').includes(key)) continue;
  if (x.skipped) {
    console.log(`${key}: skipped, ${x.skipped}`);
    continue;
  }
  const h = x.heldOut!;
  const fmt = (s: unknown) => {
    const v = s as { median: number; p90: number; max: number; within15: string };
    return `median ${(100 * v.median).toFixed(1)} % p90 ${(100 * v.p90).toFixed(1)} % max ${(100 * v.max).toFixed(1)} % (within 15 %: ${v.within15})`;
  };
  console.log(`${key} (fit ${x.rows!.fit}, held out ${x.rows!.heldOut})`);
  console.log(`  LUT before ${fmt(h.lut.before)}\n  LUT after  ${fmt(h.lut.after)}`);
  console.log(`  FF  before ${fmt(h.ff.before)}\n  FF  after  ${fmt(h.ff.after)}`);
  const cv = crossValidation.get(key);
  if (cv) console.log(`  ${values.cv}-fold CV on the fitting half: LUT ${fmt(cv.lut)}\n  ${' '.repeat(String(values.cv).length)}                             FF  ${fmt(cv.ff)}`);
  console.log(`  as estimated when synthesized (current block RAM: tools/synth/bram-check.ts): DSP ${JSON.stringify(h.dsp)}  BRAM18 ${JSON.stringify(h.bram18)}`);
}
