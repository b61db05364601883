/**
 * Automatic folding (design-space exploration).
 *
 * 1. FINN SetFolding-style balancing (Xilinx/finn @ 39f0c9a6b,
 *    src/finn/transformation/fpgadataflow/set_folding.py): for a target cycle count T, each layer
 *    takes the least parallelism whose main engine needs <= T cycles, raising parallelism in
 *    FINN's order (MVAU: SIMD while the weight stream per PE stays <= 36 bits, then PE, then the
 *    rest of SIMD; VVAU: PE, then SIMD; pooling / add: PE). Auxiliary engines (sliding windows,
 *    thresholds) are folded to the pipeline's slowest main engine by `estimate`.
 *    Sweeping T geometrically gives a family of balanced designs.
 * 2. Better than FINN: from the fastest balanced design that fits, spend the leftover budget on
 *    the bottleneck: repeatedly give the slowest engine's layer its next parallelism step while
 *    the design still fits.
 * All evaluated designs are reduced to the FPS-vs-resources Pareto front the UI plots.
 */
import type { HwFolding, HwLayerConfig } from './config.ts';
import { checkNumber, LIMITS } from '../limits.ts';
import type { Device } from './devices.ts';
import { divisors } from './folding.ts';
import { estimate, type Estimate, type EstimateOptions, type Resource } from './pipeline.ts';
import { engineOf } from './engines/index.ts';
import { slidingWindowAuxFold, slidingWindowCycles, windowFollowsMain } from './engines/sliding-window.ts';
import type { HwLayer, MemStyle, MulStyle } from './types.ts';

export type FoldObjective = 'max-fps' | { targetFps: number };

export interface AutoFoldOptions {
  /** Fraction of each resource the design may use (default 0.8), or per resource. */
  budget?: number | Partial<Record<Resource, number>>;
  objective?: FoldObjective;
  mulStyle?: MulStyle;
  memStyle?: MemStyle;
  /** Weight-stream width cap per PE for the SIMD-first phase (FINN mvau_wwidth_max, default 36). */
  mvauWwidthMax?: number;
  /** Passed to every estimate (requantiser style, FIFO depth, activity). */
  estimate?: EstimateOptions;
  /**
   * When BRAM is over budget, move MVAU/VVAU weights to UltraRAM first on parts that have it
   * (default true); false keeps the BRAM -> LUTRAM trade only, as before UltraRAM was modelled.
   */
  uram?: boolean;
}

export interface ParetoPoint {
  fps: number;
  maxCycles: number;
  lut: number;
  ff: number;
  dsp: number;
  bram18: number;
  utilization: Record<Resource, number | null>;
  /** Largest utilization over the resources with a known budget: the x axis of the curve. */
  maxUtilization: number;
  fitsBudget: boolean;
  folding: HwFolding;
}

export interface AutoFoldResult {
  objective: FoldObjective;
  folding: HwFolding;
  estimate: Estimate;
  /** Whether the objective was met within the budget (max-fps: something fits at all). */
  met: boolean;
  message: string;
  /** FPS-vs-resources Pareto front, increasing in both resources and FPS. */
  pareto: ParetoPoint[];
  evaluated: number;
}

interface Step {
  pe: number;
  simd: number;
  cycles: number;
}

/** The layer's parallelism steps in FINN's order, cycles strictly decreasing. */
function layerSteps(layer: HwLayer, wwidthMax: number): Step[] {
  if (!layer.mappable) return [{ pe: 1, simd: 1, cycles: 0 }];
  const spec = layer.engines[layer.main];
  const peDivs = divisors(layer.fold.pe);
  const simdDivs = divisors(layer.fold.simd);
  const raw: { pe: number; simd: number }[] = [];
  if (spec.kind === 'mvau') {
    const w = layer.bits.weightBits;
    const narrow = simdDivs.filter((s) => s * w <= wwidthMax);
    const sCap = narrow[narrow.length - 1] ?? 1;
    for (const s of narrow) raw.push({ pe: 1, simd: s });
    for (const p of peDivs.slice(1)) raw.push({ pe: p, simd: sCap });
    for (const s of simdDivs.filter((x) => x > sCap)) raw.push({ pe: layer.fold.pe, simd: s });
  } else if (spec.kind === 'vvau') {
    for (const p of peDivs) raw.push({ pe: p, simd: 1 });
    for (const s of simdDivs.slice(1)) raw.push({ pe: layer.fold.pe, simd: s });
  } else {
    for (const p of peDivs) raw.push({ pe: p, simd: 1 });
  }
  // The layer's interval at a folding: its main engine, and a sliding window that follows it.
  const main = engineOf(spec);
  const window = layer.engines.find((e) => e.kind === 'sliding-window');
  const cyclesOf = (pe: number, simd: number): number => {
    const fold = { pe, simd };
    const cycles = main.expCycles(spec, fold, layer);
    if (!window || window.kind !== 'sliding-window' || !windowFollowsMain(spec.kind)) return cycles;
    return Math.max(cycles, slidingWindowCycles(window, slidingWindowAuxFold(window, { target: cycles, main: { kind: spec.kind, fold } })));
  };
  const steps: Step[] = [];
  for (const r of raw) {
    const cycles = cyclesOf(r.pe, r.simd);
    if (steps.length === 0 || cycles < steps[steps.length - 1].cycles) steps.push({ ...r, cycles });
  }
  return steps;
}

function budgetOf(b: AutoFoldOptions['budget']): Record<Resource, number> {
  if (typeof b === 'number' || b === undefined) {
    const f = b ?? 0.8;
    if (!(f > 0 && f <= 1)) throw new RangeError(`budget must be in (0, 1], got ${f}`);
    return { lut: f, ff: f, dsp: f, bram: f, uram: f };
  }
  return { lut: b.lut ?? 0.8, ff: b.ff ?? 0.8, dsp: b.dsp ?? 0.8, bram: b.bram ?? 0.8, uram: b.uram ?? 0.8 };
}

const RESOURCE_NAMES: Record<Resource, string> = { lut: 'LUT', ff: 'FF', dsp: 'DSP', bram: 'BRAM', uram: 'URAM' };

/** "80 % of each resource", or "LUT 80 %, FF 80 %, DSP 50 %, BRAM 80 %": for people, not JSON. */
export function describeBudget(budget: Record<Resource, number>): string {
  const values = Object.values(budget);
  if (values.every((v) => v === values[0])) return `${Math.round(values[0] * 100)} % of each resource`;
  return (Object.keys(budget) as Resource[]).map((r) => `${RESOURCE_NAMES[r]} ${Math.round(budget[r] * 100)} %`).join(', ');
}

/**
 * The "fits" verdict against the user's budget (a fraction of each resource), not the whole
 * device: true / false, or null when a used resource's device count is unknown. `over` names the
 * resources above the budget with their utilization.
 */
export function budgetVerdict(e: Estimate, budget: number): { fits: boolean | null; over: { resource: string; utilization: number }[] } {
  const over: { resource: string; utilization: number }[] = [];
  let unknown = false;
  for (const r of Object.keys(RESOURCE_NAMES) as Resource[]) {
    const use = e.resources[r];
    if (use.utilization === null) {
      if (use.used > 0) unknown = true;
      continue;
    }
    if (use.utilization > budget + 1e-12) over.push({ resource: RESOURCE_NAMES[r], utilization: use.utilization });
  }
  return { fits: over.length ? false : unknown ? null : true, over };
}

/**
 * Why a bottleneck layer cannot be folded further, or null when it can (more PE or SIMD would
 * make it faster). A channel count with few divisors (a prime after pruning) leaves no step
 * between 1 and all channels: that is said, with the cure.
 */
export function bottleneckReason(layer: HwLayer, cfg: { pe: number; simd: number }, allowed: { pe: number[]; simd: number[]; peLabel: string; simdLabel: string }): string | null {
  if (!layer.mappable) return null;
  const maxPe = allowed.pe.at(-1)!;
  const maxSimd = allowed.simd.at(-1)!;
  const peStuck = cfg.pe >= maxPe;
  const simdStuck = cfg.simd >= maxSimd;
  if (peStuck && simdStuck) {
    return `At its largest folding (PE ${maxPe} = ${allowed.peLabel}${maxSimd > 1 ? `, SIMD ${maxSimd} = ${allowed.simdLabel}` : ''}): only a smaller layer (pruning) or a faster clock makes it faster.`;
  }
  const coarse = (values: number[], label: string, now: number) => {
    const next = values.find((v) => v > now);
    return next !== undefined && next >= 4 * Math.max(1, now) && values.length <= 3 ? `${label} can only be ${values.join(' or ')} (${values.at(-1)} has no divisors in between)` : null;
  };
  const why = [coarse(allowed.pe, `PE (${allowed.peLabel})`, cfg.pe), coarse(allowed.simd, `SIMD (${allowed.simdLabel})`, cfg.simd)].filter(Boolean);
  if (why.length) return `Hard to fold: ${why.join('; ')}. Prune it to a multiple of 8 channels for finer steps.`;
  return null;
}

function overBudget(e: Estimate, budget: Record<Resource, number>): Resource[] {
  return (Object.keys(budget) as Resource[]).filter((r) => {
    const u = e.resources[r].utilization;
    return u !== null && u > budget[r] + 1e-12;
  });
}

function fitsBudget(e: Estimate, budget: Record<Resource, number>): boolean {
  return overBudget(e, budget).length === 0;
}

function toPoint(e: Estimate, folding: HwFolding, budget: Record<Resource, number>): ParetoPoint {
  const utilization = {} as Record<Resource, number | null>;
  let maxU = 0;
  for (const r of ['lut', 'ff', 'dsp', 'bram', 'uram'] as Resource[]) {
    utilization[r] = e.resources[r].utilization;
    if (utilization[r] !== null) maxU = Math.max(maxU, utilization[r] as number);
  }
  return {
    fps: e.fps,
    maxCycles: e.maxCycles,
    lut: e.totals.lut,
    ff: e.totals.ff,
    dsp: e.totals.dsp,
    bram18: e.totals.bram18,
    utilization,
    maxUtilization: maxU,
    fitsBudget: fitsBudget(e, budget),
    folding,
  };
}

/** Pareto front: no other point has >= FPS with <= max utilization (one strictly better). */
export function paretoFront(points: ParetoPoint[]): ParetoPoint[] {
  const sorted = [...points].sort((a, b) => a.maxUtilization - b.maxUtilization || b.fps - a.fps);
  const front: ParetoPoint[] = [];
  for (const p of sorted) {
    if (front.length === 0 || p.fps > front[front.length - 1].fps) front.push(p);
  }
  return front;
}

/**
 * Finds per-layer folding on a device at a clock: the highest FPS within the budget
 * ('max-fps'), or the fewest resources reaching a target FPS ({targetFps}).
 */
export function autoFold(layers: HwLayer[], device: Device, clockMHz: number, options: AutoFoldOptions = {}): AutoFoldResult {
  const objective = options.objective ?? 'max-fps';
  const budget = budgetOf(options.budget);
  const mulStyle = options.mulStyle ?? 'auto';
  const memStyle = options.memStyle ?? 'auto';
  const steps = layers.map((l) => layerSteps(l, options.mvauWwidthMax ?? 36));
  const points: ParetoPoint[] = [];
  let evaluated = 0;

  type Styles = { mul: MulStyle[]; mem: MemStyle[] };
  const baseStyles = (): Styles => ({ mul: layers.map(() => mulStyle), mem: layers.map(() => memStyle) });
  const configsFor = (idx: number[], st: Styles): HwLayerConfig[] =>
    idx.map((s, i) => ({ pe: steps[i][s].pe, simd: steps[i][s].simd, mulStyle: st.mul[i], memStyle: st.mem[i] }));
  const foldingFor = (idx: number[], st: Styles): HwFolding => {
    const out: HwFolding = {};
    idx.forEach((s, i) => {
      if (layers[i].mappable) out[layers[i].name] = { pe: steps[i][s].pe, simd: steps[i][s].simd, mulStyle: st.mul[i], memStyle: st.mem[i] };
    });
    return out;
  };
  const evaluate = (idx: number[], st: Styles): Estimate => {
    evaluated++;
    const e = estimate(layers, configsFor(idx, st), device, clockMHz, options.estimate);
    points.push(toPoint(e, foldingFor(idx, st), budget));
    return e;
  };
  /**
   * Evaluates a folding, then trades resources when one is over budget and another has room
   * (ours, beyond FINN): DSP -> LUT multipliers, BRAM -> LUTRAM, LUT -> DSP / BRAM, taking the
   * layer that uses the most of the scarce resource first.
   */
  const run = (idx: number[]): { e: Estimate; st: Styles } => {
    const st = baseStyles();
    let e = evaluate(idx, st);
    // Layers whose weights did not fit the URAM left: not offered URAM again.
    const uramRefused = new Set<number>();
    for (let guard = 0; guard < 2 * layers.length; guard++) {
      const over = overBudget(e, budget);
      if (over.length === 0) break;
      const room = (r: Resource) => !over.includes(r);
      const pick = (amount: (i: number) => number, ok: (i: number) => boolean): number => {
        let best = -1;
        for (let i = 0; i < layers.length; i++) if (ok(i) && amount(i) > 0 && (best < 0 || amount(i) > amount(best))) best = i;
        return best;
      };
      const row = (i: number) => e.layers[i];
      const uramRoom = () => options.uram !== false && (device.uram ?? 0) > 0 && room('uram');
      /** RAMB18 of a layer's MVAU/VVAU weight memory: what moving it to URAM frees. */
      const weightBram = (i: number) => {
        const main = layers[i].mappable ? layers[i].engines[layers[i].main].kind : null;
        return main === 'mvau' || main === 'vvau' ? row(i).engines[layers[i].main].bram18 : 0;
      };
      let changed = -1;
      let toUram: { layer: number; before: MemStyle } | null = null;
      if (over.includes('dsp') && room('lut')) {
        changed = pick((i) => row(i).dsp, (i) => st.mul[i] !== 'lut');
        if (changed >= 0) st.mul[changed] = 'lut';
      } else if (over.includes('bram') && (room('lut') || uramRoom())) {
        // UltraRAM first where the part has it (weights only, FINN's ram_style="ultra"): it keeps LUTs free.
        if (uramRoom()) {
          changed = pick(weightBram, (i) => st.mem[i] !== 'uram' && !uramRefused.has(i));
          if (changed >= 0) {
            toUram = { layer: changed, before: st.mem[changed] };
            st.mem[changed] = 'uram';
          }
        }
        if (changed < 0 && room('lut')) {
          changed = pick((i) => row(i).bram18, (i) => st.mem[i] !== 'lutram');
          if (changed >= 0) st.mem[changed] = 'lutram';
        }
      } else if (over.includes('lut') && room('dsp')) {
        changed = pick((i) => row(i).lut, (i) => st.mul[i] !== 'dsp' && layers[i].mappable && layers[i].engines[layers[i].main].kind.endsWith('vau'));
        if (changed >= 0) st.mul[changed] = 'dsp';
      }
      if (changed < 0 && over.includes('lut') && room('bram')) {
        changed = pick((i) => row(i).lut, (i) => st.mem[i] !== 'bram' && st.mem[i] !== 'uram');
        if (changed >= 0) st.mem[changed] = 'bram';
      }
      if (changed < 0) break;
      e = evaluate(idx, st);
      if (toUram && overBudget(e, budget).includes('uram')) {
        st.mem[toUram.layer] = toUram.before;
        uramRefused.add(toUram.layer);
        e = evaluate(idx, st);
      }
    }
    return { e, st };
  };
  /** SetFolding: least parallelism with main-engine cycles <= target. */
  const balanced = (target: number): number[] =>
    steps.map((s) => {
      const i = s.findIndex((st) => st.cycles <= target);
      return i < 0 ? s.length - 1 : i;
    });

  // 1. Target sweep, from the fully folded design down to the fastest one.
  const slowest = Math.max(1, ...steps.map((s) => s[0].cycles));
  const fastest = Math.max(1, ...steps.map((s) => s[s.length - 1].cycles));
  const sweep: number[] = [];
  for (let t = slowest; t > fastest; t = Math.floor(t * 0.8)) sweep.push(t);
  sweep.push(fastest);
  let bestFit: { idx: number[]; e: Estimate; st: Styles } | null = null;
  const seen = new Set<string>();
  for (const t of sweep) {
    const idx = balanced(t);
    const key = idx.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    const { e, st } = run(idx);
    if (fitsBudget(e, budget) && (!bestFit || e.fps > bestFit.e.fps)) bestFit = { idx, e, st };
  }

  let chosen: { idx: number[]; e: Estimate; st: Styles };
  let met = false;
  /** Why max-fps stopped folding its bottleneck further, when it was budget or the largest folding. */
  let stopped: { layer: string; why: string } | null = null;
  const bottleneckNote = (e: Estimate) => `bottleneck ${e.bottleneck?.layer ?? '-'}${stopped && stopped.layer === e.bottleneck?.layer ? ` (${stopped.why})` : ''}`;
  let message: string;
  if (objective === 'max-fps') {
    // 2. Spend the leftover budget on the bottleneck.
    if (bestFit) {
      let cur = bestFit;
      for (let guard = 0; guard < 4 * layers.length + 200; guard++) {
        const b = cur.e.bottleneck;
        if (!b) break;
        const li = layers.findIndex((l) => l.name === b.layer);
        if (li < 0) break;
        if (cur.idx[li] >= steps[li].length - 1) {
          stopped = { layer: b.layer, why: 'at its largest folding' };
          break;
        }
        const next = [...cur.idx];
        next[li]++;
        const key = next.join(',');
        if (seen.has(key)) break;
        seen.add(key);
        const { e, st } = run(next);
        if (!fitsBudget(e, budget)) {
          // Why the user's bottleneck stays the bottleneck (issue 15): the next step costs what the budget lacks.
          stopped = { layer: b.layer, why: `its next folding step would put ${overBudget(e, budget).map((r) => r.toUpperCase()).join(', ')} over the budget` };
          break;
        }
        if (e.fps < cur.e.fps) break;
        cur = { idx: next, e, st };
      }
      chosen = cur;
      met = true;
      message = `max FPS within ${describeBudget(budget)} of ${device.id}: ${cur.e.fps.toFixed(1)} FPS, ${bottleneckNote(cur.e)}`;
    } else {
      const idx = steps.map(() => 0);
      chosen = { idx, ...run(idx) };
      message = `even the fully folded design does not fit the budget on ${device.id} (over budget: ${overBudget(chosen.e, budget).join(', ')})`;
    }
  } else {
    const targetFps = objective.targetFps;
    checkNumber(targetFps, 'target FPS', LIMITS.range.targetFps);
    const targetCycles = Math.floor((clockMHz * 1e6) / targetFps);
    const idx = balanced(targetCycles);
    let cur = { idx, ...run(idx) };
    let e = cur.e;
    // Auxiliary engines or impossible layers can leave the target unmet: relieve the bottleneck.
    for (let guard = 0; guard < 4 * layers.length + 200 && e.maxCycles > targetCycles; guard++) {
      const li = layers.findIndex((l) => l.name === e.bottleneck?.layer);
      if (li < 0 || cur.idx[li] >= steps[li].length - 1) break;
      const next = [...cur.idx];
      next[li]++;
      cur = { idx: next, ...run(next) };
      e = cur.e;
    }
    chosen = cur;
    met = cur.e.fps >= targetFps * (1 - 1e-9) && fitsBudget(cur.e, budget);
    message = met
      ? `${targetFps} FPS reached with the least parallelism found: ${cur.e.fps.toFixed(1)} FPS`
      : cur.e.fps < targetFps
        ? `${targetFps} FPS is out of reach at ${clockMHz} MHz: best ${cur.e.fps.toFixed(1)} FPS (bottleneck ${cur.e.bottleneck?.layer ?? '-'})`
        : `${targetFps} FPS needs more than the budget on ${device.id} (over budget: ${overBudget(cur.e, budget).join(', ')})`;
  }
  // Any evaluated design that is as fast (or reaches the target) with a smaller largest
  // utilization is better: take the cheapest such point of the whole exploration.
  let folding = foldingFor(chosen.idx, chosen.st);
  let chosenEstimate = chosen.e;
  const chosenPoint = toPoint(chosen.e, folding, budget);
  const floorFps = objective === 'max-fps' ? chosen.e.fps : Math.min(chosen.e.fps, objective.targetFps);
  let cheapest: ParetoPoint | null = null;
  for (const p of points) {
    if (!p.fitsBudget || p.fps < floorFps) continue;
    if (!cheapest || p.maxUtilization < cheapest.maxUtilization || (p.maxUtilization === cheapest.maxUtilization && p.fps > cheapest.fps)) cheapest = p;
  }
  if (cheapest && (chosenPoint.fitsBudget || objective !== 'max-fps') && cheapest.maxUtilization < chosenPoint.maxUtilization - 1e-12) {
    folding = cheapest.folding;
    chosenEstimate = estimate(layers, folding, device, clockMHz, options.estimate);
    const fps = chosenEstimate.fps.toFixed(1);
    message =
      objective === 'max-fps'
        ? `max FPS within ${describeBudget(budget)} of ${device.id}: ${fps} FPS, ${bottleneckNote(chosenEstimate)}`
        : `${objective.targetFps} FPS reached with the least resources found: ${fps} FPS`;
    met = objective === 'max-fps' || chosenEstimate.fps >= objective.targetFps * (1 - 1e-9);
  }
  return {
    objective,
    folding,
    estimate: chosenEstimate,
    met,
    message,
    pareto: paretoFront(points),
    evaluated,
  };
}
