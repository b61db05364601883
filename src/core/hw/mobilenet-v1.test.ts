/**
 * MobileNet-v1 with finn-examples' ZCU104 folding (issue 17, section 4): with the last layers'
 * weights in UltraRAM, as FINN's config puts them, the design fits the ZCU104's XCZU7EV and runs
 * at FINN's ~461 FPS. The ONNX is generated here by tools/models/mobilenet_v1_onnx.py (PyTorch,
 * Debian python3-torch); the folding comes from testdata/finn-mobilenet-v1-zcu104.json, whose
 * source is named inside it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../graph/index.ts';
import { COMPUTE_KINDS, type LayerInfo } from '../graph/layer.ts';
import type { HwFolding } from './config.ts';
import { getDevice } from './devices.ts';
import { hwLayersFromLayerView, type BitsInput } from './layers.ts';
import { estimate } from './pipeline.ts';

interface FinnEntry {
  finnNode: string;
  PE: number;
  SIMD?: number;
  resType?: 'dsp' | 'lut';
  ram_style?: 'auto' | 'ultra';
}
const fixture = JSON.parse(readFileSync(resolve(import.meta.dirname, 'testdata/finn-mobilenet-v1-zcu104.json'), 'utf8')) as { clockNs: number; layers: FinnEntry[] };
const TOOL = resolve(import.meta.dirname, '../../../tools/models/mobilenet_v1_onnx.py');

let dir = '';
let layers: LayerInfo[] | null = null;
let skipReason = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgefold-mobilenet-'));
  const out = join(dir, 'mobilenet-v1.onnx');
  const run = spawnSync('/usr/bin/python3', [TOOL, out], { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, timeout: 120_000 });
  if (run.error || run.status !== 0) {
    const text = `${run.error?.message ?? ''}${run.stderr ?? ''}`;
    if (/No module named .torch|ENOENT/.test(text)) {
      skipReason = 'PyTorch for /usr/bin/python3 not found (apt-get install python3-torch) to generate MobileNet-v1';
      return;
    }
    throw new Error(`tools/models/mobilenet_v1_onnx.py failed: ${text.slice(-2000)}`);
  }
  layers = loadModel(new Uint8Array(readFileSync(out)), 'mobilenet-v1.onnx').layers;
}, 150_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** FINN's folding of each compute layer (and the pool), in network order, as edgefold's folding. */
function finnFolding(all: LayerInfo[], ultra: boolean): { folding: HwFolding; bits: BitsInput; names: string[] } {
  const hwLayers = all.filter((l) => COMPUTE_KINDS.has(l.kind) || l.kind === 'pool');
  expect(hwLayers).toHaveLength(fixture.layers.length);
  const folding: HwFolding = {};
  const bits: BitsInput = {};
  hwLayers.forEach((l, i) => {
    const f = fixture.layers[i];
    expect(f.finnNode.startsWith(l.kind === 'depthwise' ? 'Vector_Vector' : l.kind === 'pool' ? 'Pool' : 'MatrixVector'), `${l.name} vs ${f.finnNode}`).toBe(true);
    folding[l.name] = { pe: f.PE, simd: f.SIMD ?? 1, mulStyle: f.resType ?? 'auto', memStyle: ultra && f.ram_style === 'ultra' ? 'uram' : 'auto' };
    // First layer: 8-bit weights and 8-bit input; the rest 4-bit (finn-examples README).
    bits[l.name] = i === 0 ? { weightBits: 8, actBits: 8 } : { weightBits: 4, actBits: 4 };
  });
  return { folding, bits, names: hwLayers.map((l) => l.name) };
}

describe('MobileNet-v1 with finn-examples ZCU104 folding on XCZU7EV', () => {
  it('the generated network has MobileNet-v1 size: 4.22 M parameters, 569 M MACs', (ctx) => {
    if (!layers) return ctx.skip(skipReason);
    expect(layers.reduce((s, l) => s + l.params, 0)).toBe(4_221_032);
    expect(layers.reduce((s, l) => s + l.macs, 0)).toBe(568_740_352);
  });

  it('with URAM it fits and runs at FINN 461 FPS; without URAM its BRAM overflows', (ctx) => {
    if (!layers) return ctx.skip(skipReason);
    const zu7ev = getDevice('XCZU7EV');
    const clockMHz = 1000 / fixture.clockNs;
    const { folding, bits, names } = finnFolding(layers, true);
    const hw = hwLayersFromLayerView(layers, bits);
    const e = estimate(hw, folding, zu7ev, clockMHz);
    // Slowest engine: the first pointwise MVAU, (64/8) * (32/8) * 112 * 112 = 401,408 cycles
    // (conv0's thresholding ties with it: 32 channels * 12,544 pixels at PE 1).
    const pw1 = e.layers.find((l) => l.name === names[2])!;
    expect(pw1.engines.find((x) => x.kind === 'mvau')!.cycles).toBe(401_408);
    expect(e.maxCycles).toBe(401_408);
    expect(e.fps).toBeCloseTo(185.185185e6 / 401_408, 1); // 461.3 FPS
    expect(e.fits).toBe(true);
    // pw12, pw13 and the FC hold their weights in URAM: 8 + 15 + 16 blocks (uram.test.ts derives pw13's 15).
    expect(names.slice(-5).map((n) => e.layers.find((l) => l.name === n)!.uram)).toEqual([8, 0, 15, 0, 16]);
    expect(e.resources.uram.used).toBe(39);
    expect(e.resources.bram.used).toBeLessThanOrEqual(zu7ev.bram18!);

    const noUram = finnFolding(layers, false);
    const without = estimate(hw, noUram.folding, zu7ev, clockMHz);
    expect(without.fps).toBe(e.fps);
    expect(without.overflowing).toContain('bram');
    expect(without.resources.bram.used).toBeGreaterThan(900);
  });
});
