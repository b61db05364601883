/**
 * Block RAM of the synthesis grid's memories (tools/synth/grid-results.json: MVAU, VVAU,
 * requantiser, sliding-window and FIFO rows) re-estimated with the current estimator, against the synthesized count:
 * exact and within one block per family and kind, held-out rows, next to the estimate stored when
 * the row was synthesized. Lists the held-out rows that miss.
 *
 * Run: node --import tsx tools/synth/bram-check.ts [--grid tools/synth/grid-results.json] [--all]  (--all: the fitting half too)
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ENGINES } from '../../src/core/hw/engines/index.ts';
import { fifoCost } from '../../src/core/hw/engines/fifo.ts';
import type { GridRow } from './grid.ts';
import { gridEngineContext, gridMvauSpec, gridRequantBias, gridWindowShape } from './configs.ts';
import { slidingWindowCost } from '../../src/core/hw/engines/sliding-window.ts';
import { requantBiasBits } from '../../src/core/rtl/requant.ts';

const { values } = parseArgs({ options: { grid: { type: 'string', default: 'tools/synth/grid-results.json' }, all: { type: 'boolean', default: false } } });
const rows = (JSON.parse(readFileSync(resolve(import.meta.dirname, '../..', values.grid!), 'utf8')) as { rows: GridRow[] }).rows;

/** The estimate grid.ts makes for a row (its `build`), block RAM only. */
function bram18(r: GridRow): number | null {
  const c = r.config;
  const ctx = gridEngineContext(c, r.family);
  if (c.kind === 'mvau') return ENGINES.mvau.estimate(gridMvauSpec(c), c, ctx).bram18;
  if (c.kind === 'vvau') return ENGINES.vvau.estimate({ kind: 'vvau', channels: c.channels, kernel: [c.kernel, c.kernel], outDim: [4, 4] }, c, ctx).bram18;
  if (c.kind === 'requant') {
    const spec = { kind: 'thresholding' as const, channels: c.channels, numVectors: 16, thresholdBits: c.accBits!, outBits: c.bits, biasBits: requantBiasBits(gridRequantBias(c)) };
    return ENGINES.thresholding.estimate(spec, c, ctx).bram18;
  }
  if (c.kind === 'fifo') return fifoCost(c.depth!, c.width!, ctx.device).bram18;
  if (c.kind === 'swg') return slidingWindowCost(gridWindowShape(c), c.bits, { simd: c.simd }, ctx.device).bram18;
  return null;
}

const tally = new Map<string, { n: number; exact: number; within: number; storedExact: number; storedWithin: number }>();
const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol + 1e-9;
for (const r of rows.filter((x) => values.all || x.heldOut)) {
  const now = bram18(r);
  if (now === null) continue;
  const t = tally.get(`${r.family}/${r.kind}`) ?? { n: 0, exact: 0, within: 0, storedExact: 0, storedWithin: 0 };
  const s = r.synthesized.bram18;
  t.n++;
  t.exact += close(now, s, 0) ? 1 : 0;
  t.within += close(now, s, 1) ? 1 : 0;
  t.storedExact += close(r.estimated.bram18, s, 0) ? 1 : 0;
  t.storedWithin += close(r.estimated.bram18, s, 1) ? 1 : 0;
  tally.set(`${r.family}/${r.kind}`, t);
  if (!close(now, s, 0)) console.log(`miss ${r.id}: estimated ${now} (stored ${r.estimated.bram18}), synthesized ${s}`);
}
for (const [key, t] of tally) console.log(`${key.padEnd(16)} ${values.all ? "all" : "held out"} ${t.n}: BRAM18 exact ${t.exact}/${t.n}, within one block ${t.within}/${t.n} (estimate stored with the grid: ${t.storedExact}/${t.n}, ${t.storedWithin}/${t.n})`);
