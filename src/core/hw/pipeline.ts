/**
 * The whole streaming pipeline: per-layer engine costs at a folding, FIFOs between engines,
 * throughput, latency, resource totals against the device, ops and GOPS, power.
 * Pure and synchronous (the UI calls it on every slider move).
 *
 * Throughput: FPS = f_clk / max over engines of cycles per frame (Xilinx/finn @ 39f0c9a6b,
 * src/finn/analysis/fpgadataflow/dataflow_performance.py max_cycles and
 * src/finn/builder/build_dataflow_steps.py estimated_throughput_fps).
 * Latency: see `latency` below and docs/hardware-model.md.
 */
import type { HwFolding, HwLayerConfig } from './config.ts';
import { checkNumber, LIMITS } from '../limits.ts';
import { lutFactor, toEngineDevice, bramInDeviceBlocks, type Device } from './devices.ts';
import type { EngineContext, EngineFold, RequantStyle } from './engines/contract.ts';
import { bypassWords, type BranchWindow } from './engines/add-streams.ts';
import { optimizeFifoDepth } from './engines/fifo.ts';
import { ENGINES, engineOf } from './engines/index.ts';
import { validateFolding } from './folding.ts';
import { estimatePower, type PowerEstimate } from './power.ts';
import { DEFAULT_BITS, type EngineCost, type EngineDevice, type EngineKind, type EngineSpec, type HwLayer } from './types.ts';

export type { RequantStyle } from './engines/contract.ts';

export type Resource = 'lut' | 'ff' | 'dsp' | 'bram' | 'uram';

export interface EngineRow extends EngineCost {
  kind: EngineKind;
  /** Folding this engine got: its own PE/SIMD (auxiliary engines are balanced automatically). */
  pe: number;
  simd: number;
  parallelWindow?: boolean;
  /** Cycles from its first input word to its first output word, at the first-frame stream rate. */
  fillCycles: number;
}

/** Block RAM sums to 0.01 RAMB18: Anlogic blocks count 0.5 and 32/18 (yosys-memory.ts), whose float sums drift. */
const hundredths = (x: number) => Math.round(x * 100) / 100;

export interface FifoRow {
  from: string;
  to: string;
  depth: number;
  width: number;
  lut: number;
  ff: number;
  bram18: number;
  bypass: boolean;
}

/** A width converter the pipeline inserts where neighbouring words carry different element counts (engines/width-converter.ts). */
export interface WidthConverterRow {
  from: string;
  to: string;
  inElements: number;
  outElements: number;
  elementBits: number;
  lut: number;
  ff: number;
  bypass: boolean;
}

export interface LayerRow {
  name: string;
  op: string;
  layerKind: HwLayer['layerKind'];
  mappable: boolean;
  reason?: string;
  /** The engine the layer's PE/SIMD fold, e.g. 'mvau'. */
  engine: EngineKind | null;
  config: HwLayerConfig;
  /** Slowest engine of the layer. */
  cycles: number;
  dsp: number;
  bram18: number;
  /** UltraRAM blocks (weights with memStyle 'uram'). */
  uram: number;
  /** In the device's LUT unit (converted from LUT6). */
  lut: number;
  ff: number;
  weightMemBits: number;
  engines: EngineRow[];
  /** FIFOs at this layer's inputs (including a residual bypass FIFO). */
  fifos: FifoRow[];
  /** Width converters at this layer's inputs (and, on the last layer, before the output). */
  widthConverters: WidthConverterRow[];
  isBottleneck: boolean;
}

export interface ResourceUse {
  used: number;
  available: number | null;
  /** used / available, null when the device number is unknown. */
  utilization: number | null;
}

export interface Estimate {
  device: { id: string; name: string; lutInputs: number; lutFactor: number };
  clockMHz: number;
  layers: LayerRow[];
  /** Cycles per frame of the slowest engine. */
  maxCycles: number;
  bottleneck: { layer: string; engine: EngineKind } | null;
  fps: number;
  latency: { cycles: number; ms: number; method: string };
  /** FINN's pessimistic latency: the sum of every engine's cycles on the critical path. */
  finnCriticalPathCycles: number;
  totals: { lut: number; ff: number; dsp: number; bram18: number; bramDevice: string; weightMemBits: number; fifoLut: number; fifoBram18: number; widthConverterLut: number; uram: number };
  resources: Record<Resource, ResourceUse>;
  /** true / false when every used resource's budget is known; null when a used budget is unknown. */
  fits: boolean | null;
  overflowing: Resource[];
  /** The resource with the highest utilization: the first to overflow as parallelism grows. */
  firstToOverflow: Resource | null;
  opsPerFrame: number;
  gops: number;
  power: PowerEstimate;
  gopsPerWatt: number;
  unmapped: { name: string; reason: string }[];
  warnings: string[];
}

export interface EstimateOptions {
  /** Toggle rate for dynamic power (default 0.125, XPE's default). */
  activity?: number;
  /** Depth of ordinary FIFOs between engines (default 32, FINN's optimize_depth floor). */
  fifoDepth?: number;
  /**
   * How outputs are requantised: FINN's thresholds, a multiply-shift requantiser, or 'auto'
   * (thresholds up to 4 output bits, multiply-shift above; see engines/thresholding.ts).
   */
  requant?: RequantStyle;
}


/** One engine of the stream at its folding. */
interface Planned {
  spec: EngineSpec;
  cost: EngineCost;
  fold: EngineFold;
}

const DEVICE_RES: Record<Resource, (d: Device) => number | null> = {
  lut: (d) => d.lut,
  ff: (d) => d.ff,
  dsp: (d) => d.dsp,
  bram: (d) => d.bram18,
  uram: (d) => d.uram,
};

function engineContext(layer: HwLayer, cfg: HwLayerConfig, device: EngineDevice, requant: RequantStyle): EngineContext {
  return { bits: layer.bits, device, mulStyle: cfg.mulStyle, memStyle: cfg.memStyle, requant };
}

/** Folds a layer's auxiliary engines to the pipeline target (FINN SetFolding-style). */
function planLayer(layer: HwLayer, cfg: HwLayerConfig, main: EngineCost, target: number, ctx: EngineContext): Planned[] {
  const mainFold: EngineFold = { pe: cfg.pe, simd: cfg.simd };
  const mainSide = { kind: layer.engines[layer.main].kind, fold: mainFold };
  // Padding in front of a sliding window streams at the window's rate, so the window folds first.
  const windowSpec = layer.engines.find((e) => e.kind === 'sliding-window');
  const window = windowSpec ? engineOf(windowSpec).auxFold?.(windowSpec, { target, main: mainSide }) : undefined;
  return layer.engines.map((spec, i) => {
    if (i === layer.main) return { spec, cost: main, fold: mainFold };
    const engine = engineOf(spec);
    if (!engine.auxFold) throw new Error(`engine ${spec.kind} cannot be an auxiliary engine`);
    const fold = engine.auxFold(spec, { target, main: mainSide, window });
    return { spec, cost: engine.estimate(spec, fold, ctx), fold };
  });
}

/**
 * Pass 1, cycles: the main engines at the layer's folding; their slowest sets the target the
 * auxiliary engines are folded to. Returns each layer's engines in stream order.
 */
function planEngines(layers: HwLayer[], configs: HwLayerConfig[], device: EngineDevice, requant: RequantStyle): Planned[][] {
  const contexts = layers.map((l, i) => engineContext(l, configs[i], device, requant));
  const mains = layers.map((l, i) => {
    if (!l.mappable) return null;
    const spec = l.engines[l.main];
    return engineOf(spec).estimate(spec, { pe: configs[i].pe, simd: configs[i].simd }, contexts[i]);
  });
  let target = 1;
  for (const m of mains) if (m && m.cycles > target) target = m.cycles;
  return layers.map((l, i) => (l.mappable ? planLayer(l, configs[i], mains[i] as EngineCost, target, contexts[i]) : []));
}

/** The slowest engine: its cycles per frame set the frame interval. */
function findBottleneck(layers: HwLayer[], plans: Planned[][]): { maxCycles: number; bottleneck: Estimate['bottleneck'] } {
  let maxCycles = 0;
  let bottleneck: Estimate['bottleneck'] = null;
  plans.forEach((p, li) =>
    p.forEach((e) => {
      if (e.cost.cycles > maxCycles) {
        maxCycles = e.cost.cycles;
        bottleneck = { layer: layers[li].name, engine: e.spec.kind };
      }
    }),
  );
  return { maxCycles, bottleneck };
}

interface Latency {
  /** Per engine: cycles from its first input word to its first output word. */
  engineFill: number[][];
  fillSum: number;
  /** FINN's critical path: the sum of every engine's cycles. */
  finnPath: number;
}

/** Pass 2, latency: first-output delays at the first-frame stream rate (the slowest interval so far). */
function latencyPass(plans: Planned[][]): Latency {
  let pace = 0;
  let fillSum = 0;
  let finnPath = 0;
  const engineFill = plans.map((p) =>
    p.map((e) => {
      pace = Math.max(pace, e.cost.cycles);
      const fill = e.cost.inWords > 0 ? (e.cost.fillWords * pace) / e.cost.inWords : 0;
      fillSum += fill;
      finnPath += e.cost.cycles;
      return fill;
    }),
  );
  return { engineFill, fillSum, finnPath };
}

/** Elements per output word of a planned engine: windows and padding carry activations, the others PE lanes. */
function outElements(e: Planned, actBits: number): number {
  const k = e.spec.kind;
  return k === 'sliding-window' || k === 'fmpadding' || k === 'downsampler' || k === 'streaming-maxpool' ? Math.max(1, Math.round(e.cost.outWidth / actBits)) : e.fold.pe;
}

/** Elements per input word of a layer's first engine when nothing precedes it (the network input), by its folding. */
function firstInElements(e: Planned): number {
  const k = e.spec.kind;
  if (k === 'sliding-window' || k === 'fmpadding' || k === 'downsampler' || k === 'mvau') return e.fold.simd;
  if (k === 'vvau') return e.fold.pe * e.fold.simd;
  return e.fold.pe;
}

interface StreamPass {
  fifos: FifoRow[][];
  converters: WidthConverterRow[][];
}

/**
 * Pass 3, FIFOs and width converters: one FIFO in front of every engine, preceded by a width
 * converter where the producer's words carry a different number of elements than the consumer
 * reads (elements per frame are conserved, so the consumer's count is the producer's words x
 * elements / the consumer's words), as the generator builds it (src/core/rtl/design.ts); the FIFO
 * then has the consumer's width. Plus a bypass FIFO on each residual Add deep enough to hold the
 * skip words that pass before the branch's first output (bypassWords, engines/add-streams.ts: the
 * same count the generator uses), after a width converter when the skip source's words differ
 * from the Add's PE, and a converter to one element per word before the output. Converters never
 * set the frame interval (their cycles are their busier side's words, a neighbour's count), so
 * they are left out of the cycle and latency passes.
 */
function streamPass(layers: HwLayer[], plans: Planned[][], fifoDepth: number, device: EngineDevice, warnings: string[]): StreamPass {
  const ctx: EngineContext = { bits: DEFAULT_BITS, device, mulStyle: 'auto', memStyle: 'auto', requant: 'auto' };
  const fifo = (depth: number, width: number) => ENGINES.fifo.estimate({ kind: 'fifo', depth, width }, { pe: 1, simd: 1 }, ctx);
  const converter = (inElements: number, outElements: number, elementBits: number, inWords: number) =>
    ENGINES['width-converter'].estimate({ kind: 'width-converter', inElements, outElements, elementBits, inWords }, { pe: 1, simd: 1 }, ctx);
  const fifosByLayer: FifoRow[][] = layers.map(() => []);
  const convertersByLayer: WidthConverterRow[][] = layers.map(() => []);
  const convert = (li: number, from: string, to: string, inElements: number, outElements: number, elementBits: number, inWords: number, bypass: boolean) => {
    const c = converter(inElements, outElements, elementBits, inWords);
    convertersByLayer[li].push({ from, to, inElements, outElements, elementBits, lut: c.lut, ff: c.ff, bypass });
  };
  /** The stream as the last engine left it: name, words per frame, elements per word, bits per element. */
  let prev: { name: string; words: number; elements: number; bits: number } | null = null;
  /** The stream after each layer, for residual skips. */
  const after: ({ elements: number; bits: number } | null)[] = layers.map(() => null);
  plans.forEach((p, li) => {
    const layer = layers[li];
    for (const e of p) {
      const to = `${layer.name}/${e.spec.kind}`;
      let width = prev ? prev.elements * prev.bits : 0;
      if (!prev && li === plans.findIndex((q) => q.length > 0)) {
        // The network input: one element per word (the generator's input stream).
        const inEl = firstInElements(e);
        if (inEl !== 1) convert(li, 'input', to, 1, inEl, layer.bits.actBits, e.cost.inWords * inEl, false);
        // On a calibrated family the estimate counts the FIFOs the generator builds (rtl/design.ts: one in front of every stage, the first included).
        if (device.calibration) {
          const depth = optimizeFifoDepth(fifoDepth);
          const f = fifo(depth, inEl * layer.bits.actBits);
          fifosByLayer[li].push({ from: 'input', to, depth, width: inEl * layer.bits.actBits, lut: f.lut, ff: f.ff, bram18: f.bram18, bypass: false });
        }
      }
      // ... and none between a padding engine and its window: the generator pads inside the window (the padding's cost is calibrated away there too).
      const paddedWindow = device.calibration !== undefined && e.spec.kind === 'sliding-window' && prev?.name === `${layer.name}/fmpadding`;
      if (prev && !paddedWindow) {
        const inEl = (prev.words * prev.elements) / e.cost.inWords;
        if (Number.isInteger(inEl) && inEl !== prev.elements) {
          convert(li, prev.name, to, prev.elements, inEl, prev.bits, prev.words, false);
          width = inEl * prev.bits;
        }
        const depth = optimizeFifoDepth(fifoDepth);
        const f = fifo(depth, width);
        fifosByLayer[li].push({ from: prev.name, to, depth, width, lut: f.lut, ff: f.ff, bram18: f.bram18, bypass: false });
      }
      const elements = outElements(e, layer.bits.actBits);
      prev = { name: to, words: e.cost.outWords, elements, bits: e.cost.outWidth / elements };
    }
    if (prev && p.length) after[li] = { elements: prev.elements, bits: prev.bits };
    if (layer.mappable && layer.skipFrom !== undefined) {
      const src = layer.skipFrom;
      // In words of the Add's PE (the generator converts the skip stream's width before the FIFO).
      const add = p.find((e) => e.spec.kind === 'add-streams');
      const pe = add ? add.fold.pe : 1;
      const width = pe * layer.bits.actBits;
      const source = src >= 0 ? after[src] : { elements: 1, bits: layer.bits.actBits };
      if (source && source.elements !== pe && add) convert(li, src >= 0 ? layers[src].name : 'input', `${layer.name} (bypass)`, source.elements, pe, source.bits, (add.cost.inWords * pe) / source.elements, true);
      const depth = optimizeFifoDepth(bypassWords(branchWindowsOf(plans.slice(src + 1, li)), pe));
      const f = fifo(depth, width);
      fifosByLayer[li].push({ from: src >= 0 ? layers[src].name : 'input', to: `${layer.name} (bypass)`, depth, width, lut: f.lut, ff: f.ff, bram18: f.bram18, bypass: true });
      if (src < 0) warnings.push(`${layer.name}: skip input not found in the layer view; bypass FIFO sized from the network input.`);
    }
  });
  // The output stream: one logit per word.
  const last = plans.map((p, i) => (p.length ? i : -1)).filter((i) => i >= 0).pop();
  const end = prev as { name: string; words: number; elements: number; bits: number } | null;
  if (last !== undefined && end && end.elements !== 1) convert(last, end.name, 'output', end.elements, 1, end.bits, end.words, false);
  return { fifos: fifosByLayer, converters: convertersByLayer };
}

/** The sliding windows of a residual branch's engines, with the padding of their FMPadding. */
function branchWindowsOf(branch: Planned[][]): BranchWindow[] {
  return branch.flatMap((engines) =>
    engines.flatMap((e) => {
      if (e.spec.kind !== 'sliding-window') return [];
      const pad = engines.find((x) => x.spec.kind === 'fmpadding')?.spec;
      const [pt, pl, , pr] = pad?.kind === 'fmpadding' ? pad.pads : [0, 0, 0, 0];
      return [{ kernel: e.spec.kernel, padTop: pt, padLeft: pl, inWidth: e.spec.ifmDim[1] - pl - pr, channels: e.spec.channels }];
    }),
  );
}

/** Pass 4, totals: per-layer rows (engines and FIFOs) and the design's totals in the device's LUT unit. */
function totalsPass(
  layers: HwLayer[],
  configs: HwLayerConfig[],
  plans: Planned[][],
  latency: Latency,
  stream: StreamPass,
  bottleneck: Estimate['bottleneck'],
  device: Device,
): { rows: LayerRow[]; totals: Estimate['totals']; unmapped: Estimate['unmapped']; macs: number } {
  const factor = lutFactor(device);
  const totals = { lut: 0, ff: 0, dsp: 0, bram18: 0, bramDevice: '', weightMemBits: 0, fifoLut: 0, fifoBram18: 0, widthConverterLut: 0, uram: 0 };
  let lut6Total = 0;
  const unmapped: Estimate['unmapped'] = [];
  let macs = 0;
  const rows: LayerRow[] = layers.map((layer, li) => {
    const engines: EngineRow[] = plans[li].map((e, ei) => {
      const c = e.cost;
      // Explicit fields: object spread here was the hot spot of the whole estimate.
      const row: EngineRow = {
        kind: e.spec.kind,
        pe: e.fold.pe,
        simd: e.fold.simd,
        cycles: c.cycles,
        dsp: c.dsp,
        bram18: c.bram18,
        lut: c.lut,
        ff: c.ff,
        weightMemBits: c.weightMemBits,
        fillWords: c.fillWords,
        inWords: c.inWords,
        outWords: c.outWords,
        outWidth: c.outWidth,
        notes: c.notes,
        fillCycles: Math.round(latency.engineFill[li][ei]),
      };
      if (e.fold.parallelWindow) row.parallelWindow = true;
      if (c.uram) row.uram = c.uram;
      if (c.requantStyle) row.requantStyle = c.requantStyle;
      if (c.dspLanes) row.dspLanes = c.dspLanes;
      if (c.bufferMemory) row.bufferMemory = c.bufferMemory;
      return row;
    });
    const fifos = stream.fifos[li];
    const widthConverters = stream.converters[li];
    let lut6 = 0;
    let ff = 0;
    let dsp = 0;
    let bram18 = 0;
    let uram = 0;
    let wbits = 0;
    let cycles = 0;
    for (const e of engines) {
      lut6 += e.lut;
      ff += e.ff;
      dsp += e.dsp;
      bram18 += e.bram18;
      uram += e.uram ?? 0;
      wbits += e.weightMemBits;
      cycles = Math.max(cycles, e.cycles);
    }
    for (const f of fifos) {
      lut6 += f.lut;
      ff += f.ff;
      bram18 += f.bram18;
      totals.fifoLut += f.lut * factor;
      totals.fifoBram18 += f.bram18;
    }
    for (const c of widthConverters) {
      lut6 += c.lut;
      ff += c.ff;
      totals.widthConverterLut += c.lut * factor;
    }
    lut6Total += lut6;
    totals.ff += ff;
    totals.dsp += dsp;
    totals.bram18 += bram18;
    totals.uram += uram;
    totals.weightMemBits += wbits;
    if (!layer.mappable) unmapped.push({ name: layer.name, reason: layer.reason ?? 'not mappable' });
    else macs += layer.macs;
    return {
      name: layer.name,
      op: layer.op,
      layerKind: layer.layerKind,
      mappable: layer.mappable,
      ...(layer.reason ? { reason: layer.reason } : {}),
      engine: layer.mappable ? layer.engines[layer.main].kind : null,
      config: configs[li],
      cycles,
      dsp,
      bram18: hundredths(bram18),
      uram,
      lut: Math.round(lut6 * factor),
      ff,
      weightMemBits: wbits,
      engines,
      fifos,
      widthConverters,
      isBottleneck: bottleneck !== null && bottleneck.layer === layer.name,
    };
  });
  totals.lut = Math.round(lut6Total * factor);
  totals.fifoLut = Math.round(totals.fifoLut);
  totals.widthConverterLut = Math.round(totals.widthConverterLut);
  totals.bram18 = hundredths(totals.bram18);
  totals.fifoBram18 = hundredths(totals.fifoBram18);
  totals.bramDevice = bramInDeviceBlocks(totals.bram18, device);
  return { rows, totals, unmapped, macs };
}

/** Pass 5, fit: each resource against the device's budget, and which one overflows first. */
function fitPass(totals: Estimate['totals'], device: Device, warnings: string[]): Pick<Estimate, 'resources' | 'fits' | 'overflowing' | 'firstToOverflow'> {
  const used: Record<Resource, number> = { lut: totals.lut, ff: totals.ff, dsp: totals.dsp, bram: totals.bram18, uram: totals.uram };
  const resources = {} as Record<Resource, ResourceUse>;
  const overflowing: Resource[] = [];
  let firstToOverflow: Resource | null = null;
  let worst = -1;
  let unknownUsed = false;
  for (const r of ['lut', 'ff', 'dsp', 'bram', 'uram'] as Resource[]) {
    const available = DEVICE_RES[r](device);
    const utilization = available === null ? null : available === 0 ? (used[r] > 0 ? Infinity : 0) : used[r] / available;
    resources[r] = { used: used[r], available, utilization };
    if (utilization === null) {
      if (used[r] > 0) unknownUsed = true;
      continue;
    }
    if (utilization > 1) overflowing.push(r);
    if (utilization > worst) {
      worst = utilization;
      firstToOverflow = r;
    }
  }
  const fits = overflowing.length > 0 ? false : unknownUsed ? null : true;
  if (unknownUsed) warnings.push(`${device.id}: some budgets are unknown (null in the catalog); fit is only checked for known resources.`);
  return { resources, fits, overflowing, firstToOverflow };
}

/**
 * Estimates a folded pipeline on a device at a clock. `folding` is keyed by layer name (or
 * resolved configs aligned with `layers`); invalid folding throws a bad-input EdgefoldError
 * naming the layer and the allowed values.
 */
export function estimate(
  layers: HwLayer[],
  folding: HwFolding | HwLayerConfig[],
  device: Device,
  clockMHz: number,
  options: EstimateOptions = {},
): Estimate {
  checkNumber(clockMHz, 'clock (MHz)', LIMITS.range.clockMHz);
  const configs = Array.isArray(folding) ? folding : validateFolding(layers, folding);
  const dev = toEngineDevice(device);
  const warnings: string[] = [];

  const plans = planEngines(layers, configs, dev, options.requant ?? 'auto');
  const { maxCycles, bottleneck } = findBottleneck(layers, plans);
  const latency = latencyPass(plans);
  const stream = streamPass(layers, plans, options.fifoDepth ?? 32, dev, warnings);
  const { rows, totals, unmapped, macs } = totalsPass(layers, configs, plans, latency, stream, bottleneck, device);
  if (unmapped.length > 0) warnings.push(`${unmapped.length} layer(s) cannot be mapped and are left out of every total.`);
  const fit = fitPass(totals, device, warnings);
  if (totals.uram > 0) warnings.push(`${totals.uram} UltraRAM block(s) used: their dynamic power is not in the power estimate.`);

  // Throughput, latency, ops and power.
  const fps = maxCycles > 0 ? (clockMHz * 1e6) / maxCycles : 0;
  const latencyCycles = Math.round(latency.fillSum + maxCycles);
  const opsPerFrame = 2 * macs;
  const gops = (opsPerFrame * fps) / 1e9;
  const power = estimatePower({ lut: totals.lut, ff: totals.ff, dsp: totals.dsp, bram18: totals.bram18 }, device, clockMHz, options.activity);
  return {
    device: { id: device.id, name: device.name, lutInputs: device.lutInputs, lutFactor: lutFactor(device) },
    clockMHz,
    layers: rows,
    maxCycles,
    bottleneck,
    fps,
    latency: {
      cycles: latencyCycles,
      ms: latencyCycles / (clockMHz * 1e3),
      method:
        'sum over engines of (input words needed before the first output) x (first-frame stream interval per word), plus the bottleneck interval',
    },
    finnCriticalPathCycles: latency.finnPath,
    totals,
    ...fit,
    opsPerFrame,
    gops,
    power,
    gopsPerWatt: power.totalW > 0 ? gops / power.totalW : 0,
    unmapped,
    warnings,
  };
}
