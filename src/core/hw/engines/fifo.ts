/**
 * Stream FIFOs between engines (FINN's StreamingFIFO).
 *
 * Sources, Xilinx/finn @ 39f0c9a6b:
 * - src/finn/custom_op/fpgadataflow/streamingfifo.py lut_estimation / bram_estimation
 *   (rtl = Q_srl shift-register FIFO: 2*ceil(log2 depth) + ceil(depth/32)*ceil(width/2) LUTs;
 *   vivado FIFO: BRAM by the RAMB18 aspect table, depth rounded up to a power of two,
 *   rtl/streamingfifo_rtl.py get_adjusted_depth)
 * - src/finn/transformation/fpgadataflow/set_fifo_depths.py: optimize_depth (<= 2 -> 2, <= 32 ->
 *   32), max_qsrl_depth = 256 (deeper FIFOs use the Vivado FIFO in BRAM/LUTRAM)
 * - insert_fifo.py: no FIFO is inserted for depth <= 2
 * - cycles: StreamingFIFO has no get_exp_cycles, so FINN counts 0 (hwcustomop.py default).
 * FINN sizes FIFOs by RTL simulation after its resource report, so its totals leave FIFOs out;
 * edgefold adds them (depths from the heuristic in pipeline.ts).
 */
import { distributedRamBanks, ramb18 } from '../memory.ts';
import { yosysMemory, type MemoryLibrary } from '../yosys-memory.ts';
import type { BufferMemStyle, EngineCost, EngineDevice } from '../types.ts';
import { bufferMemStyle, cheaperMemory } from './common.ts';
import { emitFifo } from '../../rtl/fifo.ts';
import type { HwEngine, SpecOf } from './contract.ts';
import { calibrate, type Features } from '../calibration.ts';

export const MAX_QSRL_DEPTH = 256;

/** FINN optimize_depth: shallow FIFOs are not worth making smaller than 32 (Q_srl). */
export function optimizeFifoDepth(depth: number): number {
  if (depth <= 2) return 2;
  if (depth <= 32) return 32;
  return Math.ceil(depth);
}

export function fifoCost(depth: number, width: number, device: EngineDevice, memStyle: BufferMemStyle = 'auto'): EngineCost {
  const base: EngineCost = {
    cycles: 0,
    dsp: 0,
    bram18: 0,
    lut: 0,
    ff: 0,
    weightMemBits: 0,
    fillWords: 0,
    inWords: 0,
    outWords: 0,
    outWidth: width,
    notes: [],
  };
  if (depth <= 2 || width <= 0) return { ...base, notes: ['no FIFO (depth <= 2)'] };
  if (device.memoryLibrary) return generatedFifoCost(depth, width, device, device.memoryLibrary, base);
  if (depth <= MAX_QSRL_DEPTH) {
    const lut = 2 * Math.ceil(Math.log2(depth)) + Math.ceil(depth / 32) * Math.ceil(width / 2);
    const f = fifoFeatures(depth, width, 'lutram');
    return calibrate({ ...base, lut, ff: width + 2 * Math.ceil(Math.log2(depth)), notes: [`Q_srl FIFO ${depth} x ${width} b`] }, device.calibration, 'fifo', f.lut, f.ff);
  }
  const d = 2 ** Math.ceil(Math.log2(depth));
  const address = 2 * Math.ceil(Math.log2(d));
  const bramOption = ramb18(width, d);
  const lutOption = Math.ceil(d / 32) * Math.ceil(width / 2);
  const mem = memStyle === 'auto' ? cheaperMemory(lutOption, bramOption, device) : memStyle;
  const f = fifoFeatures(depth, width, mem);
  return calibrate(
    {
      ...base,
      bram18: mem === 'bram' ? bramOption : 0,
      lut: address + (mem === 'lutram' ? lutOption : 0),
      ff: width + 2 * address,
      notes: [`Vivado FIFO ${d} x ${width} b in ${mem === 'bram' ? `${bramOption} RAMB18` : 'LUTRAM'}`],
    },
    device.calibration,
    'fifo',
    f.lut,
    f.ff,
  );
}

/**
 * The generated FIFO (rtl/fifo.ts: `depth` words, one write and one read port, no ram_style) where
 * Yosys 0.23 puts it on the device's memory library (yosys-memory.ts): block RAM, LUT RAM or
 * registers by memory_libmap's cost; FINN's Q_srl / Vivado-FIFO split at depth 256 does not apply
 * to it. LUT and FF as the calibration counts a FIFO in that memory.
 */
function generatedFifoCost(depth: number, width: number, device: EngineDevice, library: MemoryLibrary, base: EngineCost): EngineCost {
  const m = yosysMemory(library, depth, width, false);
  const inBlocks = m.kind === 'block';
  const address = 2 * Math.ceil(Math.log2(depth));
  const lutOption = Math.ceil(depth / 32) * Math.ceil(width / 2);
  const f = fifoFeatures(depth, width, inBlocks ? 'bram' : 'lutram', device.lutInputs);
  const where = inBlocks ? `${m.count} ${m.cell} (${m.bram18} RAMB18 eq.)` : m.kind === 'distributed' ? `${m.count} ${m.cell} LUT RAM` : 'registers';
  return calibrate(
    { ...base, bram18: m.bram18, lut: address + (inBlocks ? 0 : lutOption), ff: width + address, notes: [`FIFO ${depth} x ${width} b as generated, Yosys ${library} library: ${where}`] },
    device.calibration,
    'fifo',
    f.lut,
    f.ff,
  );
}

/**
 * What the synthesis calibration multiplies for a FIFO (depth > 2) as generated (`rtl/fifo.ts`: a
 * circular buffer with a combinational read, write / read pointers, a count and registered
 * handshake flags). LUT: `one` (handshake), `addr` (pointer and count bits: incrementers, the
 * flags' compares of the next count), and
 * either, for a buffer in LUTs, `lutBits` (stored bits) and `lutMux` (the read multiplexer: one
 * 2:1 mux per word bit for each further distributed-RAM bank, memory.ts `distributedRamBanks`: a 64-word FIFO has none on 7-series, a 128-word one a 2:1 mux per bit, the LUT3s beside 12 RAM64M at 128 x 16), or, for a buffer Yosys puts in block
 * RAM (the caller's `mem`: on a device with a Yosys memory library, `yosysMemory`'s choice), `bram` = 1 (the read-port bypass and address logic Yosys adds around a
 * block RAM with a combinational read) and `largeWidth` = word bits (the bypass multiplexer).
 * A depth that is not a power of two adds `wrap` = `addr` (each pointer's registered last-slot
 * flag: its compare with DEPTH - 2 and the zeroing of the increment, which also feeds a block
 * RAM's read address). Registers: pointers and count (`addr`), `wrap` = the two last-slot flags,
 * and with block RAM the word of output registers.
 */
export function fifoFeatures(depth: number, width: number, mem: 'bram' | 'lutram', lutInputs = 4): { lut: Features; ff: Features } {
  const addr = Math.ceil(Math.log2(depth));
  const large = mem === 'bram';
  const wraps = 2 ** addr === depth;
  return {
    lut: { one: 1, addr, lutBits: large ? 0 : depth * width, lutMux: large ? 0 : width * (distributedRamBanks(depth, lutInputs) - 1), bram: large ? 1 : 0, largeWidth: large ? width : 0, wrap: wraps ? 0 : addr },
    ff: { one: 1, addr, largeWidth: large ? width : 0, wrap: wraps ? 0 : 2 },
  };
}

export const fifoEngine: HwEngine<SpecOf<'fifo'>> = {
  kind: 'fifo',
  finnOp: 'StreamingFIFO',
  expCycles: () => 0,
  estimate: (spec, _fold, ctx) => fifoCost(spec.depth, spec.width, ctx.device, bufferMemStyle(ctx.memStyle)),
  rtl: { emit: (spec, _fold, _ctx, { name }) => emitFifo(name, spec.depth, spec.width) },
};
