/**
 * Shared types of the streaming-dataflow hardware model (FINN-style: one engine per layer, FIFOs
 * between them). Pure data: no DOM, no Node APIs. Formulas and their sources are in
 * docs/hardware-model.md.
 */
import type { LayerKind } from '../graph/layer.ts';
import type { MemoryLibrary } from './yosys-memory.ts';

/** Where multipliers go: LUT fabric, DSP blocks, or chosen by bit width (FINN's rule). */
export type MulStyle = 'auto' | 'lut' | 'dsp';
/**
 * Where a memory goes: block RAM, distributed LUTRAM, UltraRAM (FINN's ram_style="ultra", for
 * MVAU/VVAU weights on UltraScale+ parts), or chosen by size ('auto' never picks UltraRAM).
 */
export type MemStyle = 'auto' | 'bram' | 'lutram' | 'uram';
/** Memory styles of buffers (line buffers, thresholds, FIFOs): 'uram' is treated as 'auto' there. */
export type BufferMemStyle = Exclude<MemStyle, 'uram'>;

/** Per-layer precision. Activations are assumed unsigned (post-ReLU) unless `actSigned`. */
export interface LayerBits {
  weightBits: number;
  actBits: number;
  actSigned?: boolean;
  /**
   * Width of the multiply-shift requantiser's stored bias (rtl/requant.ts requantBiasBits) when the
   * layer's integer parameters are known; absent, the estimate bounds it by the accumulator width.
   */
  requantBiasBits?: number;
}

export const DEFAULT_BITS: LayerBits = { weightBits: 8, actBits: 8 };

/** DSP block families the model knows how to pack products into. */
export type DspType = 'DSP48E1' | 'DSP48E2' | 'DSP58' | 'generic';

/** What an engine needs to know about the target device. */
export interface EngineDevice {
  /** Inputs per LUT of the device's fabric (4, 5 or 6). Engine costs are computed for LUT6 and converted. */
  lutInputs: 4 | 5 | 6;
  dspType: DspType;
  /** Widths [a, b] of one DSP multiplier, e.g. [25, 18] for DSP48E1. Null when unknown (treated as 18x18). */
  dspMultiplier: [number, number] | null;
  /** Budget counts used by 'auto' memory choices (relative cost). Null when unknown. */
  lut: number | null;
  bram18: number | null;
  dsp: number | null;
  uram: number | null;
  /**
   * The Yosys 0.23 memory library whose choice the block RAM count follows for weight ROMs,
   * requantiser parameters and FIFOs (yosys-memory.ts); absent: FINN's RAMB18 rules.
   */
  memoryLibrary?: MemoryLibrary;
  /** The family whose synthesis-calibrated LUT/FF coefficients apply (calibration.ts); absent: FINN priors. */
  calibration?: 'xilinx' | 'gowin' | 'anlogic';
}

/** The requantiser a thresholding engine is built as: FINN's thresholds or multiply-shift (engines/thresholding.ts). */
export type RequantChoice = 'thresholds' | 'multiply';

/** Cost of one engine at one folding. LUT/FF are in LUT6-equivalents before device conversion. */
export interface EngineCost {
  cycles: number;
  /** Thresholding engines only: the requantiser the estimate charged (and the generator emits). */
  requantStyle?: RequantChoice;
  dsp: number;
  /** Sliding window: where the estimate put the line buffer, which the generator states (`ram_style`). */
  bufferMemory?: 'bram' | 'lutram';
  /** MVAU on DSPs: products per DSP (PE lanes sharing the activation), which the generator packs the same way. */
  dspLanes?: number;
  /** RAMB18-equivalent blocks (18 Kbit, FINN's unit). */
  bram18: number;
  /** UltraRAM blocks (288 Kbit, FINN's uram_estimation); absent when the engine uses none. */
  uram?: number;
  lut: number;
  ff: number;
  /** Bits of weights (or thresholds) the engine stores; 0 when it stores none. */
  weightMemBits: number;
  /** Input words this engine must see before it emits its first output (for the latency model). */
  fillWords: number;
  /** Input words per frame (stream words, each `inWidth` bits). */
  inWords: number;
  /** Output words per frame and their width in bits (for the FIFO after it). */
  outWords: number;
  outWidth: number;
  /** Where each number came from, and any caveats. */
  notes: string[];
}

/** Engine kinds, one file each under engines/. */
export type EngineKind =
  | 'mvau'
  | 'vvau'
  | 'sliding-window'
  | 'fmpadding'
  | 'downsampler'
  | 'thresholding'
  | 'pool'
  | 'streaming-maxpool'
  | 'global-acc-pool'
  | 'add-streams'
  | 'fifo'
  | 'width-converter';

/** Static shape description of one engine in a layer's chain (folding is applied later). */
export type EngineSpec =
  /** `bias`: the MVAU adds the layer's bias itself (the last layer, whose accumulators leave as logits with no requantiser). */
  | { kind: 'mvau'; mw: number; mh: number; numVectors: number; bias?: boolean }
  | { kind: 'vvau'; channels: number; kernel: [number, number]; outDim: [number, number] }
  | {
      kind: 'sliding-window';
      channels: number;
      /** Input dims after padding (FINN pads in a separate FMPadding engine). */
      ifmDim: [number, number];
      ofmDim: [number, number];
      kernel: [number, number];
      stride: [number, number];
      dilation: [number, number];
      depthwise: boolean;
      /** [top, left, bottom, right] padding inside ifmDim (the generated window pads inside and stores only the unpadded pixels); absent: none. */
      pads?: [number, number, number, number];
    }
  | { kind: 'fmpadding'; channels: number; imgDim: [number, number]; pads: [number, number, number, number] }
  | { kind: 'downsampler'; channels: number; imgDim: number; stride: number }
  | {
      kind: 'thresholding';
      channels: number;
      numVectors: number;
      thresholdBits: number;
      outBits: number;
      /** The multiply-shift requantiser's bias width, when the integer parameters are known (LayerBits.requantBiasBits). */
      biasBits?: number;
    }
  | { kind: 'pool'; fn: 'max' | 'avg'; channels: number; kernel: [number, number]; outDim: [number, number] }
  | { kind: 'streaming-maxpool'; channels: number; imgDim: [number, number]; poolDim: [number, number] }
  | { kind: 'global-acc-pool'; channels: number; inDim: [number, number] }
  | { kind: 'add-streams'; channels: number; numVectors: number }
  /** Inserted by the pipeline between engines, never part of a layer's chain. */
  | { kind: 'fifo'; depth: number; width: number }
  /** Inserted by the pipeline where neighbouring words carry different element counts, never part of a layer's chain. */
  | { kind: 'width-converter'; inElements: number; outElements: number; elementBits: number; inWords: number };

/** What a layer's PE and SIMD fold, and their upper bounds. */
export interface FoldDims {
  /** Dimension PE must divide (output channels, channels). */
  pe: number;
  peLabel: string;
  /** Dimension SIMD must divide, or 1 when the layer has no SIMD parallelism. */
  simd: number;
  simdLabel: string;
}

/** One layer of the layer view, mapped onto the engines FINN would build for it. */
export interface HwLayer {
  name: string;
  op: string;
  layerKind: LayerKind;
  mappable: boolean;
  /** Why the layer cannot be mapped (when !mappable). */
  reason?: string;
  bits: LayerBits;
  /** Engine chain in stream order (input side first). Empty when !mappable. */
  engines: EngineSpec[];
  /** Index in `engines` of the engine the layer's {pe, simd} fold. */
  main: number;
  fold: FoldDims;
  macs: number;
  params: number;
  /** For elementwise Add: index (into the HwLayer list) of the layer whose output is the skip input; -1 = network input. */
  skipFrom?: number;
}
