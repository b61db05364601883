/**
 * The one interface every engine kind implements, in the spirit of FINN's HWCustomOp
 * (Xilinx/finn @ 39f0c9a6b, src/finn/custom_op/fpgadataflow/hwcustomop.py), which gives every
 * op `get_exp_cycles`, `lut_estimation`, `dsp_estimation`, `bram_estimation`,
 * `uram_estimation`, `get_instream_width` / `get_outstream_width` and
 * `get_number_output_values` under the same names. Here:
 * - `expCycles`      = get_exp_cycles (cheap: the folding search calls it thousands of times)
 * - `estimate`       = every estimation at once, as one EngineCost: `lut` (lut_estimation, in
 *                      LUT6), `ff` (FINN has none), `dsp` (dsp_estimation), `bram18`
 *                      (bram_estimation), `uram` (uram_estimation, absent when 0), and the FIFO
 *                      needs of its stream: `inWords`, `outWords` (get_number_output_values),
 *                      `outWidth` (get_outstream_width), `fillWords` (for latency and bypass
 *                      FIFO sizing)
 * - `auxFold`        = the folding an auxiliary engine takes from its layer (FINN SetFolding);
 *                      a layer's main engine is folded by the layer's PE/SIMD instead
 * - `rtl`            = the Verilog emitter of the engine kind (src/core/rtl), absent for kinds
 *                      the generator does not build (rtlEmitterOf in engines/index.ts refuses them)
 * The pipeline (pipeline.ts) and the folding search (fold.ts) reach engines only through the
 * table in engines/index.ts.
 */
import { divisors } from '../folding.ts';
import type { EngineCost, EngineDevice, EngineKind, EngineSpec, LayerBits, MemStyle, MulStyle, RequantChoice } from '../types.ts';

/** How outputs are requantised: FINN's thresholds, a multiply-shift requantiser, or 'auto'. */
export type RequantStyle = 'auto' | RequantChoice;

/** An engine's folding: PE and SIMD, and the sliding window's parallel_window mode. */
export interface EngineFold {
  pe: number;
  simd: number;
  parallelWindow?: boolean;
}

/** What an engine needs besides its shape and folding: the layer's precision and styles, the device. */
export interface EngineContext {
  bits: LayerBits;
  device: EngineDevice;
  mulStyle: MulStyle;
  memStyle: MemStyle;
  requant: RequantStyle;
}

/** What an auxiliary engine folds to: the pipeline's target interval and its layer's main engine. */
export interface AuxFoldContext {
  /** Cycles per frame of the slowest main engine: auxiliary engines are folded to meet it. */
  target: number;
  /** The layer's main engine and the PE/SIMD the layer's config gives it. */
  main: { kind: EngineKind; fold: EngineFold };
  /** The folding of the layer's sliding window, when it has one (padding streams at its rate). */
  window?: EngineFold;
}

/**
 * What an RTL emitter reads of the engine context (no emitter needs the device yet): the
 * requantiser style and the layer's memory style, which the MVAU / VVAU emitters resolve with
 * the estimator's own rule (`resolveWeightMem`) and state on the weight memory (`ram_style`).
 * `memStyle` absent = 'auto'.
 */
export type RtlContext = Pick<EngineContext, 'requant'> & Partial<Pick<EngineContext, 'memStyle'>>;

/**
 * One Verilog module of an engine instance and the memory init files it reads; the same shape
 * as `EmittedModule` of the RTL generator (src/core/rtl/verilog.ts on branch rtl).
 */
export interface RtlModule {
  name: string;
  /** Verilog-2005 source of the module. */
  verilog: string;
  /** Memory init files by file name ($readmemh contents, paths relative to the simulation directory). */
  files: Record<string, string>;
  /** Stream widths in bits. */
  inWidth: number;
  outWidth: number;
}

/**
 * Emits an engine instance as Verilog. `data` carries what the instance holds beyond its shape
 * (integer weights, bias, requantisation constants), defined by src/core/rtl.
 */
export interface RtlEmitter<S extends EngineSpec = EngineSpec, D = unknown> {
  /** `ctx`: the requantiser style the estimate chose. */
  emit(spec: S, fold: EngineFold, ctx: RtlContext, instance: { name: string; data: D }): RtlModule;
}

export type SpecOf<K extends EngineSpec['kind']> = Extract<EngineSpec, { kind: K }>;

export interface HwEngine<S extends EngineSpec = EngineSpec, D = unknown> {
  readonly kind: S['kind'];
  /** FINN's op this engine models, e.g. 'MVAU' (for notes and docs). */
  readonly finnOp: string;
  /** Cycles per frame at this folding (FINN get_exp_cycles). */
  expCycles(spec: S, fold: EngineFold, ctx: Pick<EngineContext, 'bits'>): number;
  /** Cycles, resources and stream (FIFO) needs at this folding. */
  estimate(spec: S, fold: EngineFold, ctx: EngineContext): EngineCost;
  /** The folding of this engine when it is not its layer's main engine; absent for main-only kinds. */
  auxFold?(spec: S, ctx: AuxFoldContext): EngineFold;
  /** The Verilog emitter (src/core/rtl); absent for kinds the generator does not build. */
  rtl?: RtlEmitter<S, D>;
}

/** Smallest divisor of n whose cycles(d) <= target, else n (FINN SetFolding's search order). */
export function smallestFolding(n: number, target: number, cycles: (d: number) => number): number {
  for (const d of divisors(n)) if (cycles(d) <= target) return d;
  return n;
}
