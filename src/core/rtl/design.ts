/**
 * The whole accelerator: the integer network (integer.ts) laid onto the engines and folding of
 * an estimate (src/core/hw), one emitted module per engine instance, width converters where the
 * element counts of neighbouring words differ, the estimator's FIFOs in front of every engine,
 * a top module wiring the valid/ready streams, a testbench and a README. Pure: returns file
 * contents; the caller writes them.
 */
import { accumulatorBits } from '../hw/engines/common.ts';
import type { Estimate, LayerRow } from '../hw/pipeline.ts';
import type { IntConv, IntegerNetwork, IntOp, Requant } from './integer.ts';
import type { EngineFold, RtlContext } from '../hw/engines/contract.ts';
import { bypassWords, BYPASS_SLACK_WORDS, type BranchWindow } from '../hw/engines/add-streams.ts';
import { rtlEmitterOf } from '../hw/engines/index.ts';
import { emitFork } from './add-streams.ts';
import { hexOf, verilogName, type EmittedModule } from './verilog.ts';
import { badInput } from '../errors.ts';
import type { VendorMultiplier } from './vendor-mul.ts';
import { requantBiasBits } from './requant.ts';

/** Width of an output logit on the top module's output stream. */
export const LOGIT_BITS = 32;

/**
 * Per layer, the bias width of its multiply-shift requantiser as emitted (requantBiasBits), for the
 * estimate of the quantised design (evaluateDesign's `requantBiasBits`). The global pool's
 * requantisation is inside the pool engine, not a thresholding engine: left out.
 */
export function requantBiasWidths(net: IntegerNetwork): Record<string, number> {
  const widths: Record<string, number> = {};
  for (const op of net.ops) if (op.requant && op.kind !== 'global-avg-pool') widths[op.name] = requantBiasBits(op.requant.bias);
  return widths;
}

/** One engine of the stream with what its words carry. */
export interface StageInfo {
  module: EmittedModule;
  kind: 'sliding-window' | 'mvau' | 'vvau' | 'requant' | 'thresholds' | 'global-pool' | 'max-pool' | 'fifo' | 'width-converter' | 'fork' | 'add-streams';
  layer: string;
  inElements: number;
  inBits: number;
  outElements: number;
  outBits: number;
  /** AddStreams: the fork stage its skip comes from and the bypass path's modules (width converter, FIFO). */
  skip?: { fork: number; path: EmittedModule[] };
}

export interface AcceleratorDesign {
  /** File name -> contents (Verilog, memory init files, testbench, README). */
  files: Record<string, string>;
  stages: StageInfo[];
  top: string;
  /** Input elements (one per word) and logits per image on the top module's streams. */
  inputWordsPerImage: number;
  inputBits: number;
  logitsPerImage: number;
  /** The estimate the folding and FIFO depths came from. */
  estimate: { maxCycles: number; latencyCycles: number; fps: number; clockMHz: number; device: string };
  notes: string[];
}

function engineRow(row: LayerRow, kind: string) {
  const e = row.engines.find((x) => x.kind === kind);
  if (!e) throw badInput(`layer "${row.name}" has no ${kind} engine in the estimate.`, row.name);
  return e;
}

/** The estimator's FIFO depth in front of an engine of a layer (the padding engine's, for a window), or 32. */
function fifoDepth(row: LayerRow, kind: string): number {
  const to = (k: string) => row.fifos.find((f) => !f.bypass && f.to === `${row.name}/${k}`);
  const f = kind === 'sliding-window' ? (to('fmpadding') ?? to('sliding-window')) : to(kind);
  return f ? f.depth : 32;
}

/** The folding the estimate gave an engine of a layer. */
const foldOf = (e: { pe: number; simd: number; parallelWindow?: boolean }): EngineFold => ({ pe: e.pe, simd: e.simd, ...(e.parallelWindow ? { parallelWindow: true } : {}) });

/** The line-buffer placement the estimate charged a window, for its emitter to state. */
const bufferMemoryOf = (e: { bufferMemory?: 'bram' | 'lutram' }) => (e.bufferMemory ? { bufferMemory: e.bufferMemory } : {});

/** Context of the emitters that take no requantiser style. */
const RTL_CONTEXT: RtlContext = { requant: 'auto' };

/** A FIFO of the estimator's depth, emitted by the FIFO engine. */
const emitFifo = (name: string, depth: number, width: number): EmittedModule => rtlEmitterOf('fifo').emit({ kind: 'fifo', depth, width }, { pe: 1, simd: 1 }, RTL_CONTEXT, { name, data: undefined });

/** A width converter from `inElements` to `outElements` per word, emitted by the width-converter engine. */
const emitWidthConverter = (name: string, inElements: number, outElements: number, elementBits: number): EmittedModule =>
  rtlEmitterOf('width-converter').emit({ kind: 'width-converter', inElements, outElements, elementBits, inWords: 1 }, { pe: 1, simd: 1 }, RTL_CONTEXT, { name, data: undefined });

/**
 * The requantiser the estimate charged for a layer (its thresholding engine's `requantStyle`:
 * FINN thresholds or multiply-shift), emitted with the same integers by the thresholding engine's emitter.
 */
function emitLayerRequant(
  row: LayerRow,
  numVectors: number,
  name: string,
  channels: number,
  inBits: number,
  requant: Requant,
  vendorMultiplier: VendorMultiplier | undefined,
): { module: EmittedModule; pe: number; kind: 'requant' | 'thresholds' } {
  const engine = engineRow(row, 'thresholding');
  const style = engine.requantStyle;
  if (!style) throw badInput(`layer "${row.name}": the estimate does not say which requantiser its thresholding engine is.`, row.name);
  const ctx: RtlContext = { requant: style, memStyle: row.config.memStyle };
  const spec = { kind: 'thresholding' as const, channels, numVectors, thresholdBits: inBits, outBits: requant.out.bits };
  const vendor = engine.dsp > 0 && vendorMultiplier ? { vendorMultiplier } : {};
  const module = rtlEmitterOf('thresholding').emit(spec, foldOf(engine), ctx, { name, data: { inBits, requant, ...vendor } });
  return { module, pe: engine.pe, kind: style === 'multiply' ? 'requant' : 'thresholds' };
}

/** The windows on a residual branch (its convolutions and max pools), for the bypass count (engines/add-streams.ts). */
export function branchWindows(ops: IntOp[]): BranchWindow[] {
  return ops.flatMap((op) => (op.kind === 'conv' || op.kind === 'depthwise' || op.kind === 'max-pool' ? [{ kernel: op.kernel, padTop: op.pads[0], padLeft: op.pads[1], inWidth: op.inDim[1], channels: op.inChannels }] : []));
}

export interface DesignOptions {
  /** Images the testbench streams (input.hex must hold them). */
  images: number;
  /** Testbench gives up after this many cycles. */
  timeoutCycles?: number;
  /**
   * For synthesis on Gowin or Anlogic: products the estimate puts on DSPs (engines with dsp > 0)
   * instantiate the vendor's multiplier primitive (vendor-mul.ts), which Yosys does not infer from
   * `*`. The design then simulates only with the vendor's simulation models; omit for simulation.
   */
  vendorMultiplier?: VendorMultiplier;
}

export function emitAccelerator(net: IntegerNetwork, est: Estimate, options: DesignOptions): AcceleratorDesign {
  const rows = new Map(est.layers.map((l) => [l.name, l]));
  const stages: StageInfo[] = [];
  const notes: string[] = [];
  const used = new Set<string>();
  const unique = (base: string) => {
    let n = verilogName(base);
    for (let k = 2; used.has(n); k++) n = `${verilogName(base)}_${k}`;
    used.add(n);
    return n;
  };
  // Products as the estimate counted them: on DSPs, one vendor primitive per product (Gowin,
  // Anlogic) or one `*` per product (Xilinx infers a DSP48E1); in LUTs (no DSP), `*` where the
  // family infers no DSP from it (vendorMultiplier given), else shift-and-add (mvau.ts lutProductFunction),
  // which Yosys' synth_xilinx does not take to a DSP48E1 (the generic design simulates this form).
  const macMultipliers = (row: LayerRow, kind: string) => {
    if (engineRow(row, kind).dsp > 0) return options.vendorMultiplier ? { vendorMultiplier: options.vendorMultiplier } : {};
    return options.vendorMultiplier ? {} : { lutProducts: true };
  };
  // The MVAU's: also packed PE lanes per DSP (Xilinx DSP48, written with `*`).
  const mvauMultipliers = (row: LayerRow) => {
    const lanes = engineRow(row, 'mvau').dspLanes ?? 1;
    if (lanes > 1 && !options.vendorMultiplier) return { dspLanes: lanes };
    return macMultipliers(row, 'mvau');
  };
  let last: { elements: number; bits: number } = { elements: 1, bits: net.input.bits };
  const push = (kind: StageInfo['kind'], layer: string, module: EmittedModule, inEl: number, inBits: number, outEl: number, outBits: number, depth: number) => {
    if (last.bits !== inBits) throw new Error(`${module.name}: element width ${inBits} after ${last.bits}`);
    if (last.elements !== inEl) {
      const dwc = emitWidthConverter(unique(`dwc_${module.name}`), last.elements, inEl, inBits);
      stages.push({ module: dwc, kind: 'width-converter', layer, inElements: last.elements, inBits, outElements: inEl, outBits: inBits });
    }
    const fifo = emitFifo(unique(`fifo_${module.name}`), depth, inEl * inBits);
    stages.push({ module: fifo, kind: 'fifo', layer, inElements: inEl, inBits, outElements: inEl, outBits: inBits });
    stages.push({ module, kind, layer, inElements: inEl, inBits, outElements: outEl, outBits });
    last = { elements: outEl, bits: outBits };
  };

  // Streams a residual Add reads again later: forked right after the op that produces them.
  const forked = new Set(net.ops.flatMap((op) => (op.kind === 'add' ? [op.skipFrom] : [])));
  const forks = new Map<number, { stage: number; elements: number; bits: number }>();
  const fork = (opIndex: number, layer: string) => {
    const m = emitFork(unique(`fork_${verilogName(layer)}`), last.elements * last.bits);
    stages.push({ module: m, kind: 'fork', layer, inElements: last.elements, inBits: last.bits, outElements: last.elements, outBits: last.bits });
    forks.set(opIndex, { stage: stages.length - 1, ...last });
  };
  if (forked.has(-1)) fork(-1, 'input');

  net.ops.forEach((op: IntOp, index) => {
    const row = rows.get(op.name);
    if (!row || !row.mappable) throw badInput(`layer "${op.name}" is not in the estimate (or not mappable there).`, op.name);
    const isLast = index === net.ops.length - 1;
    const A = op.input.bits;
    const base = verilogName(op.name);
    if (op.kind === 'add') {
      const addRow = engineRow(row, 'add-streams');
      const pe = addRow.pe;
      const src = forks.get(op.skipFrom)!;
      if (src.bits !== op.skip.bits) throw new Error(`${op.name}: skip stream carries ${src.bits}-bit elements, not ${op.skip.bits}`);
      const sumBits = Math.max(op.branch.bits, op.skip.bits + (op.skip.signed ? 0 : 1)) + 1;
      const addSpec = { kind: 'add-streams' as const, channels: op.outChannels, numVectors: op.outDim[0] * op.outDim[1] };
      const m = rtlEmitterOf('add-streams').emit(addSpec, foldOf(addRow), RTL_CONTEXT, {
        name: unique(`${base}_add`),
        data: { branchBits: op.branch.bits, skipBits: op.skip.bits, skipSigned: op.skip.signed, outBits: sumBits },
      });
      const path: EmittedModule[] = [];
      if (src.elements !== pe) path.push(emitWidthConverter(unique(`dwc_${base}_bypass`), src.elements, pe, src.bits));
      const bypass = row.fifos.find((f) => f.bypass);
      const estimated = bypass ? bypass.depth : 32;
      const needed = bypassWords(branchWindows(net.ops.slice(op.skipFrom + 1, index)), pe);
      const depth = Math.max(estimated, needed);
      if (depth > estimated) notes.push(`${op.name}: bypass FIFO ${depth} deep, not the estimate's ${estimated}: the branch holds ${needed - BYPASS_SLACK_WORDS} skip words before its first output (a shallower bypass deadlocks).`);
      path.push(emitFifo(unique(`fifo_${base}_bypass`), depth, pe * src.bits));
      push('add-streams', op.name, m, pe, op.branch.bits, pe, sumBits, fifoDepth(row, 'add-streams'));
      stages[stages.length - 1].skip = { fork: src.stage, path };
      const r = emitLayerRequant(row, op.outDim[0] * op.outDim[1], unique(`${base}_requant`), op.outChannels, sumBits, op.requant!, options.vendorMultiplier);
      push(r.kind, op.name, r.module, r.pe, sumBits, r.pe, op.requant!.out.bits, fifoDepth(row, 'thresholding'));
      if (forked.has(index)) fork(index, op.name);
      return;
    }
    if (op.kind === 'global-avg-pool') {
      const pe = row.config.pe;
      const spec = { kind: 'global-acc-pool' as const, channels: op.inChannels, inDim: op.inDim };
      const m = rtlEmitterOf('global-acc-pool').emit(spec, { pe, simd: 1 }, RTL_CONTEXT, { name: unique(`${base}_pool`), data: { actBits: A, actSigned: op.input.signed, requant: op.requant! } });
      push('global-pool', op.name, m, pe, A, pe, op.requant!.out.bits, fifoDepth(row, 'global-acc-pool'));
      if (forked.has(index)) fork(index, op.name);
      return;
    }
    if (op.kind === 'max-pool') {
      const data = { actBits: A, actSigned: op.input.signed };
      const C = op.inChannels;
      if (row.engines.some((e) => e.kind === 'streaming-maxpool')) {
        // The estimate's StreamingMaxPool: the window tiles the map (stride = pool size, no padding).
        if (op.stride[0] !== op.kernel[0] || op.stride[1] !== op.kernel[1] || op.pads.some((p) => p !== 0)) throw new Error(`${op.name}: the estimate's StreamingMaxPool needs stride = pool size and no padding`);
        const spec = { kind: 'streaming-maxpool' as const, channels: C, imgDim: op.inDim, poolDim: op.kernel };
        const m = rtlEmitterOf('streaming-maxpool').emit(spec, { pe: 1, simd: 1 }, RTL_CONTEXT, { name: unique(`${base}_maxpool`), data });
        push('max-pool', op.name, m, C, A, C, A, fifoDepth(row, 'streaming-maxpool'));
      } else {
        // The estimate's depthwise window and Pool; the window pads with the grid's minimum.
        const swg = engineRow(row, 'sliding-window');
        if (swg.parallelWindow) throw badInput(`layer "${op.name}": the estimate uses the window's parallel mode, which the generator does not build yet.`, op.name);
        const [pt, pl, pb, pr] = op.pads;
        const swgSpec = { kind: 'sliding-window' as const, channels: C, ifmDim: [op.inDim[0] + pt + pb, op.inDim[1] + pl + pr] as [number, number], ofmDim: op.outDim, kernel: op.kernel, stride: op.stride, dilation: [1, 1] as [number, number], depthwise: true };
        const w = rtlEmitterOf('sliding-window').emit(swgSpec, foldOf(swg), RTL_CONTEXT, { name: unique(`${base}_swg`), data: { actBits: A, pads: op.pads, padElement: op.input.qmin, ...bufferMemoryOf(swg) } });
        push('sliding-window', op.name, w, swg.simd, A, swg.simd, A, fifoDepth(row, 'sliding-window'));
        const pe = engineRow(row, 'pool').pe;
        const spec = { kind: 'pool' as const, fn: 'max' as const, channels: C, kernel: op.kernel, outDim: op.outDim };
        const m = rtlEmitterOf('pool').emit(spec, { pe, simd: 1 }, RTL_CONTEXT, { name: unique(`${base}_maxpool`), data });
        push('max-pool', op.name, m, pe, A, pe, A, fifoDepth(row, 'pool'));
      }
      if (forked.has(index)) fork(index, op.name);
      return;
    }
    const conv = op as IntConv;
    const accBits = isLast ? 32 : accumulatorBits(conv.fanIn, conv.weightBits, A, op.input.signed);
    if (conv.kind === 'conv' || conv.kind === 'depthwise') {
      const swg = engineRow(row, 'sliding-window');
      if (swg.parallelWindow) throw badInput(`layer "${op.name}": the estimate uses the window's parallel mode, which the generator does not build yet.`, op.name);
      const [pt, pl, pb, pr] = conv.pads;
      const spec = {
        kind: 'sliding-window' as const,
        channels: op.inChannels,
        ifmDim: [op.inDim[0] + pt + pb, op.inDim[1] + pl + pr] as [number, number],
        ofmDim: op.outDim,
        kernel: conv.kernel,
        stride: conv.stride,
        dilation: [1, 1] as [number, number],
        depthwise: conv.kind === 'depthwise',
      };
      const m = rtlEmitterOf('sliding-window').emit(spec, foldOf(swg), RTL_CONTEXT, { name: unique(`${base}_swg`), data: { actBits: A, pads: conv.pads, ...bufferMemoryOf(swg) } });
      push('sliding-window', op.name, m, swg.simd, A, swg.simd, A, fifoDepth(row, 'sliding-window'));
    } else if (conv.stride.some((s) => s !== 1)) {
      throw badInput(`layer "${op.name}": strided 1x1 convolution (DownSampler) is not generated.`, op.name);
    }
    const { pe, simd } = row.config;
    if (conv.kind === 'depthwise') {
      const spec = { kind: 'vvau' as const, channels: op.inChannels, kernel: conv.kernel, outDim: op.outDim };
      const m = rtlEmitterOf('vvau').emit(spec, { pe, simd }, { requant: 'auto', memStyle: row.config.memStyle }, {
        name: unique(`${base}_vvau`),
        data: { weightBits: conv.weightBits, actBits: A, actSigned: op.input.signed, accBits, weights: conv.weights, ...macMultipliers(row, 'vvau') },
      });
      push('vvau', op.name, m, pe, A, pe, accBits, fifoDepth(row, 'vvau'));
    } else {
      const mw = conv.weights.length / op.outChannels;
      const spec = { kind: 'mvau' as const, mw, mh: op.outChannels, numVectors: op.outDim[0] * op.outDim[1] };
      const m = rtlEmitterOf('mvau').emit(spec, { pe, simd }, { requant: 'auto', memStyle: row.config.memStyle }, {
        name: unique(`${base}_mvau`),
        data: { weightBits: conv.weightBits, actBits: A, actSigned: op.input.signed, accBits, weights: conv.weights, ...(isLast ? { bias: conv.bias } : {}), ...mvauMultipliers(row) },
      });
      push('mvau', op.name, m, simd, A, pe, accBits, fifoDepth(row, 'mvau'));
    }
    if (op.requant) {
      const r = emitLayerRequant(row, op.outDim[0] * op.outDim[1], unique(`${base}_requant`), op.outChannels, accBits, op.requant, options.vendorMultiplier);
      push(r.kind, op.name, r.module, r.pe, accBits, r.pe, op.requant.out.bits, fifoDepth(row, 'thresholding'));
    }
    if (forked.has(index)) fork(index, op.name);
  });
  if (last.elements !== 1) {
    const dwc = emitWidthConverter(unique('dwc_logits'), last.elements, 1, last.bits);
    stages.push({ module: dwc, kind: 'width-converter', layer: 'output', inElements: last.elements, inBits: last.bits, outElements: 1, outBits: last.bits });
  }
  if (last.bits !== LOGIT_BITS) throw new Error(`the last stage carries ${last.bits}-bit elements, not ${LOGIT_BITS}-bit logits`);

  const [c0, h0, w0] = net.inputShape;
  const inputWordsPerImage = c0 * h0 * w0;
  const top = 'edgefold_accelerator';
  const files: Record<string, string> = {};
  for (const m of allModules(stages)) {
    files[`${m.name}.v`] = m.verilog;
    Object.assign(files, m.files);
  }
  files[`${top}.v`] = topModule(top, stages, net.input.bits);
  files['tb.v'] = testbench(top, net.input.bits, inputWordsPerImage, net.classes, options.images, options.timeoutCycles ?? Math.max(1_000_000, (options.images + 4) * est.maxCycles * 4 + est.latency.cycles * 4));
  const design: AcceleratorDesign = {
    files,
    stages,
    top,
    inputWordsPerImage,
    inputBits: net.input.bits,
    logitsPerImage: net.classes,
    estimate: { maxCycles: est.maxCycles, latencyCycles: est.latency.cycles, fps: est.fps, clockMHz: est.clockMHz, device: est.device.id },
    notes,
  };
  files['README.md'] = readme(design, net);
  files['files.f'] = [...allModules(stages).map((m) => `${m.name}.v`), `${top}.v`].join('\n') + '\n';
  return design;
}

/** Every module instance of the design: the stages, then the bypass paths of residual joins. */
export function allModules(stages: StageInfo[]): EmittedModule[] {
  return [...stages.map((s) => s.module), ...stages.flatMap((s) => s.skip?.path ?? [])];
}

function topModule(top: string, stages: StageInfo[], inputBits: number): string {
  const lines: string[] = [];
  const outBits = stages.at(-1)!.module.outWidth;
  lines.push(`// ${top}: the streaming pipeline, ${stages.length} stages (generated by edgefold; see README.md)`);
  lines.push(`module ${top} (`);
  lines.push('  input  wire clk,');
  lines.push('  input  wire rst,');
  lines.push(`  input  wire [${inputBits - 1}:0] in_data,`);
  lines.push('  input  wire in_valid,');
  lines.push('  output wire in_ready,');
  lines.push(`  output wire [${outBits - 1}:0] out_data,`);
  lines.push('  output wire out_valid,');
  lines.push('  input  wire out_ready');
  lines.push(');');
  stages.forEach((s, i) => {
    lines.push(`  wire [${s.module.outWidth - 1}:0] s${i + 1}_data;`);
    lines.push(`  wire s${i + 1}_valid, s${i + 1}_ready;`);
  });
  lines.push('  wire [' + (inputBits - 1) + ':0] s0_data = in_data;');
  lines.push('  wire s0_valid = in_valid;');
  lines.push('  wire s0_ready;');
  lines.push('  assign in_ready = s0_ready;');
  stages.forEach((s, i) => {
    if (s.kind === 'fork') {
      lines.push(`  wire [${s.module.outWidth - 1}:0] k${i + 1}_data;`);
      lines.push(`  wire k${i + 1}_valid, k${i + 1}_ready;`);
    }
  });
  stages.forEach((s, i) => {
    const ports = `.clk(clk), .rst(rst), .in_data(s${i}_data), .in_valid(s${i}_valid), .in_ready(s${i}_ready), .out_data(s${i + 1}_data), .out_valid(s${i + 1}_valid), .out_ready(s${i + 1}_ready)`;
    if (s.kind === 'fork') {
      lines.push(`  ${s.module.name} u${i + 1} (${ports}, .out2_data(k${i + 1}_data), .out2_valid(k${i + 1}_valid), .out2_ready(k${i + 1}_ready));`);
    } else if (s.skip) {
      // Bypass path: fork output -> [width converter] -> FIFO -> AddStreams' second input.
      let from = `k${s.skip.fork + 1}`;
      s.skip.path.forEach((m, j) => {
        const to = `b${i + 1}_${j}`;
        lines.push(`  wire [${m.outWidth - 1}:0] ${to}_data;`);
        lines.push(`  wire ${to}_valid, ${to}_ready;`);
        lines.push(`  ${m.name} u${i + 1}_bypass${j} (.clk(clk), .rst(rst), .in_data(${from}_data), .in_valid(${from}_valid), .in_ready(${from}_ready), .out_data(${to}_data), .out_valid(${to}_valid), .out_ready(${to}_ready));`);
        from = to;
      });
      lines.push(`  ${s.module.name} u${i + 1} (${ports}, .in2_data(${from}_data), .in2_valid(${from}_valid), .in2_ready(${from}_ready));`);
    } else {
      lines.push(`  ${s.module.name} u${i + 1} (${ports});`);
    }
  });
  const n = stages.length;
  lines.push(`  assign out_data = s${n}_data;`);
  lines.push(`  assign out_valid = s${n}_valid;`);
  lines.push(`  assign s${n}_ready = out_ready;`);
  lines.push('endmodule');
  return lines.join('\n') + '\n';
}

function testbench(top: string, inputBits: number, inPerImage: number, outPerImage: number, images: number, timeout: number): string {
  return `\`timescale 1ns/1ps
// Streams IMAGES images from input.hex (one input element per line, two's complement hex, in
// the stream's HWC order) back to back, writes every logit to logits.txt (decimal, one per
// line) and to cycles.txt the cycle the first input word was taken, then the cycle each image's
// last logit left the pipeline.
module tb;
  parameter IMAGES = ${images};
  localparam IN_PER = ${inPerImage}, OUT_PER = ${outPerImage}, TIMEOUT = ${timeout};
  reg clk = 1'b0;
  reg rst = 1'b1;
  always #5 clk = ~clk;
  reg [${inputBits - 1}:0] inmem [0:IMAGES*IN_PER-1];
  integer ip, op, cycle, fd, fc, started;
  wire in_ready, out_valid;
  wire [${LOGIT_BITS - 1}:0] out_data;
  wire in_valid = !rst && (ip < IMAGES*IN_PER);
  ${top} dut (.clk(clk), .rst(rst), .in_data(inmem[ip < IMAGES*IN_PER ? ip : 0]), .in_valid(in_valid), .in_ready(in_ready),
    .out_data(out_data), .out_valid(out_valid), .out_ready(1'b1));
  initial begin
    $readmemh("input.hex", inmem);
    fd = $fopen("logits.txt", "w");
    fc = $fopen("cycles.txt", "w");
    ip = 0; op = 0; cycle = 0; started = 0;
    repeat (4) @(posedge clk);
    rst <= 1'b0;
  end
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (!rst) begin
      if (in_valid && in_ready) begin
        if (!started) $fwrite(fc, "%0d\\n", cycle);
        started <= 1;
        ip <= ip + 1;
      end
      if (out_valid) begin
        $fwrite(fd, "%0d\\n", $signed(out_data));
        op <= op + 1;
        if ((op + 1) % OUT_PER == 0) $fwrite(fc, "%0d\\n", cycle);
        if (op + 1 == IMAGES*OUT_PER) begin $fclose(fd); $fclose(fc); $finish; end
      end
      if (cycle > TIMEOUT) begin $display("TIMEOUT after %0d cycles: %0d of %0d logits", cycle, op, IMAGES*OUT_PER); $fclose(fd); $fclose(fc); $finish; end
    end
  end
endmodule
`;
}

function readme(d: AcceleratorDesign, net: IntegerNetwork): string {
  const kinds = new Map<string, number>();
  for (const s of d.stages) kinds.set(s.kind, (kinds.get(s.kind) ?? 0) + 1);
  return `# edgefold accelerator

Generated by \`edgefold rtl\`: a streaming dataflow accelerator, one engine per layer, in
synthesizable Verilog-2005 (no vendor IP). Top module \`${d.top}\` (\`${d.top}.v\`); every other
\`.v\` is one engine instance; \`*.hex\` are the weights and requantisation constants
(\`$readmemh\`, paths relative to the directory the simulator or synthesis runs in).

- Folding and FIFO depths: the estimate for ${d.estimate.device} at ${d.estimate.clockMHz} MHz
  (${d.estimate.maxCycles} cycles per frame = ${d.estimate.fps.toFixed(1)} FPS estimated,
  first-frame latency ${d.estimate.latencyCycles} cycles estimated).
- Stages: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}.
- Input stream: one ${d.inputBits}-bit ${net.input.signed ? 'signed' : 'unsigned'} element per word, ${d.inputWordsPerImage}
  per image in HWC order: the image after the model's preprocessing, quantized with scale
  ${net.input.scale} (x_int = clip(round(x / scale))).
- Output stream: one ${LOGIT_BITS}-bit signed integer logit per word, ${d.logitsPerImage} per image.
  Logit c in real units is logit x (input scale x weight scale of class c); top-1 compares
  those products.
- Streams: \`data\`, \`valid\`, \`ready\`; a word moves when valid and ready are both high;
  element 0 is in the low bits. Synchronous active-high reset.

## Simulate

    iverilog -g2005 -s tb -o sim.vvp -c files.f tb.v && vvp sim.vvp
    # or
    verilator --binary --timing -Wno-fatal --top-module tb -f files.f tb.v && ./obj_dir/Vtb

The testbench reads \`input.hex\` (one input element per line, two's complement hex), streams
all images back to back and writes \`logits.txt\` (one decimal logit per line) and
\`cycles.txt\` (the cycle of the first input word, then the cycle each image's last logit left).
Set the number of images with \`-P tb.IMAGES=N\` (Icarus) or \`-GIMAGES=N\` (Verilator).

## Synthesize

    yosys -p "read_verilog $(cat files.f | tr '\\n' ' '); synth_xilinx -top ${d.top}"

(\`synth_gowin\`, \`synth_anlogic\` likewise). Yosys counts are pre-place-and-route.
`;
}

/** input.hex for the testbench: the quantized images, one element per line. */
export function inputHex(images: Int32Array[], bits: number): string {
  const lines: string[] = [];
  for (const img of images) for (const v of img) lines.push(hexOf(v, bits));
  return lines.join('\n') + '\n';
}
