/**
 * Memory mapping rules (RAMB18 aspect ratios, LUTRAM) as FINN's estimators apply them.
 * Sources (Xilinx/finn @ 39f0c9a6b): custom_op/fpgadataflow/matrixvectoractivation.py
 * (bram_estimation), vectorvectoractivation.py (bram_estimation), streamingfifo.py
 * (bram_estimation), rtl/convolutioninputgenerator_rtl.py (bram_estimation),
 * util/basic.py (memutil / mem_primitives_versal). Re-implemented, not copied.
 */

import { yosysMemory, type MemoryLibrary } from './yosys-memory.ts';

const ceil = Math.ceil;

/**
 * RAMB18 count for a width x depth memory in simple-dual-port mode (UG573 aspect ratios
 * 16Kx1, 8Kx2, 4Kx4, 2Kx9, 1Kx18, 512x36), as FINN's MVAU and StreamingFIFO estimate it.
 * Note FINN's quirk: any memory deeper than 512 uses the 1Kx18 shape, even when wider than 18.
 */
export function ramb18(width: number, depth: number): number {
  if (width <= 0 || depth <= 0) return 0;
  if (width === 1) return ceil(depth / 16384);
  if (width === 2) return ceil(depth / 8192);
  if (width <= 4) return ceil(depth / 4096) * ceil(width / 4);
  if (width <= 9) return ceil(depth / 2048) * ceil(width / 9);
  if (width <= 18 || depth > 512) return ceil(depth / 1024) * ceil(width / 18);
  return ceil(depth / 512) * ceil(width / 36);
}

/**
 * FINN's VVAU variant: weights are packed without the parity bits, so the widths per block
 * are 8/16/32 instead of 9/18/36 (vectorvectoractivation.py bram_estimation).
 */
export function ramb18NoParity(width: number, depth: number): number {
  if (width <= 0 || depth <= 0) return 0;
  if (width === 1) return ceil(depth / 16384);
  if (width === 2) return ceil(depth / 8192);
  if (width <= 4) return ceil(depth / 4096) * ceil(width / 4);
  if (width <= 9) return ceil(depth / 2048) * ceil(width / 8);
  if (width <= 18 || depth > 512) return ceil(depth / 1024) * ceil(width / 16);
  return ceil(depth / 512) * ceil(width / 32);
}

/** Sliding-window buffer: port width picked from the depth, then cascaded (convolutioninputgenerator_rtl.py). */
function swgPortWidth(depth: number): number {
  if (depth <= 512) return 36;
  if (depth <= 1024) return 18;
  if (depth <= 2048) return 9;
  if (depth <= 4096) return 4;
  if (depth <= 8192) return 2;
  return 1;
}

export function swgRamb18(width: number, depth: number, count = 1): number {
  if (width <= 0 || depth <= 0 || count <= 0) return 0;
  const cascadeDepth = ceil(depth / 16384);
  const cascadeWidth = ceil(width / swgPortWidth(depth));
  let savings = 0;
  if (depth > 16384) {
    const rem = depth % 16384;
    savings = cascadeWidth - ceil(width / swgPortWidth(rem));
  }
  return (cascadeDepth * cascadeWidth - savings) * count;
}

/** LUTRAM in 6-input LUTs: one LUT holds 64 x 1 bit (FINN MVAU/VVAU: P*Q*W*ceil(WMEM/64)). */
export function lutram64(width: number, depth: number): number {
  if (width <= 0 || depth <= 0) return 0;
  return width * ceil(depth / 64);
}

/**
 * Words of one distributed-RAM bank as Yosys 0.23 maps a deep memory: RAM64M on 6-input-LUT parts
 * (7-series), RAM16SDP4 (Gowin) and EG_LOGIC_DRAM16X4 (Anlogic) on 4-input ones.
 */
export const distributedRamBankWords = (lutInputs: number): number => (lutInputs >= 6 ? 64 : 16);

/** Banks of those words a memory of `words` takes. */
export const distributedRamBanks = (words: number, lutInputs: number): number => ceil(words / distributedRamBankWords(lutInputs));

/**
 * LUTs (the family's unit) of the cells of a simple dual-port distributed RAM as Yosys 0.23 maps
 * it: 7-series RAM32M (32 words x 6 bits) up to 32 words, else RAM64M (64 x 3) per 64-word bank,
 * 4 LUT6 each; Gowin RAM16SDP4 and Anlogic EG_LOGIC_DRAM16X4 (16 x 4), 4 LUT4 each (grid: a
 * 2-word x 64-bit buffer is 11 RAM32M, a 72 x 32 one 40 RAM16SDP4).
 */
export function distributedRamLuts(words: number, width: number, lutInputs: number): number {
  if (width <= 0 || words <= 0) return 0;
  const banks = distributedRamBanks(words, lutInputs);
  if (lutInputs >= 6) return words <= 32 ? 4 * ceil(width / 6) : 4 * ceil(width / 3) * banks;
  return 4 * ceil(width / 4) * banks;
}

/** The read multiplexer across those banks: on LUT4 parts a 2:1 mux per bit per further bank, on LUT6 a 4:1 mux per LUT. */
export function distributedRamMuxLuts(words: number, width: number, lutInputs: number): number {
  if (width <= 0 || words <= 0) return 0;
  const banks = distributedRamBanks(words, lutInputs);
  if (lutInputs >= 6) return banks > 1 ? width * ceil(banks / 4) : 0;
  return width * (banks - 1);
}

/** Result of FINN's minimum-waste primitive choice (util/basic.py memutil). */
export interface PrimitiveChoice {
  bram18: number;
  uram: number;
  lutram: number;
}

const PRIMITIVES: { name: 'uram' | 'bram18' | 'lutram'; width: number; depth: number }[] = [
  { name: 'uram', width: 72, depth: 4096 },
  { name: 'uram', width: 36, depth: 8192 },
  { name: 'uram', width: 18, depth: 16384 },
  { name: 'uram', width: 9, depth: 32768 },
  { name: 'bram18', width: 36, depth: 512 },
  { name: 'bram18', width: 18, depth: 1024 },
  { name: 'bram18', width: 9, depth: 2048 },
  { name: 'lutram', width: 1, depth: 64 },
];

/**
 * Picks the primitive that wastes the fewest bits for a width x depth memory, as FINN's
 * Thresholding_rtl does, restricted to the allowed kinds. Ties keep FINN's list order
 * (URAM, then BRAM, then LUTRAM; Python's sort is stable).
 */
export function minWastePrimitive(
  width: number,
  depth: number,
  allowed: { uram: boolean; bram18: boolean; lutram: boolean },
): PrimitiveChoice {
  const out: PrimitiveChoice = { bram18: 0, uram: 0, lutram: 0 };
  if (width <= 0 || depth <= 0) return out;
  let best: { name: keyof PrimitiveChoice; count: number; waste: number } | undefined;
  for (const p of PRIMITIVES) {
    if (!allowed[p.name]) continue;
    const count = ceil(width / p.width) * ceil(depth / p.depth);
    const waste = count * p.width * p.depth - width * depth;
    if (!best || waste < best.waste) best = { name: p.name, count, waste };
  }
  if (best) out[best.name] = best.count;
  return out;
}

/**
 * UltraRAM blocks for a width x depth weight memory, FINN's MVAU/VVAU uram_estimation
 * (Xilinx/finn @ 39f0c9a6b, matrixvectoractivation.py, vectorvectoractivation.py):
 * ceil(width / 72) * ceil(depth / 4096), one URAM288 being 4K x 72 bits (AMD UG573).
 */
export function uramBlocks(width: number, depth: number): number {
  if (width <= 0 || depth <= 0) return 0;
  return ceil(width / 72) * ceil(depth / 4096);
}

/**
 * Block count of a memory placed in block RAM: the block mix Yosys 0.23 chooses when the device
 * names its memory library (yosys-memory.ts), else the FINN rule the engine uses. `rom`: read-only
 * (weights, requantiser parameters); else one write and one read port (a line buffer).
 */
export function blockRamRule(library: MemoryLibrary | undefined, rom: boolean, finnRule: (width: number, depth: number) => number): (width: number, depth: number) => number {
  return library ? (width, depth) => yosysMemory(library, depth, width, rom, 'block').bram18 : finnRule;
}

/**
 * A weight memory of `depth` words x `width` bits in the chosen style: RAMB18s mapped with the
 * engine's aspect-ratio table (MVAU: with parity widths, VVAU: without), LUTRAM, or UltraRAM
 * (then FINN's bram_estimation is 0).
 */
export function weightMemory(
  width: number,
  depth: number,
  style: 'bram' | 'lutram' | 'uram',
  mapBram: (width: number, depth: number) => number,
): { bram18: number; lutramLuts: number; uram: number; note: string } {
  const bram18 = style === 'bram' ? mapBram(width, depth) : 0;
  const lutramLuts = style === 'lutram' ? lutram64(width, depth) : 0;
  const uram = style === 'uram' ? uramBlocks(width, depth) : 0;
  const where = style === 'bram' ? `${bram18} RAMB18` : style === 'uram' ? `${uram} URAM` : `${lutramLuts} LUTRAM`;
  return { bram18, lutramLuts, uram, note: `weights ${depth} x ${width} b in ${where}` };
}
