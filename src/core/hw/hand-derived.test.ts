/**
 * Hardware totals whose expected values are worked out by hand in the test (issue 14): power
 * coefficients and unit conversions, latency in ms, FPS and GOPS, FIFO sizing margins, RAMB18
 * aspect-ratio corners and DSP packing when PE is not a multiple of the packing factor. Nothing
 * here recomputes an expectation from the estimate's own outputs.
 */
import { describe, expect, it } from 'vitest';
import { getDevice, validateDevice } from './devices.ts';
import { fifoCost } from './engines/fifo.ts';
import { mvauCost } from './engines/mvau.ts';
import { residualLayers } from './fixtures.ts';
import { hwLayersFromLayerView } from './layers.ts';
import { ramb18, ramb18NoParity, swgRamb18 } from './memory.ts';
import { estimate } from './pipeline.ts';
import { POWER_FAMILIES, estimatePower, powerFamily } from './power.ts';
import type { EngineDevice } from './types.ts';

const Z7: EngineDevice = { lutInputs: 6, dspType: 'DSP48E1', dspMultiplier: [25, 18], lut: 53200, bram18: 280, dsp: 220, uram: 0 };
const ZU: EngineDevice = { ...Z7, dspType: 'DSP48E2', dspMultiplier: [27, 18], lut: 70560, bram18: 432, dsp: 360 };
const GENERIC: EngineDevice = { lutInputs: 4, dspType: 'generic', dspMultiplier: [18, 18], lut: 12250, bram18: 60, dsp: 29, uram: 0 };
const DSP58: EngineDevice = { ...Z7, dspType: 'DSP58', dspMultiplier: [27, 24] };
const used = { lut: 10000, ff: 20000, dsp: 50, bram18: 40 };

describe('power (coefficients of docs/hardware-model.md, worked by hand)', () => {
  it('XC7Z020 (28 nm, LUT6) at 100 MHz and 12.5 % toggle', () => {
    const p = estimatePower(used, getDevice('XC7Z020'), 100);
    // static: 1.9 mW per 1000 LUT6 x 53,200 LUT6 = 101.08 mW
    expect(p.staticW).toBeCloseTo(0.10108, 10);
    // dynamic at 100 MHz (scale = 100 MHz x 1 / 1e6 uW->W): LUT 0.08 uW x 10,000 x 100 = 80 mW,
    // FF 0.015 x 20,000 x 100 = 30 mW, DSP 8 x 50 x 100 = 40 mW, BRAM 12 x 40 x 100 = 48 mW
    expect(p.breakdown.lut).toBeCloseTo(0.08, 10);
    expect(p.breakdown.ff).toBeCloseTo(0.03, 10);
    expect(p.breakdown.dsp).toBeCloseTo(0.04, 10);
    expect(p.breakdown.bram).toBeCloseTo(0.048, 10);
    expect(p.dynamicW).toBeCloseTo(0.198, 10);
    expect(p.totalW).toBeCloseTo(0.29908, 10);
    // +-50 %: 0.29908 x 0.5 and x 1.5
    expect(p.rangeW[0]).toBeCloseTo(0.14954, 10);
    expect(p.rangeW[1]).toBeCloseTo(0.44862, 10);
    expect(p.activity).toBe(0.125);
    expect(p.family).toBe('Xilinx 7-series, 28 nm');
  });

  it('toggle rate scales LUT, FF and DSP power but not BRAM; clock scales all of dynamic power', () => {
    const d = getDevice('XC7Z020');
    const p25 = estimatePower(used, d, 100, 0.25);
    // 25 % toggle doubles LUT/FF/DSP: 160 + 60 + 80 mW; BRAM stays 48 mW
    expect(p25.breakdown.lut).toBeCloseTo(0.16, 10);
    expect(p25.breakdown.ff).toBeCloseTo(0.06, 10);
    expect(p25.breakdown.dsp).toBeCloseTo(0.08, 10);
    expect(p25.breakdown.bram).toBeCloseTo(0.048, 10);
    expect(p25.dynamicW).toBeCloseTo(0.348, 10);
    const p200 = estimatePower(used, d, 200);
    // 200 MHz: every dynamic term doubles, 396 mW; static unchanged
    expect(p200.breakdown.bram).toBeCloseTo(0.096, 10);
    expect(p200.dynamicW).toBeCloseTo(0.396, 10);
    expect(p200.staticW).toBeCloseTo(0.10108, 10);
  });

  it('16 nm UltraScale+: coefficients x0.6, static from fabric size', () => {
    const p = estimatePower(used, getDevice('XCZU7EV'), 100);
    // static: 3.5 mW x 230.4 kLUT6 = 806.4 mW
    expect(p.staticW).toBeCloseTo(0.8064, 10);
    // 0.6 x (80, 30, 40, 48) mW = 48, 18, 24, 28.8 mW
    expect(p.breakdown.lut).toBeCloseTo(0.048, 10);
    expect(p.breakdown.ff).toBeCloseTo(0.018, 10);
    expect(p.breakdown.dsp).toBeCloseTo(0.024, 10);
    expect(p.breakdown.bram).toBeCloseTo(0.0288, 10);
    expect(p.totalW).toBeCloseTo(0.8064 + 0.1188, 10);
  });

  it('a LUT4 device: LUTs converted back to LUT6 (1.6 per LUT6) for dynamic and static power; x2 coefficients, +-60 %', () => {
    const eg4 = getDevice('EG4S20');
    // 16,000 LUT4 = 10,000 LUT6
    const p = estimatePower({ ...used, lut: 16000 }, eg4, 100);
    // static: 4 mW per kLUT6 x (19,600 / 1.6 = 12,250 LUT6) = 49 mW
    expect(p.staticW).toBeCloseTo(0.049, 10);
    // x2: LUT 0.16 uW x 10,000 x 100 = 160 mW; FF 0.03 x 20,000 x 100 = 60 mW; DSP 16 x 50 x 100 = 80 mW; BRAM 24 x 40 x 100 = 96 mW
    expect(p.breakdown.lut).toBeCloseTo(0.16, 10);
    expect(p.breakdown.ff).toBeCloseTo(0.06, 10);
    expect(p.breakdown.dsp).toBeCloseTo(0.08, 10);
    expect(p.breakdown.bram).toBeCloseTo(0.096, 10);
    expect(p.totalW).toBeCloseTo(0.049 + 0.396, 10);
    // 0.445 W x (1 -+ 0.6)
    expect(p.rangeW[0]).toBeCloseTo(0.178, 10);
    expect(p.rangeW[1]).toBeCloseTo(0.712, 10);
  });

  it('a catalogued static power replaces the fabric-size estimate, and says so', () => {
    const dev = validateDevice({ id: 'STATIC', vendor: 'AMD Xilinx', lut: 20000, lutInputs: 6, ff: 40000, dsp: 80, bram18: 100, staticPowerW: 0.3, processNm: 28 });
    const p = estimatePower(used, dev, 100);
    expect(p.staticW).toBe(0.3);
    expect(p.totalW).toBeCloseTo(0.3 + 0.198, 10);
    expect(p.source).toMatch(/^static: device catalog; dynamic: /);
    expect(estimatePower(used, getDevice('XC7Z020'), 100).source).not.toMatch(/device catalog/);
  });

  it('a device with unknown LUT count has static power from the LUTs used', () => {
    const dev = validateDevice({ id: 'NOLUT', vendor: 'AMD Xilinx', lut: null, lutInputs: 6, ff: null, dsp: null, bram18: null, processNm: 28 });
    // 1.9 mW x 10 kLUT6 used = 19 mW
    expect(estimatePower(used, dev, 100).staticW).toBeCloseTo(0.019, 10);
  });

  it('picks the coefficient family from vendor, node and family name', () => {
    expect(powerFamily(getDevice('XC7A35T'))).toBe(POWER_FAMILIES['xilinx-28nm']);
    expect(powerFamily(getDevice('XCZU3EG'))).toBe(POWER_FAMILIES['xilinx-16nm']);
    expect(powerFamily(getDevice('EG4S20'))).toBe(POWER_FAMILIES['generic-40-55nm']); // 55 nm
    expect(powerFamily(getDevice('GW2A-18'))).toBe(POWER_FAMILIES['generic-40-55nm']); // node unknown, GW2A is 55 nm
    expect(powerFamily(getDevice('PGL22G'))).toBe(POWER_FAMILIES['generic-40-55nm']); // Logos, 40 nm
    expect(powerFamily(getDevice('GW5A-60'))).toBe(POWER_FAMILIES['generic-28nm']);
    expect(powerFamily(getDevice('PH1A60'))).toBe(POWER_FAMILIES['generic-28nm']);
    const at40 = validateDevice({ id: 'N40', vendor: 'Other', lut: 1000, lutInputs: 4, ff: 1000, dsp: 0, bram18: 0, processNm: 40 });
    expect(powerFamily(at40)).toBe(POWER_FAMILIES['generic-40-55nm']);
    const at28 = validateDevice({ id: 'N28', vendor: 'Other', lut: 1000, lutInputs: 4, ff: 1000, dsp: 0, bram18: 0, processNm: 28 });
    expect(powerFamily(at28)).toBe(POWER_FAMILIES['generic-28nm']);
  });
});

describe('pipeline totals of the residual block (fixtures.ts residualLayers), worked by hand', () => {
  // Engine cycles are FINN's formulas (engines.test.ts checks each) except the sliding windows,
  // counted as generated (generatedWindowCycles: k3 s1 pad 1 on 8 x 8, no wait at the row ends
  // since the window's first pixels are left of the last window's): fully folded (PE = SIMD = 1):
  //   stem:    FMPadding 300, sliding window 8*8*9*3 = 1728 (FINN's 1797), MVAU (16)*(27)*64 = 27648, thresholds 1024
  //   expand:  MVAU 64*16*64 = 65536, thresholds 4096
  //   dw:      FMPadding 6400, sliding window 8*8*9*64 = 36864 (FINN's 38336), VVAU 64*9*64 = 36864, thresholds 4096
  //   project: MVAU 16*64*64 = 65536, thresholds 1024
  //   add:     AddStreams 1024, thresholds 1024; gap: 16*64 + 16 = 1040; fc: 10*16 = 160
  // Built inside each test: Stryker switches mutants per test, not while the file is collected.
  // FINN's memory rules are what is worked by hand here: XC7Z020 without its Yosys memory library.
  const finnZ7 = () => ({ ...getDevice('XC7Z020'), memoryLibrary: undefined });
  const setup = () => {
    const hw = hwLayersFromLayerView(residualLayers());
    return { hw, e: estimate(hw, {}, finnZ7(), 100) };
  };
  // FIFO costs by FINN's formulas: the XC7Z020 under a family no calibration knows (the Xilinx FIFO fit applies since session 11).
  const Z7_PRIOR = { ...getDevice('XC7Z020'), family: 'Zynq-7000 (uncalibrated)', memoryLibrary: undefined };
  const setupPrior = () => {
    const hw = hwLayersFromLayerView(residualLayers());
    return { hw, e: estimate(hw, {}, Z7_PRIOR, 100) };
  };

  it('FPS, ops and GOPS', () => {
    const { e } = setup();
    expect(e.maxCycles).toBe(65536);
    expect(e.bottleneck).toEqual({ layer: 'expand', engine: 'mvau' });
    // 100 MHz / 65,536 cycles
    expect(e.fps).toBeCloseTo(1525.87890625, 8);
    // MACs: stem 16*27*64 = 27,648; expand 65,536; dw 36,864; project 65,536; fc 160 -> 195,744; ops = 2 x MACs
    expect(e.opsPerFrame).toBe(391488);
    // 391,488 x 1525.87890625 / 1e9
    expect(e.gops).toBeCloseTo(0.59736328125, 10);
    expect(e.gopsPerWatt).toBeCloseTo(0.59736328125 / e.power.totalW, 10);
  });

  it('latency: sum of fill delays at the first-frame stream rate, plus one bottleneck interval, in cycles and ms', () => {
    const { hw, e } = setup();
    // fill = words needed before the first output x (slowest interval so far / input words):
    //   stem:    1*300/192 + 69*1728/300 + 27*27648/1728 + 1*27648/1024 = 1.5625 + 397.44 + 432 + 27 = 858.0025
    //   expand:  16*65536/1024 + 1*65536/4096 = 1024 + 16
    //   dw:      1*65536/4096 + 1472*65536/6400 + 9*65536/36864 + 1*65536/4096 = 16 + 15073.28 + 16 + 16
    //   project: 64*65536/4096 + 1*65536/1024 = 1024 + 64
    //   add:     64 + 64;  gap: 1024*65536/1024 = 65536;  fc: 16*65536/16 = 65536
    //   sum 149,307.2825 + interval 65,536 = 214,843.28 -> 214,843 cycles
    expect(e.latency.cycles).toBe(214843);
    // 214,843 cycles x 10 ns = 2.14843 ms
    expect(e.latency.ms).toBeCloseTo(2.14843, 10);
    const fast = estimate(hw, {}, finnZ7(), 250);
    // 214,843 x 4 ns
    expect(fast.latency.ms).toBeCloseTo(0.859372, 10);
    expect(e.layers.find((l) => l.name === 'dw')!.engines[1].fillCycles).toBe(15073);
    // FINN's pessimistic path: every engine's cycles summed
    // 300+1728+27648+1024 + 65536+4096 + 6400+36864+36864+4096 + 65536+1024 + 1024+1024 + 1040 + 160
    expect(e.finnCriticalPathCycles).toBe(254364);
  });

  it('bypass FIFO: skip words that pass before the branch first outputs, plus a margin of 32', () => {
    const { e } = setupPrior();
    const add = e.layers.find((l) => l.name === 'add')!;
    const bypass = add.fifos.find((f) => f.bypass)!;
    // branch stem -> expand (1x1, no window) -> dw (3x3, pads 1, 8 wide, 64 channels) -> project:
    // the dw window waits for (3 - 1 - 1) rows x 8 + (3 - 1) pixels = 10 pixels x 64 = 640 elements
    // before its first output; the Add's PE is 1: 640 words + 32 = 672, each 1 x 8 b
    expect(bypass).toMatchObject({ from: 'stem', to: 'add (bypass)', depth: 672, width: 8 });
    // Q_srl at 672 > 256 deep: Vivado FIFO 1024 x 8 b; LUTRAM ceil(1024/32)*ceil(8/2) = 128 LUTs vs
    // 1 RAMB18 (1K x 18): 128/53200 < 1/280 -> LUTRAM; address 2*10 = 20 LUTs -> 148 LUTs, FF 8 + 40 = 48
    expect(bypass.lut).toBe(148);
    expect(bypass.bram18).toBe(0);
    expect(bypass.ff).toBe(48);
    // As generated and mapped by Yosys 0.23 (XC7Z020's memory library): 672 x 8 with one write and one
    // read port; RAMB18 1K x 18 (8 b padded to the 9-bit byte) costs 129; the cheapest LUT RAM, 64 x 3
    // RAM64M: 11 slices, ceil(11*8/3) = 30 rows: 30*1 + 7*11*8/3 + 0.5*10*8 + 0.5*11 = 280.8 -> one RAMB18
    const yosys = estimate(hwLayersFromLayerView(residualLayers()), {}, getDevice('XC7Z020'), 100).layers.find((l) => l.name === 'add')!.fifos.find((f) => f.bypass)!;
    expect(yosys.bram18).toBe(1);
  });

  it('stream FIFOs are optimize_depth(fifoDepth) deep and counted in the totals', () => {
    const { hw, e } = setupPrior();
    const stem = e.layers[0];
    // 32-deep Q_srl between engines: 2*5 + 1*ceil(8/2) = 14 LUTs (8-bit), 2*5 + ceil(21/2) = 21 (21-bit MVAU output)
    expect(stem.fifos.map((f) => [f.depth, f.width, f.lut])).toEqual([
      [32, 8, 14],
      [32, 8, 14],
      [32, 21, 21],
    ]);
    const deep = estimate(hw, {}, Z7_PRIOR, 100, { fifoDepth: 100 });
    // 100 deep: 2*ceil(log2 100) + ceil(100/32)*ceil(8/2) = 14 + 16 = 30 LUTs, FF 8 + 14 = 22
    expect(deep.layers[0].fifos[0]).toMatchObject({ depth: 100, lut: 30, ff: 22 });
    expect(estimate(hw, {}, Z7_PRIOR, 100, { fifoDepth: 2 }).totals.fifoLut).toBe(0 + deep.layers.reduce((s, l) => s + l.fifos.filter((f) => f.bypass).reduce((t, f) => t + f.lut, 0), 0));
  });

  it('LUT totals are in the device LUT unit: x1.6 on a LUT4 device with the same budgets', () => {
    const { hw } = setup();
    // The same budget in LUT6 terms (160,000 LUT4 = 100,000 LUT6), so every 'auto' LUTRAM / BRAM
    // choice (a share of the budget) is the same on both devices.
    const lut6 = validateDevice({ id: 'SIX', vendor: 'Other', lut: 100000, lutInputs: 6, ff: 200000, dsp: 200, bram18: 200, processNm: 28 });
    const lut4 = validateDevice({ id: 'FOUR', vendor: 'Other', lut: 160000, lutInputs: 4, ff: 200000, dsp: 200, bram18: 200, processNm: 28 });
    const [a, b] = [estimate(hw, {}, lut6, 100), estimate(hw, {}, lut4, 100)];
    expect(b.totals.lut).toBe(Math.round(a.totals.lut * 1.6));
    expect(b.layers[1].lut).toBe(Math.round(a.layers[1].lut * 1.6));
    expect(b.resources.lut.utilization).toBeCloseTo(b.totals.lut / 160000, 12);
  });

  it('BRAM: RAMB18 per memory by hand, and in device blocks (18 Kb each over 36 Kb blocks, rounded up)', () => {
    const { hw, e } = setup();
    // weights deeper than 128 words go to BRAM: stem 432 x 8 b, expand 1024 x 8, project 1024 x 8, fc 160 x 8
    // (2K x 9: one RAMB18 each); dw: VVAU 576 x 8 (no parity, 2K x 8: 1) and its generated line buffer 3 rows x 8 x 64 = 1536 x 8 (2K x 9: 1)
    expect(e.layers.map((l) => l.bram18)).toEqual([1, 1, 2, 1, 0, 0, 1]);
    expect(e.totals.bram18).toBe(6);
    expect(e.totals.bramDevice).toBe('3 x 36 Kb'); // 6 x 18 Kb = 108 Kb
    const odd = estimate(hw, { fc: { memStyle: 'lutram' } }, finnZ7(), 100);
    expect(odd.totals.bram18).toBe(5);
    expect(odd.totals.bramDevice).toBe('3 x 36 Kb'); // 90 Kb -> 2.5 blocks -> 3
  });
});

describe('RAMB18 aspect-ratio corners (matrixvectoractivation.py / vectorvectoractivation.py bram_estimation)', () => {
  it('with parity widths 1, 2, 4, 9, 18, 36', () => {
    const cases: [number, number, number][] = [
      [1, 16384, 1], // 16K x 1
      [1, 16385, 2],
      [2, 8193, 2], // 8K x 2
      [3, 4096, 1], // 4K x 4
      [4, 4097, 2],
      [5, 2048, 1], // 2K x 9
      [9, 2049, 2],
      [10, 1024, 1], // 1K x 18
      [18, 1025, 2],
      [19, 512, 1], // 512 x 36
      [36, 512, 1],
      [37, 512, 2],
      [19, 513, 2], // deeper than 512: FINN uses 1K x 18 even for wide words -> ceil(513/1024)*ceil(19/18)
      [72, 600, 4], // ceil(600/1024) * ceil(72/18)
      [0, 100, 0],
      [8, 0, 0],
    ];
    expect(cases.map(([w, d]) => ramb18(w, d))).toEqual(cases.map((c) => c[2]));
  });

  it('without parity (VVAU): 8/16/32-bit ports', () => {
    const cases: [number, number, number][] = [
      [1, 16385, 2],
      [2, 8192, 1],
      [4, 4097, 2],
      [8, 2048, 1],
      [9, 2048, 2], // 9 bits do not fit an 8-bit port: ceil(9/8) = 2
      [16, 1024, 1],
      [17, 1024, 2],
      [32, 512, 1],
      [33, 512, 2],
      [40, 513, 3], // ceil(513/1024) * ceil(40/16)
      [0, 1, 0],
      [1, 0, 0],
    ];
    expect(cases.map(([w, d]) => ramb18NoParity(w, d))).toEqual(cases.map((c) => c[2]));
  });

  it('sliding-window buffers: port width from the depth, cascades beyond 16K with the remainder narrower', () => {
    expect(swgRamb18(72, 512)).toBe(2); // 36-bit port
    expect(swgRamb18(36, 513)).toBe(2); // 18-bit port
    expect(swgRamb18(9, 2048)).toBe(1); // 9-bit port
    expect(swgRamb18(9, 2049)).toBe(3); // 4-bit port
    expect(swgRamb18(8, 8192)).toBe(4); // 2-bit port
    expect(swgRamb18(3, 8193)).toBe(3); // 1-bit port
    // 20,000 deep x 8 b: 2 cascades of 8 one-bit blocks; the 3,616-deep remainder needs only
    // ceil(8/4) = 2 blocks, saving 6: 2*8 - 6 = 10, three buffers -> 30
    expect(swgRamb18(8, 20000, 3)).toBe(30);
  });
});

describe('deep FIFO corners (streamingfifo.py)', () => {
  it('rounds depth up to a power of two and maps it by the aspect table', () => {
    // 257 -> 512 x 36 b: 1 RAMB18; address 2*9 = 18 LUTs; FF 36 + 2*18 = 72
    expect(fifoCost(257, 36, Z7, 'bram')).toMatchObject({ bram18: 1, lut: 18, ff: 72 });
    expect(fifoCost(257, 37, Z7, 'bram').bram18).toBe(2);
    // 600 -> 1024 deep: 1K x 18, ceil(36/18) = 2
    expect(fifoCost(600, 36, Z7, 'bram').bram18).toBe(2);
    // LUTRAM: ceil(512/32)*ceil(8/2) = 64 + 18 address LUTs
    expect(fifoCost(300, 8, Z7, 'lutram')).toMatchObject({ bram18: 0, lut: 82 });
  });
  it("'auto' picks the smaller share of the device", () => {
    // 512 x 8: LUTRAM 64/53200 = 0.12 % vs 1/280 RAMB18 = 0.36 % -> LUTRAM
    expect(fifoCost(300, 8, Z7).bram18).toBe(0);
    // 512 x 64: LUTRAM 16*32 = 512/53200 = 0.96 % vs ceil(64/36) = 2/280 = 0.71 % -> BRAM
    expect(fifoCost(300, 64, Z7)).toMatchObject({ bram18: 2, lut: 18 });
    // The Q_srl limit is 256 deep: exactly 256 stays a shift register
    expect(fifoCost(256, 64, Z7)).toMatchObject({ bram18: 0, lut: 2 * 8 + 8 * 32 });
  });
});

describe('DSP packing when PE is not a multiple of the packing factor (finn-rtllib/mvu)', () => {
  const shape = { mw: 16, mh: 24, numVectors: 1 };
  it('8-bit on DSP48E1, 2 lanes: ceil(PE/2) * SIMD', () => {
    expect(mvauCost(shape, { weightBits: 8, actBits: 8 }, { pe: 3, simd: 4 }, Z7).dsp).toBe(2 * 4);
    expect(mvauCost(shape, { weightBits: 8, actBits: 8 }, { pe: 1, simd: 4 }, Z7).dsp).toBe(1 * 4);
  });
  it('4-bit on DSP48E2, 4 lanes: ceil(PE/4) * SIMD', () => {
    expect(mvauCost(shape, { weightBits: 4, actBits: 4 }, { pe: 6, simd: 4 }, ZU).dsp).toBe(2 * 4);
    expect(mvauCost(shape, { weightBits: 4, actBits: 4 }, { pe: 3, simd: 2 }, ZU).dsp).toBe(1 * 2);
    // 4-bit weights with 8-bit activations fall back to the 2-lane kernel: ceil(6/2) * 4
    expect(mvauCost(shape, { weightBits: 4, actBits: 8 }, { pe: 6, simd: 4 }, ZU).dsp).toBe(3 * 4);
  });
  it('wider than 8 bits: one product per multiplier, ceil(a/big)*ceil(b/small) blocks each', () => {
    // 9 x 9 on 25 x 18: 1 block per product -> PE*SIMD = 12
    expect(mvauCost(shape, { weightBits: 9, actBits: 9 }, { pe: 3, simd: 4 }, Z7).dsp).toBe(12);
    // 20 x 20 on 25 x 18: ceil(20/25) * ceil(20/18) = 2 per product -> 24
    expect(mvauCost(shape, { weightBits: 20, actBits: 20 }, { pe: 3, simd: 4 }, Z7).dsp).toBe(24);
    // 8 x 8 on an 18 x 18 generic DSP: 1 per product, no packing -> 12; 20 x 20: ceil(20/18)^2 = 4 -> 48
    expect(mvauCost(shape, { weightBits: 8, actBits: 8 }, { pe: 3, simd: 4 }, GENERIC).dsp).toBe(12);
    expect(mvauCost(shape, { weightBits: 20, actBits: 20 }, { pe: 3, simd: 4 }, GENERIC).dsp).toBe(48);
    // 26 x 8 on 27 x 18 (DSP48E2, > 8 bits so no packing): ceil(26/27) * ceil(8/18) = 1 -> 12
    expect(mvauCost(shape, { weightBits: 26, actBits: 8 }, { pe: 3, simd: 4 }, ZU).dsp).toBe(12);
  });
  it('DSP58: PE * ceil(SIMD/3) for <= 8-bit weights and <= 9-bit activations', () => {
    expect(mvauCost(shape, { weightBits: 8, actBits: 9 }, { pe: 3, simd: 4 }, DSP58).dsp).toBe(3 * 2);
    expect(mvauCost(shape, { weightBits: 8, actBits: 8 }, { pe: 3, simd: 2 }, DSP58).dsp).toBe(3 * 1);
  });
  it("'auto' puts products below 4 bits in LUTs; a device without DSPs always does", () => {
    expect(mvauCost(shape, { weightBits: 3, actBits: 8 }, { pe: 3, simd: 4 }, Z7).dsp).toBe(0);
    expect(mvauCost(shape, { weightBits: 8, actBits: 3 }, { pe: 3, simd: 4 }, Z7).dsp).toBe(0);
    expect(mvauCost(shape, { weightBits: 4, actBits: 4 }, { pe: 3, simd: 4 }, Z7).dsp).toBe(1 * 4);
    expect(mvauCost(shape, { weightBits: 8, actBits: 8 }, { pe: 3, simd: 4 }, { ...Z7, dsp: 0 }, { mulStyle: 'dsp' }).dsp).toBe(0);
    // forced onto DSPs, 3-bit products still pack 4 lanes: ceil(3/4) * 4
    expect(mvauCost(shape, { weightBits: 3, actBits: 3 }, { pe: 3, simd: 4 }, Z7, { mulStyle: 'dsp' }).dsp).toBe(4);
  });
});
