import { describe, expect, it } from 'vitest';
import { yosysMemory } from './yosys-memory.ts';
import { fifoCost } from './engines/fifo.ts';
import { mvauCost, mvauFeatures } from './engines/mvau.ts';
import { vvauCost } from './engines/vvau.ts';
import { requantCost } from './engines/thresholding.ts';
import { getDevice, toEngineDevice, validateDevice } from './devices.ts';

// Each expected count is a synthesized one (Yosys 0.23: tools/synth/grid-results.json rows, or the
// session-10 whole designs in tools/synth/whole-designs), worked by hand with memory_libmap's cost.
describe('Yosys 0.23 memory mapping (docs/hardware-model.md "Block RAM as Yosys builds it")', () => {
  it('Gowin weight ROMs: depth slices side by side in 512 x 36 rows', () => {
    // 4608 x 8: 9 slices * 8 b = 72 b -> 2 SP (synthesized 2 SPX9; FINN's RAMB18 rule 3)
    expect(yosysMemory('gowin', 4608, 8, true, 'block')).toMatchObject({ cell: 'SP', count: 2, bram18: 2 });
    // 49152 x 8: 2K x 9 shape: 24 slices * 8 = 192 b / 9 -> 22 (synthesized 22)
    expect(yosysMemory('gowin', 49152, 8, true, 'block').bram18).toBe(22);
    // 3456 x 64 (paper-sized design): 7 slices * 64 = 448 b / 36 -> 13
    expect(yosysMemory('gowin', 3456, 64, true, 'block').bram18).toBe(13);
  });
  it('a ROM split in depth is read through a multiplexer over its slices (the MVAU feature romSliceMux)', () => {
    expect(yosysMemory('gowin', 4608, 8, true, 'block').slices).toBe(9);
    // Xilinx 4096 x 16: two RAMB36 as 4K x 9, one slice; 4608 x 16 (the default model's blocks.2 pw at SIMD 2):
    // 9 slices of 512 words side by side in 512 x 72 rows (2 RAMB36)
    expect(yosysMemory('xilinx', 4096, 16, true, 'block')).toMatchObject({ cell: 'RAMB36E1', count: 2, slices: 1 });
    expect(yosysMemory('xilinx', 4608, 16, true, 'block')).toMatchObject({ cell: 'RAMB36E1', count: 2, slices: 9 });
    expect(yosysMemory('xilinx', 4608, 16, true, 'logic').slices).toBe(1);
    const z7 = { ...toEngineDevice(getDevice('XC7Z020')), calibration: undefined };
    // MW 96, MH 96, PE 1, SIMD 2, W8: 4608 words of 16 bits -> 16 x (9 - 1) steps, slice select clog2(9) = 4 registers
    const f = mvauFeatures({ mw: 96, mh: 96, numVectors: 1 }, { weightBits: 8, actBits: 8 }, { pe: 1, simd: 2 }, z7);
    expect(f.lut.romSliceMux).toBe(128);
    expect(f.ff.romSliceSelect).toBe(4);
    // 4096 words (MH 128, MW 64): one slice, nothing to select
    expect(mvauFeatures({ mw: 64, mh: 128, numVectors: 1 }, { weightBits: 8, actBits: 8 }, { pe: 1, simd: 2 }, z7)).toMatchObject({ lut: { romSliceMux: 0 }, ff: { romSliceSelect: 0 } });
  });
  it('Anlogic weight ROMs: 9-Kbit blocks (0.5 RAMB18) unless a 32-Kbit block is cheaper', () => {
    // 1728 x 8 (VVAU): 9 Kb 2K x 4 -> 2 blocks, cost 128 < one 32 Kb (192): 1.0 (synthesized: 2 EG_PHY_BRAM)
    expect(yosysMemory('anlogic', 1728, 8, true, 'block')).toMatchObject({ cell: 'EG_PHY_BRAM', count: 2, bram18: 1 });
    // 144 x 16 (grid vvau-b4-c64-k3-pe4): 512 x 18 -> one 9 Kb block = 0.5 (FINN's rule: 1)
    expect(yosysMemory('anlogic', 144, 16, true, 'block').bram18).toBe(0.5);
    // 36864 x 8: 32 Kb 4K x 8: 9 blocks, cost 1728 + mux 32 < 9 Kb 8K x 1: 5 slices * 8 = 40 blocks (2560)
    expect(yosysMemory('anlogic', 36864, 8, true, 'block')).toMatchObject({ cell: 'EG_PHY_BRAM32K', count: 9, bram18: 16 });
  });
  it('FIFOs (one write, one read port): LUT RAM, block RAM or registers by cost', () => {
    // Gowin 64 x 16: LUT RAM 4 slices * 16 + mux 0.5*3*16 + demux 0.5*4 = 90 < BSRAM 128 (synthesized 16 RAM16SDP4)
    expect(yosysMemory('gowin', 64, 16, false)).toMatchObject({ kind: 'distributed', bram18: 0, cost: 90 });
    // Gowin 64 x 32: LUT RAM 128 + 48 + 2 = 178 > 128 -> 1 SDP (synthesized 1 SDPX9)
    expect(yosysMemory('gowin', 64, 32, false)).toMatchObject({ kind: 'block', count: 1, bram18: 1 });
    // Anlogic 32 x 48: 16 x 4 DRAM 24 * 4 + 24 + 1 = 121 < 9 Kb 512 x 18 (48 b padded to 54: 3 blocks, 192)
    expect(yosysMemory('anlogic', 32, 48, false).kind).toBe('distributed');
    // Anlogic 64 x 48: DRAM 192 + 72 + 2 = 266 > 192 -> 3 x 9 Kb = 1.5 (synthesized 3 EG_PHY_BRAM)
    expect(yosysMemory('anlogic', 64, 48, false)).toMatchObject({ count: 3, bram18: 1.5 });
    // Xilinx 128 x 20: RAM64M 64 x 3: 2 slices, 14 rows: 14 + 7*2*20/3 + 10 + 1 = 118.3 < RAMB18 129 (synthesized 14 RAM64M)
    expect(yosysMemory('xilinx', 128, 20, false).kind).toBe('distributed');
    // Xilinx 512 x 48: RAMB36 512 x 72 (257) < two RAMB18 (258) -> 2 RAMB18 equivalents (synthesized 1 RAMB36E1)
    expect(yosysMemory('xilinx', 512, 48, false)).toMatchObject({ cell: 'RAMB36E1', count: 1, bram18: 2 });
    // A RAM in registers costs a bit each: 2 x 1 = 2 beats one Anlogic DRAM (4; Gowin's LUT RAM scales with the width: 1)
    expect(yosysMemory('anlogic', 2, 1, false).kind).toBe('logic');
    expect(yosysMemory('gowin', 2, 1, false).kind).toBe('distributed');
    expect(yosysMemory('gowin', 0, 8, false).bram18).toBe(0);
  });
  it('ram_style restricts the choice: logic forces registers, block forces block RAM', () => {
    expect(yosysMemory('gowin', 4608, 8, true, 'logic').kind).toBe('logic');
    // 16 x 8 ROM: logic 8 < a block (128), unless ram_style says block
    expect(yosysMemory('gowin', 16, 8, true).kind).toBe('logic');
    expect(yosysMemory('gowin', 16, 8, true, 'block').bram18).toBe(1);
  });
  it('engines count with the device library; devices without one keep FINN\'s rules', () => {
    const eg4 = toEngineDevice(getDevice('EG4S20'));
    const gw = toEngineDevice(getDevice('GW2A-18'));
    const finn = { ...toEngineDevice(getDevice('XC7Z020')), memoryLibrary: undefined };
    const bits = { weightBits: 8, actBits: 8 };
    // MVAU 96 x 48 at PE 1, SIMD 1: 4608 x 8 -> Gowin 2; Anlogic 9 Kb 512 x 18: 9 slices * 8 b = 72 b = 4
    // blocks (256 + mux 32) beat 32 Kb 4K x 8 (2 blocks, 384): 2.0; FINN's RAMB18 rule 3
    expect(mvauCost({ mw: 48, mh: 96, numVectors: 1 }, bits, { pe: 1, simd: 1 }, gw, { memStyle: 'bram' }).bram18).toBe(2);
    expect(mvauCost({ mw: 48, mh: 96, numVectors: 1 }, bits, { pe: 1, simd: 1 }, eg4, { memStyle: 'bram' }).bram18).toBe(2);
    expect(mvauCost({ mw: 48, mh: 96, numVectors: 1 }, bits, { pe: 1, simd: 1 }, finn, { memStyle: 'bram' }).bram18).toBe(3);
    // VVAU 192 ch 3x3: 1728 x 8 -> Anlogic 1.0; FINN without parity ceil(1728/2048) * ceil(8/8) = 1
    expect(vvauCost({ channels: 192, kernel: [3, 3], outDim: [7, 7] }, bits, { pe: 1, simd: 1 }, eg4, { memStyle: 'bram' }).bram18).toBe(1);
    // requantiser 384 channels, 24-bit accumulators: 384 x 40 -> Anlogic 9 Kb 512 x 18: 3 blocks = 1.5; FINN 2
    expect(requantCost({ channels: 384, numVectors: 1, thresholdBits: 24 }, 8, 1, eg4, 'bram').bram18).toBe(1.5);
    expect(requantCost({ channels: 384, numVectors: 1, thresholdBits: 24 }, 8, 1, finn, 'bram').bram18).toBe(2);
    // FIFO 64 x 48 on Gowin: 2 SDP (synthesized 2 SDPX9); FINN's Q_srl (<= 256 deep) has none
    expect(fifoCost(64, 48, gw).bram18).toBe(2);
    expect(fifoCost(64, 48, finn).bram18).toBe(0);
    expect(fifoCost(2, 48, gw).bram18).toBe(0);
  });
  it('device JSON: memoryLibrary is one of the known libraries or absent', () => {
    const base = { id: 'X', vendor: 'Other', lut: 1000, lutInputs: 4, ff: 1000, dsp: 1, bram18: 1, processNm: 28 };
    expect(validateDevice({ ...base, memoryLibrary: 'gowin' }).memoryLibrary).toBe('gowin');
    expect(validateDevice(base).memoryLibrary).toBeUndefined();
    expect(() => validateDevice({ ...base, memoryLibrary: 'lattice' })).toThrow(/memoryLibrary/);
    expect(getDevice('GW2A-18').memoryLibrary).toBe('gowin');
    expect(getDevice('EG4S20').memoryLibrary).toBe('anlogic');
    expect(getDevice('XC7Z020').memoryLibrary).toBe('xilinx');
    expect(getDevice('XCZU7EV').memoryLibrary).toBeUndefined();
  });
});
