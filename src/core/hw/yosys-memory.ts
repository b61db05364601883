/**
 * Where Yosys 0.23 puts a memory and how many blocks it takes, per family: our model of its
 * `memory_libmap` choice (passes/memory/memory_libmap.cc) over the family's memory library
 * (techlibs/gowin/brams.txt + lutrams.txt, techlibs/anlogic/brams.txt + lutrams.txt,
 * techlibs/xilinx/brams_xc4v.txt + lutrams_xc5v.txt with the xc7 defines of synth_xilinx.cc).
 * Re-implemented from reading those sources, not copied; the rules and their measurements are in
 * docs/hardware-model.md "Block RAM as Yosys builds it (session 11)".
 *
 * The choice, as memory_libmap makes it for a memory with one read port (and one write port when
 * it is writable): every primitive shape d x w (the primitive's depth at that port width) costs
 *   cost x ceil(ceil(depth / d) x storedWidth / w)      (slices of d words side by side in w-bit rows)
 *   + 0.5 x (ceil(depth / d) - 1) x width               (read multiplexer across the slices)
 *   + 0.5 x ceil(depth / d), when writable and sliced   (write-enable decoder)
 * where storedWidth is the width padded to the write-enable byte (9 bits on Gowin / Anlogic
 * 9-Kbit / Xilinx; none for a ROM). A primitive with `widthscale` charges
 * (cost - scale) x rows + scale x slices x width / w instead of cost x rows. Leaving the memory in
 * logic costs width x depth per bit for a RAM, 1/16 per bit for a ROM (1/64 on Xilinx 7-series,
 * `-logic-cost-rom 0.015625`). The cheapest wins; `ram_style` restricts the candidates.
 */

export const MEMORY_LIBRARIES = ['gowin', 'anlogic', 'xilinx'] as const;
export type MemoryLibrary = (typeof MEMORY_LIBRARIES)[number];

interface Primitive {
  /** Cell name in the synthesized netlist (what families.ts counts). */
  cell: string;
  kind: 'block' | 'distributed';
  cost: number;
  /** 0: cost per instance; else the part of the cost that scales with the used width. */
  widthScale: number;
  /** Write-enable granularity in bits (0: one enable per word). */
  byte: number;
  /** RAMB18 equivalents per instance, as src/core/synth/families.ts counts the cell. */
  bram18: number;
  /** [depth, width] at each port width the primitive offers for this use. */
  shapes: [number, number][];
}

interface Library {
  /** Candidates for a read-only memory (the LUT RAMs are `prune_rom`: never for ROMs). */
  rom: Primitive[];
  /** Candidates for a memory with one write and one read port at different addresses (a FIFO). */
  ram: Primitive[];
  romLogicCostPerBit: number;
}

/** Depth x width shapes of a block of `abits` address bits at the given port widths (the first width is the deepest). */
const shapes = (abits: number, widths: number[]): [number, number][] => widths.map((w, i) => [2 ** (abits - i), w]);

// Gowin GW1N / GW2A (techlibs/gowin): 18-Kbit BSRAM, cost 128, byte 9. A ROM uses the single-port
// $__GOWIN_SP_ (the simple-dual-port's write port is not optional); a FIFO the simple dual port.
const GOWIN_BSRAM = (cell: string): Primitive => ({ cell, kind: 'block', cost: 128, widthScale: 0, byte: 9, bram18: 1, shapes: shapes(14, [1, 2, 4, 9, 18, 36]) });
const GOWIN_LUTRAM: Primitive = { cell: 'RAM16SDP4', kind: 'distributed', cost: 4, widthScale: 4, byte: 0, bram18: 0, shapes: [[16, 4]] };

// Anlogic EG4 (techlibs/anlogic): 9-Kbit EG_PHY_BRAM, cost 64 (true dual port up to 1K x 9, no
// byte enables; simple dual port up to 512 x 18, byte 9) and 32-Kbit EG_PHY_BRAM32K, cost 192
// (true dual port, 4K x 8 or 2K x 16, byte 8). LUT RAM: 16 x 4 DRAM, cost 4, no width scaling.
const ANLOGIC_9K_TDP: Primitive = { cell: 'EG_PHY_BRAM', kind: 'block', cost: 64, widthScale: 0, byte: 0, bram18: 0.5, shapes: shapes(13, [1, 2, 4, 9]) };
const ANLOGIC_9K_SDP: Primitive = { ...ANLOGIC_9K_TDP, byte: 9, shapes: shapes(13, [1, 2, 4, 9, 18]) };
const ANLOGIC_32K: Primitive = { cell: 'EG_PHY_BRAM32K', kind: 'block', cost: 192, widthScale: 0, byte: 8, bram18: 32 / 18, shapes: shapes(12, [8, 16]) };
const ANLOGIC_DRAM: Primitive = { cell: 'EG_LOGIC_DRAM16X4', kind: 'distributed', cost: 4, widthScale: 0, byte: 0, bram18: 0, shapes: [[16, 4]] };

// Xilinx 7-series (brams_xc4v.txt with HAS_SIZE_36, HAS_MIXWIDTH_SDP): RAMB18E1 ("HALF", cost 129)
// and RAMB36E1 ("FULL", cost 257), byte 9; the simple dual port reaches 36 / 72 bits. LUT RAM
// (lutrams_xc5v.txt) for a FIFO: simple dual port 32 x 6 / 64 x 3 (cost 8, width scale 7), dual
// port 32 x 4 / 64 x 2 / 128 x 1 (cost 8, width scale 8), quad port 32 x 2 / 64 x 1 (cost 7).
const XILINX_RAMB18: Primitive = { cell: 'RAMB18E1', kind: 'block', cost: 129, widthScale: 0, byte: 9, bram18: 1, shapes: shapes(14, [1, 2, 4, 9, 18, 36]) };
const XILINX_RAMB36: Primitive = { cell: 'RAMB36E1', kind: 'block', cost: 257, widthScale: 0, byte: 9, bram18: 2, shapes: shapes(15, [1, 2, 4, 9, 18, 36, 72]) };
const XILINX_LUTRAMS: Primitive[] = [
  { cell: 'RAM32M', kind: 'distributed', cost: 8, widthScale: 7, byte: 0, bram18: 0, shapes: [[32, 6]] },
  { cell: 'RAM64M', kind: 'distributed', cost: 8, widthScale: 7, byte: 0, bram18: 0, shapes: [[64, 3]] },
  { cell: 'RAM32X1D', kind: 'distributed', cost: 8, widthScale: 8, byte: 0, bram18: 0, shapes: [[32, 4], [64, 2], [128, 1]] },
  { cell: 'RAM64M', kind: 'distributed', cost: 7, widthScale: 7, byte: 0, bram18: 0, shapes: [[32, 2], [64, 1]] },
];

const LIBRARIES: Record<MemoryLibrary, Library> = {
  gowin: { rom: [GOWIN_BSRAM('SP')], ram: [GOWIN_BSRAM('SDP'), GOWIN_LUTRAM], romLogicCostPerBit: 1 / 16 },
  anlogic: { rom: [ANLOGIC_9K_SDP, ANLOGIC_9K_TDP, ANLOGIC_32K], ram: [ANLOGIC_9K_SDP, ANLOGIC_9K_TDP, ANLOGIC_32K, ANLOGIC_DRAM], romLogicCostPerBit: 1 / 16 },
  xilinx: { rom: [XILINX_RAMB18, XILINX_RAMB36], ram: [XILINX_RAMB18, XILINX_RAMB36, ...XILINX_LUTRAMS], romLogicCostPerBit: 1 / 64 },
};

/** What Yosys builds for one memory. */
export interface MemoryMapping {
  kind: 'block' | 'distributed' | 'logic';
  /** Primitive cell ('' for logic). */
  cell: string;
  /** Instances of `cell` (0 for logic). */
  count: number;
  /** RAMB18 equivalents (block RAM only). */
  bram18: number;
  /** memory_libmap's cost of the choice. */
  cost: number;
  /** Depth slices of the chosen shape (1 for logic): a read of more than one is multiplexed, `width` bits per further slice. */
  slices: number;
}

/** The cheapest way to put `depth` words of `width` bits in one primitive type, as memory_libmap prices it. */
function cheapestShape(p: Primitive, depth: number, width: number, writable: boolean): MemoryMapping {
  let best: MemoryMapping | undefined;
  for (const [d, w] of p.shapes) {
    const slices = Math.ceil(depth / d);
    const byte = !writable ? 1 : p.byte === 0 || p.byte > w ? w : p.byte;
    const stored = Math.ceil(width / byte) * byte;
    const rows = Math.ceil((slices * stored) / w);
    let cost = (p.cost - p.widthScale) * rows + (p.widthScale * slices * width) / w;
    cost += 0.5 * (slices - 1) * width;
    if (writable && slices > 1) cost += 0.5 * slices;
    // RAMB18 equivalents to 0.01, as families.ts rounds the synthesized count (Anlogic 32 Kbit = 1.78).
    if (!best || cost < best.cost) best = { kind: p.kind, cell: p.cell, count: rows, bram18: p.kind === 'block' ? Math.round(rows * p.bram18 * 100) / 100 : 0, cost, slices };
  }
  return best!;
}

/**
 * Where Yosys 0.23 puts a `depth` x `width` memory and what it costs in blocks. `rom`: read-only
 * (weights, parameters) with one synchronous read; else one write and one read port (a FIFO).
 * `placement`: the memory's `ram_style` ('block', 'distributed', 'logic') or 'auto' (none).
 */
export function yosysMemory(library: MemoryLibrary, depth: number, width: number, rom: boolean, placement: 'block' | 'distributed' | 'logic' | 'auto' = 'auto'): MemoryMapping {
  const lib = LIBRARIES[library];
  const logic: MemoryMapping = { kind: 'logic', cell: '', count: 0, bram18: 0, cost: depth * width * (rom ? lib.romLogicCostPerBit : 1), slices: 1 };
  if (depth <= 0 || width <= 0 || placement === 'logic') return { ...logic, cost: 0 };
  let best = placement === 'auto' ? logic : undefined;
  for (const p of rom ? lib.rom : lib.ram) {
    if (placement !== 'auto' && p.kind !== placement) continue;
    const m = cheapestShape(p, depth, width, !rom);
    if (!best || m.cost < best.cost) best = m;
  }
  return best ?? logic;
}
