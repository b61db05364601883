/**
 * Synthesis harness: the cell-counting rules on a recorded Yosys stat, and one tiny engine
 * through Debian's Yosys (synth_anlogic, the cheapest family here: ~2 s) with its products on
 * the vendor multiplier primitive. Skips, saying why, when yosys is not installed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStatJson, parseStatModules, tallyCells, yosysScript } from '../core/synth/families.ts';
import { synthesize, yosysVersion } from './synth-run.ts';
import { main } from './main.ts';
import { expectTwoLaneVvauTally, twoLaneVvau } from '../../test/synth-fixtures.ts';
import { getDevice, toEngineDevice } from '../core/hw/devices.ts';
import { rtlEmitterOf } from '../core/hw/engines/index.ts';
import { mvauCost } from '../core/hw/engines/mvau.ts';

const YOSYS = yosysVersion();

describe('cell-counting rules', () => {
  it('counts Gowin LUT1-4 and ALU as LUTs, wide muxes as none, LUTRAM by storage, BSRAM as one RAMB18', () => {
    const t = tallyCells('gowin', { LUT2: 3, LUT4: 5, ALU: 4, MUX2_LUT5: 7, RAM16SDP4: 2, DFFE: 9, DFFR: 1, MULT18X18: 2, SDP: 1, GND: 1 });
    expect(t.counts).toEqual({ lut: 3 + 5 + 4 + 8, lutram: 8, ff: 10, dsp: 2, bram18: 1 });
    expect(t.unmapped).toEqual({});
  });
  it('counts Anlogic LUT5 as two LUT4s, LUT6 as four, 9 Kb blocks as half a RAMB18', () => {
    const t = tallyCells('anlogic', { AL_MAP_LUT3: 2, AL_MAP_LUT5: 3, AL_MAP_LUT6: 1, AL_MAP_ADDER: 5, AL_MAP_SEQ: 7, EG_PHY_MULT18: 1, EG_PHY_BRAM: 3 });
    expect(t.counts).toEqual({ lut: 2 + 6 + 4 + 5, lutram: 0, ff: 7, dsp: 1, bram18: 1.5 });
  });
  it('counts Xilinx RAMB36 as two RAMB18, carry chains as no LUT, and lists unknown cells', () => {
    const t = tallyCells('xilinx', { LUT6: 10, CARRY4: 3, FDRE: 4, RAMB36E1: 1, RAM32M: 1, DSP48E1: 2, MYSTERY: 1, $scopeinfo: 7 });
    expect(t.counts).toEqual({ lut: 14, lutram: 4, ff: 4, dsp: 2, bram18: 2 });
    expect(t.unmapped).toEqual({ MYSTERY: 1 });
  });
  it('reads the top module of a stat -json with log text around it, and refuses a stat without it', () => {
    const text = 'log line\n{ "creator": "Yosys 0.23", "modules": { "\\\\dut": { "num_cells_by_type": { "LUT4": 2 } } } }\n';
    expect(parseStatJson(text, 'dut')).toEqual({ LUT4: 2 });
    expect(() => parseStatJson(text, 'other')).toThrow(/no module "other"/);
    expect(() => parseStatJson('ERROR', 'dut')).toThrow(/no JSON/);
  });
  it('reads every module of a hierarchical stat, leaving out cell-less blackboxes', () => {
    const text = '{ "modules": { "\\\\top": { "num_cells_by_type": { "\\\\eng": 1, "LUT4": 2 } }, "\\\\eng": { "num_cells_by_type": { "DFF": 3 } }, "\\\\MULT18X18": { "num_cells_by_type": {} } } }';
    expect(parseStatModules(text)).toEqual({ top: { '\\eng': 1, LUT4: 2 }, eng: { DFF: 3 } });
  });
  it('writes a script that reads every file, synthesizes the top and saves the stat', () => {
    expect(yosysScript('gowin', ['a.v', 'b.v'], 'top', 's.json')).toBe('read_verilog a.v\nread_verilog b.v\nsynth_gowin -top top\ntee -q -o s.json stat -json\n');
    expect(yosysScript('xilinx', ['a.v'], 'top', 's.json')).toContain('synth_xilinx -family xc7 -noiopad -flatten -top top');
    expect(yosysScript('anlogic', ['a.v'], 'top', 's.json', true)).toContain('synth_anlogic -noflatten -top top');
  });
});

describe.skipIf(!YOSYS)('one engine through Yosys synth_anlogic', () => {
  it('a 2-lane 8-bit VVAU: DSPs as estimated (one EG_PHY_MULT18 per product), sane LUT / FF, every cell counted', async () => {
    const vvau = twoLaneVvau();
    expect(vvau.verilog).toContain('EG_PHY_MULT18');
    const dir = mkdtempSync(join(tmpdir(), 'edgefold-synth-'));
    try {
      const run = await synthesize(vvau.files, 'dut', 'anlogic', dir, { timeoutMs: 120_000 });
      expectTwoLaneVvauTally(run, vvau.estimatedDsp);
      expect(run.seconds).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
describe.skipIf(!YOSYS)('memory placement through Yosys synth_gowin', () => {
  it('an MVAU weight ROM Yosys would put in block RAM stays in LUTs when the estimate says LUTRAM, and the reverse', async () => {
    const device = toEngineDevice(getDevice('GW2A-18'));
    const spec = { kind: 'mvau' as const, mw: 16, mh: 16, numVectors: 1 };
    const bits = { weightBits: 2, actBits: 2, actSigned: false };
    const weights = Array.from({ length: 256 }, (_, i) => (i % 3) - 1);
    for (const memStyle of ['lutram', 'bram'] as const) {
      const cost = mvauCost(spec, bits, { pe: 1, simd: 1 }, device, { memStyle });
      const m = rtlEmitterOf('mvau').emit(spec, { pe: 1, simd: 1 }, { requant: 'auto', memStyle }, { name: 'dut', data: { ...bits, accBits: 10, weights } });
      const dir = mkdtempSync(join(tmpdir(), 'edgefold-synth-mem-'));
      try {
        const run = await synthesize({ 'dut.v': m.verilog, ...m.files }, 'dut', 'gowin', dir, { timeoutMs: 120_000 });
        expect(run.counts.bram18, memStyle).toBe(cost.bram18);
        expect(run.counts.bram18, memStyle).toBe(memStyle === 'bram' ? 1 : 0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
describe.skipIf(!YOSYS)('products in LUTs through Yosys synth_xilinx', () => {
  it('a W8A8 MVAU the estimate builds in LUTs synthesizes no DSP48E1; written with `*` it takes one per product', async () => {
    const device = toEngineDevice(getDevice('XC7Z020'));
    const spec = { kind: 'mvau' as const, mw: 8, mh: 4, numVectors: 1 };
    const bits = { weightBits: 8, actBits: 8, actSigned: false };
    const fold = { pe: 2, simd: 2 };
    const weights = Array.from({ length: 32 }, (_, i) => ((i * 37) % 255) - 127);
    expect(mvauCost(spec, bits, fold, device, { mulStyle: 'lut' }).dsp).toBe(0);
    for (const lutProducts of [true, false]) {
      const m = rtlEmitterOf('mvau').emit(spec, fold, { requant: 'auto', memStyle: 'auto' }, { name: 'dut', data: { ...bits, accBits: 20, weights, lutProducts } });
      const dir = mkdtempSync(join(tmpdir(), 'edgefold-synth-lutmul-'));
      try {
        const run = await synthesize({ 'dut.v': m.verilog, ...m.files }, 'dut', 'xilinx', dir, { timeoutMs: 120_000 });
        expect(run.counts.dsp, `lutProducts ${lutProducts}`).toBe(lutProducts ? 0 : fold.pe * fold.simd);
        if (lutProducts) expect(run.counts.lut).toBeGreaterThan(fold.pe * fold.simd * 64);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
describe.skipIf(YOSYS)('synthesis (skipped)', () => {
  it.skip('yosys is not installed: apt-get install yosys (node tools/ensure-system-tools.mjs says how)', () => {});
});

describe('edgefold synth: bad input, before any work', () => {
  const run = async (args: string[]) => {
    let err = '';
    const code = await main(args, { out: () => {}, err: (t) => (err += t + '\n') });
    return { code, err };
  };
  const dir = mkdtempSync(join(tmpdir(), 'edgefold-synth-cli-'));
  const cfg = join(dir, 'w8a8.json');
  writeFileSync(cfg, JSON.stringify({ version: 1, quant: { weightBits: 8, activationBits: 8 } }));
  it('needs --family, and names the families it knows', async () => {
    const missing = await run(['synth', 'public/models/dscnn-fmnist.onnx', '--config', cfg, '-o', join(dir, 'a')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--family xilinx\|gowin\|anlogic is required/);
    const wrong = await run(['synth', 'public/models/dscnn-fmnist.onnx', '--config', cfg, '--family', 'lattice', '-o', join(dir, 'b')]);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/xilinx, gowin or anlogic, got "lattice"/);
  });
  it('refuses --auto-fold together with --target-fps', async () => {
    const r = await run(['synth', 'public/models/dscnn-fmnist.onnx', '--config', cfg, '--family', 'gowin', '--auto-fold', 'max-fps', '--target-fps', '366', '-o', join(dir, 'c')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/either --auto-fold max-fps or --target-fps/);
  });
});

describe.skipIf(!YOSYS)('edgefold synth: a Yosys run past --timeout', () => {
  it('stops Yosys and exits 2 with a message saying what to do (not an internal error)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgefold-synth-timeout-'));
    try {
      const cfg = join(dir, 'w8a8.json');
      writeFileSync(cfg, JSON.stringify({ version: 1, quant: { weightBits: 8, activationBits: 8 } }));
      let err = '';
      // The whole default design takes minutes in synth_anlogic: 1 s is always too short.
      const code = await main(['synth', 'public/models/dscnn-fmnist.onnx', '--config', cfg, '--family', 'anlogic', '--timeout', '1', '-o', join(dir, 'out')], { out: () => {}, err: (t) => (err += t + '\n') });
      expect(code).toBe(2);
      expect(err).toMatch(/Yosys \(synth_anlogic\) did not finish synthesizing edgefold_accelerator in 1 s and was stopped\. Raise --timeout/);
      expect(err).not.toMatch(/internal error/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
