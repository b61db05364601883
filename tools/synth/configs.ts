/**
 * The synthesis grid: configurations of single engines per kind, in a fixed order, and the
 * deterministic fit / held-out split (every other configuration of a kind is held out).
 * Sizes are kept small enough that one Yosys run takes seconds to a minute on this machine.
 */
import type { SlidingWindowShape } from '../../src/core/hw/engines/sliding-window.ts';
import type { EngineContext } from '../../src/core/hw/engines/contract.ts';
import { getDevice, toEngineDevice } from '../../src/core/hw/devices.ts';
import { FAMILIES, type SynthFamily } from '../../src/core/synth/families.ts';

export type GridKind = 'mvau' | 'vvau' | 'requant' | 'swg' | 'fifo' | 'dwc' | 'gpool' | 'maxpool';

export interface GridConfig {
  id: string;
  kind: GridKind;
  pe: number;
  simd: number;
  /** Weight and activation bits (the same). */
  bits: number;
  /** Input channels (MVAU: MW = channels * kernel^2), channels (VVAU, requant). */
  channels: number;
  /** MVAU output channels (MH). */
  outChannels: number;
  kernel: number;
  /** Requantiser: accumulator width in. */
  accBits?: number;
  /** Sliding window: square input map (before padding), stride, depthwise order; padding is k / 2 on every side. */
  imgDim?: number;
  stride?: number;
  depthwise?: boolean;
  /** FIFO: depth and word width in bits. */
  depth?: number;
  width?: number;
  /** Global pool: square input map (`imgDim`) and `channels`, PE `pe`. */
  /** Max pool: kernel 2 = StreamingMaxPool 2x2 stride 2 over an `imgDim` map (every channel per word); kernel 3 = the Pool after a 3x3 window, PE `pe`. */
  /** Width converter: elements per input / output word (bits per element is `bits`). */
  inElements?: number;
  outElements?: number;
  /** MVAU / VVAU: every product in LUTs (the estimate's mulStyle 'lut'), whatever the width; id ends `-lut`. */
  mulStyle?: 'lut';
  /** MVAU: adds a per-output bias, as the last layer (the classifier) does; id ends `-bias`. */
  bias?: boolean;
}

/** Every tuple of the lists, in order. */
function product<T extends unknown[]>(...lists: { [K in keyof T]: T[K][] }): T[] {
  return lists.reduce<unknown[][]>((acc, list) => acc.flatMap((a) => list.map((x) => [...a, x])), [[]]) as T[];
}

/** A spread subset of n items (every k-th), deterministic. */
function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  const step = items.length / n;
  return Array.from({ length: n }, (_, i) => items[Math.floor(i * step)]);
}

export function gridConfigs(kind: GridKind): GridConfig[] {
  if (kind === 'mvau') {
    // (bits, channels, kernel, outChannels, pe, simd)
    const all = product<[number, number, number, number, number, number]>([2, 4, 8], [8, 16, 32], [1, 3], [8, 16], [1, 2, 4], [1, 4, 8])
      .filter(([, c, k, , , simd]) => (c * k * k) % simd === 0)
      .filter(([b, c, k, oc, pe, simd]) => pe * simd <= 16 && (c * k * k * oc) / (pe * simd) <= 1024 && b * pe * simd <= 96);
    const rows = spread(all, 48).map(([bits, channels, kernel, outChannels, pe, simd]) => ({ id: `mvau-b${bits}-c${channels}-k${kernel}-o${outChannels}-pe${pe}-simd${simd}`, kind, pe, simd, bits, channels, outChannels, kernel }));
    // After the 48: products in LUTs at 4-8 bits (mulStyle 'lut'), which `auto` puts on DSPs, so that
    // the LUT multiplier is measured beyond 2 bits (run with --per-kind 64; docs/hardware-model.md "LUT multipliers on Xilinx";
    // on Gowin / Anlogic, since session 12, where these products are `*` in LUTs: "Session 12: MVAU features").
    const lut = product<[number, number, number, number, number, number]>([4, 6, 8], [8, 16], [1, 3], [8], [1, 2, 4], [1, 4])
      .filter(([, c, k, , , simd]) => (c * k * k) % simd === 0)
      .filter(([, c, k, oc, pe, simd]) => (c * k * k * oc) / (pe * simd) <= 1024);
    const lutRows = spread(lut, 14).map(([bits, channels, kernel, outChannels, pe, simd]) => ({ id: `mvau-b${bits}-c${channels}-k${kernel}-o${outChannels}-pe${pe}-simd${simd}-lut`, kind, pe, simd, bits, channels, outChannels, kernel, mulStyle: 'lut' as const }));
    // After those (session 13, run with --per-kind 128): SIMD 2, 3 and 6, which the first 48 (SIMD 1, 4, 8)
    // never reach and the designs' auto-fold chooses (the default model's pointwise layers at SIMD 2-3),
    // at the bits products go on the vendor multipliers / DSP48E1 (4, 8).
    const midSimd = product<[number, number, number, number, number, number]>([4, 8], [8, 16, 32], [1, 3], [8, 16], [1, 2, 4], [2, 3, 6])
      .filter(([, c, k, , , simd]) => (c * k * k) % simd === 0)
      .filter(([b, c, k, oc, pe, simd]) => pe * simd <= 16 && (c * k * k * oc) / (pe * simd) <= 1024 && b * pe * simd <= 96);
    const midSimdRows = spread(midSimd, 16).map(([bits, channels, kernel, outChannels, pe, simd]) => ({ id: `mvau-b${bits}-c${channels}-k${kernel}-o${outChannels}-pe${pe}-simd${simd}`, kind, pe, simd, bits, channels, outChannels, kernel }));
    // Then classifiers: a 1x1 / FC MVAU that adds its bias (the last layer; no requantiser after it), 10 or 16 outputs.
    const withBias = product<[number, number, number, number, number]>([4, 8], [32, 64, 128, 256], [10, 16], [1, 2], [1, 2, 4])
      .filter(([, c, oc, pe, simd]) => c % simd === 0 && oc % pe === 0);
    const biasRows = spread(withBias, 12).map(([bits, channels, outChannels, pe, simd]) => ({ id: `mvau-b${bits}-c${channels}-k1-o${outChannels}-pe${pe}-simd${simd}-bias`, kind, pe, simd, bits, channels, outChannels, kernel: 1, bias: true }));
    // Then weight ROMs deeper than one block's shape (2K-16K words, as a design's pointwise layers at PE 1),
    // which memory_libmap splits in depth and reads through a multiplexer.
    const deep = product<[number, number, number, number, number]>([4, 8], [64, 128, 256], [64, 128], [1, 2], [1, 2, 4])
      .filter(([, c, oc, pe, simd]) => (c * oc) / (pe * simd) >= 2048 && (c * oc) / (pe * simd) <= 16384);
    const deepRows = spread(deep, 16).map(([bits, channels, outChannels, pe, simd]) => ({ id: `mvau-b${bits}-c${channels}-k1-o${outChannels}-pe${pe}-simd${simd}-deep`, kind, pe, simd, bits, channels, outChannels, kernel: 1 }));
    // Then PE 4 with products on DSPs / vendor multipliers (4 and 8 bits): the first 48 have few, and
    // none fell in the fitting half (by the id hash), so no fitted row showed packed DSP48E1 lanes at PE 4.
    const earlier = new Set([...rows, ...midSimdRows].map((r) => r.id));
    const wide = product<[number, number, number, number, number]>([4, 8], [8, 16, 32], [1, 3], [8, 16], [1, 2, 4])
      .filter(([b, c, k, oc, simd]) => (c * k * k) % simd === 0 && (c * k * k * oc) / (4 * simd) <= 1024 && b * 4 * simd <= 96)
      .filter(([b, c, k, oc, simd]) => !earlier.has(`mvau-b${b}-c${c}-k${k}-o${oc}-pe4-simd${simd}`));
    const pe4Rows = spread(wide, 20).map(([bits, channels, kernel, outChannels, simd]) => ({ id: `mvau-b${bits}-c${channels}-k${kernel}-o${outChannels}-pe4-simd${simd}`, kind, pe: 4, simd, bits, channels, outChannels, kernel }));
    return [...rows, ...lutRows, ...midSimdRows, ...biasRows, ...deepRows, ...pe4Rows];
  }
  if (kind === 'vvau') {
    const all = product<[number, number, number, number]>([2, 4, 8], [8, 16, 32, 64], [3, 5], [1, 2, 4, 8]).filter(([, c, , pe]) => c % pe === 0);
    const rows = spread(all, 48).map(([bits, channels, kernel, pe]) => ({ id: `vvau-b${bits}-c${channels}-k${kernel}-pe${pe}`, kind, pe, simd: 1, bits, channels, outChannels: channels, kernel }));
    // After the 48: products in LUTs at 4-8 bits, as the MVAU's.
    const lut = product<[number, number, number, number]>([4, 6, 8], [8, 16, 32], [3], [1, 2, 4, 8]).filter(([, c, , pe]) => c % pe === 0);
    const lutRows = spread(lut, 14).map(([bits, channels, kernel, pe]) => ({ id: `vvau-b${bits}-c${channels}-k${kernel}-pe${pe}-lut`, kind, pe, simd: 1, bits, channels, outChannels: channels, kernel, mulStyle: 'lut' as const }));
    return [...rows, ...lutRows];
  }
  if (kind === 'swg') {
    // The shapes of the default model's windows and around them: 28 / 14 / 7 maps, kernel 3 (and 5), stride 1 or 2.
    const all = product<[number, number, number, number, number, number, number]>([4, 8], [8, 16, 32, 64], [7, 14, 28], [3, 5], [1, 2], [0, 1], [1, 2, 4, 8])
      .filter(([, c, , , , , simd]) => c % simd === 0 && simd < c)
      .filter(([, c, d, k, , , simd]) => k < d && (c / simd) * d <= 1024);
    return spread(all, 48).map(([bits, channels, imgDim, kernel, stride, dw, simd]) => ({
      id: `swg-b${bits}-c${channels}-d${imgDim}-k${kernel}-s${stride}-${dw ? 'dw' : 'std'}-simd${simd}`,
      kind,
      pe: 1,
      simd,
      bits,
      channels,
      outChannels: channels,
      kernel,
      imgDim,
      stride,
      depthwise: dw === 1,
    }));
  }
  if (kind === 'fifo') {
    // Depths the estimator gives (32 between engines, deeper on residual bypasses), widths of activation and accumulator words.
    const all = product<[number, number]>([32, 64, 128, 256, 512, 1024], [8, 16, 20, 32, 48, 64, 96, 128]);
    // After the 48: depths that are not powers of two (residual bypass FIFOs), whose pointers wrap at
    // registered last-slot flags instead of by overflow (run with --per-kind 64, which also reaches the 1024-deep rows).
    const odd = product<[number, number]>([48, 96, 200, 384], [8, 20, 48, 96]);
    return [...spread(all, 48), ...odd].map(([depth, width]) => ({ id: `fifo-d${depth}-w${width}`, kind, pe: 1, simd: 1, bits: width, channels: 1, outChannels: 1, kernel: 1, depth, width }));
  }
  if (kind === 'dwc') {
    const all = product<[number, number, number]>([4, 8, 16, 24], [1, 2, 3, 4, 8, 16], [1, 2, 3, 4, 8, 16]).filter(([, i, o]) => i !== o && i * o <= 64);
    return spread(all, 48).map(([bits, inElements, outElements]) => ({ id: `dwc-b${bits}-i${inElements}-o${outElements}`, kind, pe: 1, simd: 1, bits, channels: 1, outChannels: 1, kernel: 1, inElements, outElements }));
  }
  if (kind === 'gpool') {
    // Global average pools at the end of small CNNs: 8-128 channels over 2x2 to 14x14 maps.
    const all = product<[number, number, number, number]>([4, 8], [8, 16, 32, 64, 128], [2, 4, 7, 14], [1, 2, 4, 8]).filter(([, c, , pe]) => c % pe === 0);
    // After the first 48: 256 channels (the default model's pool), for a fit that need not extrapolate there.
    const wide = product<[number, number, number, number]>([4, 8], [256], [7, 14], [1, 4]);
    // After those: 256 and 512 channels over 4x4 at PE 1-2 (128-512 sums per lane in LUTRAM, several 16- or 64-word banks and their read multiplexer).
    const deep = product<[number, number, number, number]>([4, 8], [256, 512], [4], [1, 2]);
    return [...spread(all, 48), ...wide, ...deep].map(([bits, channels, imgDim, pe]) => ({ id: `gpool-b${bits}-c${channels}-d${imgDim}-pe${pe}`, kind, pe, simd: 1, bits, channels, outChannels: channels, kernel: 1, imgDim }));
  }
  if (kind === 'maxpool') {
    // Both max pool engines: StreamingMaxPool (2x2, all channels per word) over 4-28 maps, and the windowed Pool (3x3) at PE 1-8.
    const streaming = product<[number, number, number]>([4, 8], [8, 16, 32, 64], [4, 8, 14, 28]).map(([bits, channels, imgDim]) => ({ id: `maxpool-b${bits}-c${channels}-d${imgDim}-k2`, kind, pe: 1, simd: 1, bits, channels, outChannels: channels, kernel: 2, imgDim }));
    const windowed = product<[number, number, number]>([4, 8], [8, 16, 32, 64], [1, 2, 4, 8]).map(([bits, channels, pe]) => ({ id: `maxpool-b${bits}-c${channels}-k3-pe${pe}`, kind, pe, simd: 1, bits, channels, outChannels: channels, kernel: 3 }));
    // Alternating, so that the first 40 hold both engines.
    return spread(streaming.flatMap((s, i) => [s, windowed[i]]), 48);
  }
  const all = product<[number, number, number, number]>([4, 8], [8, 16, 32, 64], [16, 20, 24], [1, 2, 4]).filter(([, c, , pe]) => c % pe === 0);
  // After the first 48 (grid.ts --per-kind 64): the deep channel folds of whole designs (96-256 channels at PE 1-2: parameters in deep LUT ROMs or in BRAM), 8-bit outputs as the multiply-shift default.
  const deep = product<[number, number, number, number]>([8], [96, 128, 192, 256], [20, 24], [1, 2]);
  return [...spread(all, 48), ...deep].map(([bits, channels, accBits, pe]) => ({ id: `requant-b${bits}-c${channels}-acc${accBits}-pe${pe}`, kind, pe, simd: 1, bits, channels, outChannels: channels, kernel: 1, accBits }));
}

/** The engine a `maxpool` configuration synthesizes: StreamingMaxPool 2x2 over its map, or the Pool after a 3x3 window (4x4 outputs; its size does not depend on them). */
export function maxPoolGridEngine(c: GridConfig): { kind: 'streaming-maxpool'; shape: { channels: number; imgDim: [number, number]; poolDim: [number, number] } } | { kind: 'pool'; shape: { fn: 'max'; channels: number; kernel: [number, number]; outDim: [number, number] }; pe: number } {
  if (c.kernel === 2) return { kind: 'streaming-maxpool', shape: { channels: c.channels, imgDim: [c.imgDim!, c.imgDim!], poolDim: [2, 2] } };
  return { kind: 'pool', shape: { fn: 'max', channels: c.channels, kernel: [c.kernel, c.kernel], outDim: [4, 4] }, pe: c.pe };
}

/** Held-out half: a hash of the id, so the split does not follow the grid's order. */
/** The MVAU spec of a grid row, as grid.ts estimates and builds it and calibrate.ts fits it. */
export function gridMvauSpec(c: GridConfig): { kind: 'mvau'; mw: number; mh: number; numVectors: number; bias?: boolean } {
  return { kind: 'mvau', mw: c.channels * c.kernel * c.kernel, mh: c.outChannels, numVectors: 16, ...(c.bias ? { bias: true } : {}) };
}

export function isHeldOut(c: Pick<GridConfig, 'id'>): boolean {
  let h = 2166136261;
  for (let i = 0; i < c.id.length; i++) h = Math.imul(h ^ c.id.charCodeAt(i), 16777619) >>> 0;
  return (h & 1) === 1;
}

/** Deterministic integers in [-(2^(bits-1)-1), 2^(bits-1)-1] (a fixed LCG: weights only matter for ROM logic). */
export function weights(n: number, bits: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  const max = 2 ** (bits - 1) - 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s % (2 * max + 1)) - max;
  });
}

/** The seed of a row's parameters (grid.ts). */
export const gridSeed = (c: Pick<GridConfig, 'pe' | 'simd' | 'channels' | 'bits'>): number => c.pe * 131 + c.simd * 17 + c.channels * 7 + c.bits;

/** A requantiser row's biases as grid.ts emits them (at most 20 bits): bram-check.ts estimates with their width. */
export function gridRequantBias(c: GridConfig): number[] {
  return weights(c.channels, Math.min(c.accBits!, 20), gridSeed(c) + 1);
}

/**
 * The window of a grid 'swg' row, as the estimator sees a padded layer: "same" padding (k / 2 on
 * every side) inside the padded map, with `pads` so the line buffer is counted at the unpadded
 * width the generator stores. Shared by grid.ts (build) and calibrate.ts (features).
 */
export function gridWindowShape(c: GridConfig): SlidingWindowShape {
  const d = c.imgDim!;
  const s = c.stride!;
  const p = Math.floor(c.kernel / 2);
  const o = Math.floor((d + 2 * p - c.kernel) / s) + 1;
  return { channels: c.channels, ifmDim: [d + 2 * p, d + 2 * p], ofmDim: [o, o], kernel: [c.kernel, c.kernel], stride: [s, s], dilation: [1, 1], depthwise: c.depthwise!, pads: [p, p, p, p] };
}

/** The estimator context of a grid row: the family's device uncalibrated (the grid is what the calibration is fitted on). */
export function gridEngineContext(c: GridConfig, family: SynthFamily): EngineContext {
  return {
    bits: { weightBits: c.bits, actBits: c.bits, actSigned: false },
    device: { ...toEngineDevice(getDevice(FAMILIES[family].device)), calibration: undefined },
    // LUT-style rows (id ending -lut) put every product in LUTs whatever the width.
    mulStyle: c.mulStyle ?? 'auto',
    memStyle: 'auto',
    requant: 'multiply',
  };
}
