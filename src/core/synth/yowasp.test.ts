/**
 * YoWASP's Yosys (WebAssembly) in Node on one tiny generated engine, counted by families.ts: the
 * same script as the CLI's Debian Yosys. Anlogic is the cheapest family (a few seconds on a quiet
 * machine); where Debian's yosys is installed, both tallies must agree cell for cell (they did for
 * this engine with Yosys 0.23 and 0.55; docs/decisions.md lists where the versions differ).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthesize, yosysVersion } from '../../cli/synth-run.ts';
import { getDevice } from '../hw/devices.ts';
import { expectTwoLaneVvauTally, twoLaneVvau } from '../../../test/synth-fixtures.ts';
import { synthFamilyOf, synthInputs } from './families.ts';
import { passOf, synthesizeWasm, YOWASP_YOSYS_VERSION, yowaspYosysRelease } from './yowasp.ts';

const DEBIAN = yosysVersion();

describe('YoWASP Yosys package', () => {
  it('is the version the views name (package.json pins it)', () => {
    const require = createRequire(import.meta.url);
    const pkgDir = dirname(dirname(require.resolve('@yowasp/yosys')));
    expect(JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version).toBe(YOWASP_YOSYS_VERSION);
    expect(JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).dependencies['@yowasp/yosys']).toBe(YOWASP_YOSYS_VERSION);
    expect(yowaspYosysRelease()).toBe('Yosys 0.55');
  });
  it('reads pass names from Yosys log lines, and nothing from others', () => {
    expect(passOf('2.3. Executing ABC pass (technology mapping).')).toBe('ABC');
    expect(passOf('12. Executing SYNTH_ANLOGIC pass.')).toBe('SYNTH_ANLOGIC');
    expect(passOf('Executing ABC pass')).toBeNull();
    expect(passOf('   Number of cells: 12')).toBeNull();
  });
});

describe('families', () => {
  it('maps catalog devices to a synthesis flow, and says none for parts without one', () => {
    expect(synthFamilyOf(getDevice('XC7Z020'))).toBe('xilinx');
    expect(synthFamilyOf(getDevice('XC7A35T'))).toBe('xilinx');
    expect(synthFamilyOf(getDevice('GW2A-18'))).toBe('gowin');
    expect(synthFamilyOf(getDevice('EG4S20'))).toBe('anlogic');
    expect(synthFamilyOf(getDevice('XCZU7EV'))).toBeNull();
    expect(synthFamilyOf(getDevice('GW5A-60'))).toBeNull();
    expect(synthFamilyOf(getDevice('PH1A60'))).toBeNull();
  });
  it('reads the Gowin blackboxes first and never the testbench', () => {
    const r = synthInputs({ 'b.v': '', 'a.v': '', 'tb.v': '', 'w.hex': '' }, 'gowin');
    expect(r.verilog).toEqual(['gowin_blackboxes.v', 'a.v', 'b.v']);
    expect(r.files['gowin_blackboxes.v']).toContain('module MULT18X18');
    expect(synthInputs({ 'a.v': '' }, 'anlogic').verilog).toEqual(['a.v']);
  });
});

describe('one engine through YoWASP Yosys synth_anlogic (WebAssembly in Node)', () => {
  it('counts a 2-lane 8-bit VVAU as families.ts expects, equal to Debian Yosys where installed', async () => {
    const { files, estimatedDsp } = twoLaneVvau();
    const phases: string[] = [];
    const run = await synthesizeWasm(files, 'dut', 'anlogic', { onProgress: (p) => phases.push(p.phase), progressEveryMs: 0 });
    expect(run.yosysVersion).toBe(`Yosys 0.55 (YoWASP ${YOWASP_YOSYS_VERSION})`);
    expect(phases).toContain('SYNTH_ANLOGIC');
    expect(phases).toContain('ABC');
    expectTwoLaneVvauTally(run, estimatedDsp);
    if (DEBIAN) {
      const dir = mkdtempSync(join(tmpdir(), 'edgefold-yowasp-'));
      try {
        const debian = await synthesize(files, 'dut', 'anlogic', dir, { timeoutMs: 120_000 });
        expect(run.cells).toEqual(debian.cells);
        expect(run.counts).toEqual(debian.counts);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 300_000);
  it('fails with Yosys\' own error on Verilog it cannot read', async () => {
    await expect(synthesizeWasm({ 'bad.v': 'module bad(input a; endmodule\n' }, 'bad', 'anlogic')).rejects.toThrow(/Yosys 0\.55.*anlogic on bad failed[\s\S]*ERROR/);
  }, 120_000);
});
