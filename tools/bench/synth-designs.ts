/**
 * The designs the synthesis bench times, built as the app builds them when the user clicks
 * "Synthesize": the app's default design (src/core/design/design.ts defaultDesign: W8A8, nothing
 * pruned, fully folded) on the family's device, its Verilog from the core generator with the
 * family's vendor multiplier. `tiny` and `micro` are test/rtl-models.ts' tinyModel(28) and
 * microModel(28) (the e2e's design).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultDesign, designContext, evaluateDesign } from '../../src/core/design/design.ts';
import { getDevice } from '../../src/core/hw/devices.ts';
import { loadModel } from '../../src/core/graph/index.ts';
import { emitAccelerator } from '../../src/core/rtl/design.ts';
import { FAMILIES, type SynthFamily } from '../../src/core/synth/families.ts';
import { buildIntegerDesign } from '../../src/cli/rtl-flow.ts';
import { readDataset } from '../../src/cli/io.ts';
import { loadOrt } from '../../src/cli/ort.ts';
import { microModel, tinyModel } from '../../test/rtl-models.ts';

export type BenchDesign = 'default' | 'tiny' | 'micro';

export interface DesignFiles {
  files: Record<string, string>;
  top: string;
  /** The estimate's LUT total (device LUT unit) and DSPs: the size the app's expected time scales with. */
  estimatedLut: number;
  estimatedDsp: number;
  stages: number;
}

const root = resolve(import.meta.dirname, '../..');

export async function designFiles(which: BenchDesign, family: SynthFamily): Promise<DesignFiles> {
  const bytes = which === 'default' ? new Uint8Array(readFileSync(resolve(root, 'public/models/dscnn-fmnist.onnx'))) : which === 'tiny' ? tinyModel(28) : microModel(28);
  const loaded = loadModel(bytes, which === 'default' ? 'dscnn-fmnist.onnx' : 'tiny.onnx');
  const design = defaultDesign();
  const device = getDevice(FAMILIES[family].device);
  design.hardware.device = device.id;
  const metrics = evaluateDesign(designContext(loaded), design, [device]);
  const integer = await buildIntegerDesign(loaded, design.compression, await readDataset(undefined, 'calibration'), await loadOrt('native'));
  const info = FAMILIES[family];
  const emitted = emitAccelerator(integer.net, metrics.estimate, { images: 1, ...(info.vendorMultiplier ? { vendorMultiplier: info.vendorMultiplier } : {}) });
  return { files: emitted.files, top: emitted.top, estimatedLut: Math.round(metrics.estimate.totals.lut), estimatedDsp: metrics.estimate.totals.dsp, stages: emitted.stages.length };
}
