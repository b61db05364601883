/**
 * The estimate scenarios whose numbers the engine-contract refactor (issue 17) must not move:
 * the default model, the third-party fixtures and the hand-built networks, on several devices,
 * bit widths, styles and foldings. `tools/hw-baseline.ts` writes their estimates to
 * src/core/hw/testdata/estimate-baseline.json; src/core/hw/baseline.test.ts compares.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { loadModel } from '../src/core/graph/index.ts';
import type { LayerInfo } from '../src/core/graph/layer.ts';
import type { HwFolding } from '../src/core/hw/config.ts';
import { mobileNetV1Layers, referenceLikeLayers, residualLayers } from '../src/core/hw/fixtures.ts';
import { getDevice } from '../src/core/hw/devices.ts';
import { autoFold } from '../src/core/hw/fold.ts';
import { hwLayersFromLayerView, type BitsInput } from '../src/core/hw/layers.ts';
import { estimate, type Estimate, type EstimateOptions } from '../src/core/hw/pipeline.ts';
import { DEFAULT_MODEL, KWS, ULTRAFACE } from './fixtures.ts';

export interface HwScenario {
  id: string;
  model: string;
  device: string;
  clockMHz: number;
  /** Weight and activation bits of every layer (default 8). */
  allBits?: number;
  /** Folding given to estimate; 'auto' = autoFold's max-fps folding at the default budget. */
  folding: HwFolding | 'auto';
  options?: EstimateOptions;
  /** Styles autoFold puts on every layer. */
  styles?: { mulStyle?: 'lut' | 'dsp'; memStyle?: 'bram' | 'lutram' };
}

/** Model layer views by name; null when the file is absent (the test then skips those). */
export function scenarioModels(): Record<string, LayerInfo[] | null> {
  const onnx = (path: string) => (existsSync(path) ? loadModel(new Uint8Array(readFileSync(path)), path.split('/').pop()).layers : null);
  return {
    default: onnx(DEFAULT_MODEL),
    kws: onnx(KWS),
    ultraface: onnx(ULTRAFACE),
    'reference-like': referenceLikeLayers(),
    residual: residualLayers(),
    'mobilenet-v1-fixture': mobileNetV1Layers(),
  };
}

const DEVICES = ['XC7Z020', 'XCZU7EV', 'EG4S20', 'GW2A-18', 'GW5A-60'];

export function hwScenarios(): HwScenario[] {
  const out: HwScenario[] = [];
  for (const model of ['default', 'kws', 'ultraface', 'reference-like', 'residual', 'mobilenet-v1-fixture']) {
    out.push({ id: `${model}/XC7Z020/folded`, model, device: 'XC7Z020', clockMHz: 100, folding: {} });
    for (const device of DEVICES) out.push({ id: `${model}/${device}/auto`, model, device, clockMHz: 100, folding: 'auto' });
    out.push({ id: `${model}/XC7Z020/auto/w4a4`, model, device: 'XC7Z020', clockMHz: 150, folding: 'auto', allBits: 4 });
    out.push({ id: `${model}/XC7Z020/auto/thresholds`, model, device: 'XC7Z020', clockMHz: 100, folding: 'auto', options: { requant: 'thresholds', fifoDepth: 64, activity: 0.2 } });
    out.push({ id: `${model}/XCZU7EV/auto/bram-lut`, model, device: 'XCZU7EV', clockMHz: 200, folding: 'auto', styles: { memStyle: 'bram', mulStyle: 'lut' } });
    out.push({ id: `${model}/EG4S20/auto/lutram-dsp`, model, device: 'EG4S20', clockMHz: 50, folding: 'auto', allBits: 2, styles: { memStyle: 'lutram', mulStyle: 'dsp' } });
  }
  return out;
}

/** The folding and the estimate of one scenario. */
export function runScenario(s: HwScenario, layers: LayerInfo[]): { folding: HwFolding; estimate: Estimate } {
  const bits: BitsInput | undefined = s.allBits === undefined ? undefined : layers.map(() => ({ weightBits: s.allBits, actBits: s.allBits }));
  const hw = hwLayersFromLayerView(layers, bits);
  const device = getDevice(s.device);
  // uram: false = autoFold as it was at the baseline commit (its BRAM -> URAM trade came later, on purpose).
  const folding = s.folding === 'auto' ? autoFold(hw, device, s.clockMHz, { ...s.styles, estimate: s.options, uram: false }).folding : s.folding;
  return { folding, estimate: estimate(hw, folding, device, s.clockMHz, s.options) };
}

/**
 * Keys added to the estimate after the baseline commit (UltraRAM and the thresholding engine's
 * requantStyle, issue 17; neither moves a number). The digest leaves them out so that it covers
 * exactly what the baseline code computed.
 */
const ADDED_AFTER_BASELINE = new Set(['uram', 'requantStyle']);

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!ADDED_AFTER_BASELINE.has(k) && v !== undefined) out[k] = canonical(v);
  return out;
}

/**
 * What the baseline keeps of an estimate: the headline numbers and per-layer costs, readable
 * for a diff, and a SHA-256 over the whole estimate (every number, note and warning).
 */
export function digestEstimate(e: Estimate) {
  const c = canonical(e) as Estimate;
  return {
    headline: {
      maxCycles: c.maxCycles,
      fps: c.fps,
      bottleneck: c.bottleneck,
      latencyCycles: c.latency.cycles,
      finnCriticalPathCycles: c.finnCriticalPathCycles,
      totals: c.totals,
      resources: c.resources,
      fits: c.fits,
      overflowing: c.overflowing,
      firstToOverflow: c.firstToOverflow,
      opsPerFrame: c.opsPerFrame,
      gops: c.gops,
      powerW: [c.power.staticW, c.power.dynamicW, c.power.totalW],
      gopsPerWatt: c.gopsPerWatt,
    },
    /** name, cycles, LUT, FF, DSP, RAMB18, weight bits, FIFO depths */
    layers: c.layers.map((l) => [l.name, l.cycles, l.lut, l.ff, l.dsp, l.bram18, l.weightMemBits, l.fifos.map((f) => f.depth).join(' ')]),
    sha256: createHash('sha256').update(JSON.stringify(c)).digest('hex'),
  };
}

/** JSON cannot hold Infinity (a utilization on a device without DSPs): stored as a string. */
export const encodeNumbers = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
export const decodeNumbers = (_key: string, v: unknown) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : v);
